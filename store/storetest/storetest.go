// Package storetest is the conformance suite for [signedcall.Store]
// implementations. Every Store, the ones in this module and a host's own,
// runs it to show that it keeps the rules documented on the interface:
// campaign immutability and state compare-and-set, all-or-nothing
// materialization with one delivery per user, lease-checked claims and
// writes, rescue of expired leases, and the finishing rules.
//
// # Using it
//
// Call [Run] from a test in the Store's package, with a function that
// returns a store to test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) signedcall.Store {
//			return mystore.New(...)
//		})
//	}
//
// Run calls newStore once per subtest. The store it returns may be empty
// or may share a database with earlier subtests: every subtest works on
// campaigns with fresh random IDs and reads nothing else, so a durable
// Store can point every call at one test database. newStore should
// register its own cleanup with t.Cleanup, and call t.Skip with a message
// that says how to run the suite when its database is not configured.
//
// Subtests are named after the rule they check (for example
// "Claim/RescueDialling"), so one rule can be run with
// go test -run 'TestConformance/Claim/RescueDialling'.
//
// # What it assumes
//
// Timestamps in the suite are whole milliseconds after 2026-12-05 10:00
// UTC and are compared with [time.Time.Equal], so a Store may keep them
// in any zone at millisecond precision or finer. User IDs are lower-case
// ASCII with digits zero-padded, so their order is the same under
// byte-wise and common database collations. The suite never reads the
// wall clock for data.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

// base is the instant every test's data is built around.
var base = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

type test struct {
	name string
	fn   func(t *testing.T, s signedcall.Store)
}

// Run runs the conformance suite against stores made by newStore, one
// subtest per rule, each with its own store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) signedcall.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Campaign", campaignTests},
		{"Materialize", materializeTests},
		{"Claim", claimTests},
		{"Apply", applyTests},
		{"FinishRemaining", finishTests},
		{"Read", readTests},
		{"Limits", limitTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.fn(t, newStore(t))
				})
			}
		})
	}
}

// ---- campaigns ----

// draft builds a valid draft campaign, named after the test, with its
// clock at base.
func draft(t *testing.T) *signedcall.Campaign {
	t.Helper()
	mock := clock.NewMock()
	mock.Set(base)
	name := "storetest " + path.Base(t.Name())
	c, err := signedcall.NewCampaign(name).
		WithClock(mock).
		Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").
		Start(base.Add(time.Hour)).
		CutOff(base.Add(10*time.Hour)).
		DNDHours("21:00", "09:00").
		CallContext("test").
		Build()
	if err != nil {
		t.Fatalf("build campaign %q: %v", name, err)
	}
	return c
}

// created stores a new draft and returns it.
func created(t *testing.T, s signedcall.Store) *signedcall.Campaign {
	t.Helper()
	c := draft(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatalf("CreateCampaign(%s) = %v, want nil", c.ID, err)
	}
	return c
}

func ack(at time.Time) signedcall.Acknowledgement {
	return signedcall.Acknowledgement{By: "ops@example.com", At: at, Statement: signedcall.DefaultStatement}
}

func getCampaign(t *testing.T, s signedcall.Store, id uuid.UUID) *signedcall.Campaign {
	t.Helper()
	c, err := s.Campaign(t.Context(), id)
	if err != nil {
		t.Fatalf("Campaign(%s) = %v, want nil", id, err)
	}
	return c
}

// campaignOpts compares campaigns as a Store returns them: a nil and an
// empty DND day list are the same.
var campaignOpts = cmp.Options{cmpopts.EquateEmpty()}

func diffCampaign(t *testing.T, what string, want, got *signedcall.Campaign, opts ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, append(opts, campaignOpts...)...); diff != "" {
		t.Errorf("%s: campaign mismatch (-want +got):\n%s", what, diff)
	}
}

func copyCampaign(t *testing.T, c *signedcall.Campaign) *signedcall.Campaign {
	t.Helper()
	cp, err := signedcall.CloneCampaign(c)
	if err != nil {
		t.Fatalf("CloneCampaign: %v", err)
	}
	return cp
}

// ---- deliveries ----

// pending returns a pending delivery of campaign cid for user, due at due.
func pending(cid uuid.UUID, user string, due time.Time) signedcall.Delivery {
	return signedcall.Delivery{
		CampaignID: cid,
		UserID:     user,
		Phone:      "+447700900123",
		TimeZone:   "Europe/London",
		ZoneSource: signedcall.ZoneFromPhone,
		OtherZones: []string{"Europe/Guernsey", "Europe/Isle_of_Man"},
		Packs:      []string{"GB", "GB-ENG"},
		Status:     signedcall.StatusPending,
		DueAt:      due,
		UpdatedAt:  base,
	}
}

// final returns a delivery of campaign cid for user that is materialized
// in a final status, as control and capped users are.
func final(cid uuid.UUID, user string, st signedcall.Status) signedcall.Delivery {
	d := pending(cid, user, base)
	d.Phone, d.Status, d.Reason, d.FinishedAt = "", st, string(st), base
	return d
}

// withDeliveries creates a campaign and materializes the deliveries
// build returns for its ID.
func withDeliveries(t *testing.T, s signedcall.Store, build func(cid uuid.UUID) []signedcall.Delivery) (uuid.UUID, []signedcall.Delivery) {
	t.Helper()
	c := created(t, s)
	ds := build(c.ID)
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatalf("Materialize(%d deliveries) = %v, want nil", len(ds), err)
	}
	// Calls may only start in a running campaign.
	if err := s.PublishCampaign(t.Context(), c, ack(base)); err != nil {
		t.Fatalf("PublishCampaign = %v, want nil", err)
	}
	from := []signedcall.CampaignState{signedcall.StateScheduled}
	if err := s.TransitionCampaign(t.Context(), c.ID, from, signedcall.StateRunning, base); err != nil {
		t.Fatalf("TransitionCampaign(scheduled to running) = %v, want nil", err)
	}
	return c.ID, ds
}

func key(cid uuid.UUID, user string) signedcall.Key {
	return signedcall.Key{CampaignID: cid, UserID: user}
}

func claim(t *testing.T, s signedcall.Store, cid uuid.UUID, owner string, now time.Time, lease time.Duration, limit int) []signedcall.Delivery {
	t.Helper()
	req := signedcall.ClaimRequest{CampaignID: cid, Owner: owner, Now: now, Lease: lease, Limit: limit}
	got, err := s.Claim(t.Context(), req)
	if err != nil {
		t.Fatalf("Claim(owner %s, now %s, limit %d) = %v, want nil", owner, stamp(now), limit, err)
	}
	return got
}

// claimOne claims exactly one delivery and fails the test otherwise.
func claimOne(t *testing.T, s signedcall.Store, cid uuid.UUID, owner string, now time.Time, lease time.Duration) signedcall.Delivery {
	t.Helper()
	got := claim(t, s, cid, owner, now, lease, 1)
	if len(got) != 1 {
		t.Fatalf("Claim(owner %s, now %s, limit 1) returned %d deliveries, want 1", owner, stamp(now), len(got))
	}
	return got[0]
}

// claimed returns d as a claim by owner at now with lease should leave it,
// with the token the Store chose.
func claimed(d signedcall.Delivery, owner string, token int64, now time.Time, lease time.Duration) signedcall.Delivery {
	if d.Status == signedcall.StatusPending {
		d.Status = signedcall.StatusClaimed
	}
	d.Lease = signedcall.Lease{Owner: owner, Token: token, Expires: now.Add(lease)}
	d.UpdatedAt = now
	return d
}

// to returns a transition of d's current lease to status st at instant at.
func to(d signedcall.Delivery, st signedcall.Status, at time.Time) signedcall.Transition {
	return signedcall.Transition{
		Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token,
		To: st, Reason: "to_" + string(st), At: at,
	}
}

// applied returns d as the transition tr, applied, leaves it.
func applied(d signedcall.Delivery, tr signedcall.Transition) signedcall.Delivery {
	switch {
	case tr.To == signedcall.StatusDialling:
		d.Attempt++
	case tr.To == signedcall.StatusPending:
		d.Lease = signedcall.Lease{}
		d.DueAt = tr.DueAt
	default:
		d.Lease = signedcall.Lease{}
		d.FinishedAt = tr.At
	}
	d.Status, d.Reason, d.UpdatedAt = tr.To, tr.Reason, tr.At
	return d
}

// apply applies ts in one call and returns the per-transition errors.
func apply(t *testing.T, s signedcall.Store, ts ...signedcall.Transition) []error {
	t.Helper()
	errs, err := s.Apply(t.Context(), ts)
	if err != nil {
		t.Fatalf("Apply(%d transitions) = %v, want nil store error", len(ts), err)
	}
	if len(errs) != len(ts) {
		t.Fatalf("Apply(%d transitions) returned %d errors, want one per transition", len(ts), len(errs))
	}
	return errs
}

// mustApply applies tr and returns the delivery as the Store should now
// hold it.
func mustApply(t *testing.T, s signedcall.Store, d signedcall.Delivery, tr signedcall.Transition) signedcall.Delivery {
	t.Helper()
	if err := apply(t, s, tr)[0]; err != nil {
		t.Fatalf("Apply(%s to %s) = %v, want nil", d.UserID, tr.To, err)
	}
	return applied(d, tr)
}

func getDelivery(t *testing.T, s signedcall.Store, k signedcall.Key) signedcall.Delivery {
	t.Helper()
	d, err := s.Delivery(t.Context(), k)
	if err != nil {
		t.Fatalf("Delivery(%s) = %v, want nil", k.UserID, err)
	}
	return d
}

// all returns every delivery of the campaign through Deliveries.
func all(t *testing.T, s signedcall.Store, cid uuid.UUID) []signedcall.Delivery {
	t.Helper()
	var out []signedcall.Delivery
	err := s.Deliveries(t.Context(), cid, func(d signedcall.Delivery) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Deliveries(%s) = %v, want nil", cid, err)
	}
	return out
}

func diffDeliveries(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: deliveries mismatch (-want +got):\n%s", what, diff)
	}
}

// wantStored checks that the Store holds exactly want for the campaign.
func wantStored(t *testing.T, s signedcall.Store, what string, cid uuid.UUID, want []signedcall.Delivery) {
	t.Helper()
	diffDeliveries(t, what, want, all(t, s, cid))
}

// counts returns Counts without zero entries, which a Store may include.
func counts(t *testing.T, s signedcall.Store, cid uuid.UUID) map[signedcall.Status]int {
	t.Helper()
	m, err := s.Counts(t.Context(), cid)
	if err != nil {
		t.Fatalf("Counts(%s) = %v, want nil", cid, err)
	}
	out := map[signedcall.Status]int{}
	for st, n := range m {
		if n != 0 {
			out[st] = n
		}
	}
	return out
}

func wantCounts(t *testing.T, s signedcall.Store, what string, cid uuid.UUID, want map[signedcall.Status]int) {
	t.Helper()
	if diff := cmp.Diff(want, counts(t, s, cid), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: Counts mismatch (-want +got):\n%s", what, diff)
	}
}

// wantErr reports whether err matches want, failing the test with what
// when it does not.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s = %v, want nil", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

// users returns n user IDs u0001, u0002, ...
func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%04d", i+1)
	}
	return out
}

// stamp formats t as an offset from base for messages.
func stamp(t time.Time) string { return "base" + fmtOffset(t.Sub(base)) }

func fmtOffset(d time.Duration) string {
	if d < 0 {
		return "-" + (-d).String()
	}
	return "+" + d.String()
}

// canceled returns a context that is already canceled.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

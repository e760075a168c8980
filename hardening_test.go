package signedcall_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

// TestHostileInputsGiveFieldErrors covers inputs that once passed
// validation and then failed, or changed, on the way into a Store.
func TestHostileInputsGiveFieldErrors(t *testing.T) {
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	deep := signedcall.Predicate(signedcall.Flag(signedcall.HasPhone))
	for range signedcall.MaxAudienceDepth {
		deep = signedcall.Not(deep)
	}
	base := func() *signedcall.Builder {
		return signedcall.NewCampaign("hostile").WithClock(fixedClock(start.Add(-time.Hour))).
			Audience(signedcall.Flag(signedcall.HasPhone)).TimeZone("Asia/Kolkata").
			Start(start).CutOff(start.Add(time.Hour)).DNDHours("21:00", "09:00").CallContext("ok")
	}
	for _, tc := range []struct {
		name  string
		b     *signedcall.Builder
		field string
	}{
		{"invalid UTF-8 name", base().Name("n\xff"), "name"},
		{"invalid UTF-8 call context", base().CallContext("why\xfe"), "call_context"},
		{"invalid UTF-8 list ID", base().Audience(signedcall.InList("vip", "ok", "vip-\xff")), "audience.ids[1]"},
		{"invalid UTF-8 event", base().Audience(signedcall.Did("Viewed \xfe")), "audience.event"},
		{"invalid UTF-8 property value", base().Audience(signedcall.Prop("tier", signedcall.Eq, "gold\xff")), "audience.value"},
		{"year 10000 cut-off", base().CutOff(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), "schedule.cut_off"},
		{"negative year in a date window", base().Audience(signedcall.Did("x").Between(signedcall.Date{Year: -5, Month: 1, Day: 1}, signedcall.Date{Year: -5, Month: 1, Day: 2})), "audience.from"},
		{"nesting too deep", base().Audience(deep), "audience"},
		{"month 13 in a wall-clock start", base().StartLocal(2026, 13, 45, 99, -5), "schedule.start"},
		{"25:00 wall-clock cut-off", base().CutOffLocal(2026, 12, 5, 25, 0), "schedule.cut_off"},
	} {
		_, err := tc.b.Build()
		found := false
		for _, ve := range signedcall.ValidationErrors(err) {
			found = found || ve.Field == tc.field
		}
		if !found || !errors.Is(err, signedcall.ErrInvalid) {
			t.Errorf("%s: Build = %v, want a field error on %s", tc.name, err, tc.field)
		}
	}
	if _, err := base().Audience(signedcall.Not(deep)).Build(); err == nil {
		t.Errorf("nesting %d deep: Build = nil, want an error", signedcall.MaxAudienceDepth+2)
	}
	if _, err := base().Build(); err != nil {
		t.Errorf("the valid base campaign: Build = %v", err)
	}
}

func TestHostileJSON(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"trailing bracket", `{"kind":"reach","flag":"has_phone"}}`},
		{"null", `null`},
		{"deep", strings.Repeat(`{"kind":"not","predicate":`, signedcall.MaxAudienceDepth+1) + `{"kind":"reach","flag":"has_phone"}` + strings.Repeat(`}`, signedcall.MaxAudienceDepth+1)},
	} {
		if _, err := signedcall.UnmarshalPredicate([]byte(tc.in)); err == nil {
			t.Errorf("UnmarshalPredicate(%s) = nil error, want one", tc.name)
		}
	}
	var c signedcall.Campaign
	if err := json.Unmarshal([]byte(`{"version":1}]`), &c); err == nil {
		t.Error("Campaign JSON with a trailing bracket: nil error, want one")
	}
	err := signedcall.EachJSONLine(context.Background(), strings.NewReader("null\n"), func(*signedcall.Profile) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("EachJSONLine(null) = %v, want an error naming line 1", err)
	}
}

func TestPreviewRefusesNils(t *testing.T) {
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	c := buildCampaign(t, fixedClock(start), campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	if _, err := signedcall.Preview(context.Background(), c, nil); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Preview(nil source) = %v, want ErrInvalid", err)
	}
	if _, err := signedcall.Preview(context.Background(), nil, signedcall.SliceSource{}); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Preview(nil campaign) = %v, want ErrInvalid", err)
	}
	nilYielder := sourceFunc(func(ctx context.Context, fn func(*signedcall.Profile) error) error { return fn(nil) })
	if _, err := signedcall.Preview(context.Background(), c, nilYielder); err == nil {
		t.Error("Preview over a source yielding nil = nil error, want one")
	}
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: nopStore{}, Caller: newRecorder(t, fixedClock(start), 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(context.Background(), nil, ack); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Publish(nil) = %v, want ErrInvalid", err)
	}
}

type sourceFunc func(ctx context.Context, fn func(*signedcall.Profile) error) error

func (f sourceFunc) Each(ctx context.Context, fn func(*signedcall.Profile) error) error {
	return f(ctx, fn)
}

// nopStore is never reached: the calls under test fail before I/O.
type nopStore struct{ signedcall.Store }

// tamperedStore returns every campaign with a cap no Build accepts, as a
// row edited by hand in the database would.
type tamperedStore struct{ signedcall.Store }

func (s tamperedStore) Campaign(ctx context.Context, id uuid.UUID) (*signedcall.Campaign, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err == nil {
		c.Cap = 5
	}
	return c, err
}

// TestTamperedDefinitionIsNotRun: a stored campaign that breaks a rule is
// refused by Tick, naming the field, and nobody is called.
func TestTamperedDefinitionIsNotRun(t *testing.T) {
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: tamperedStore{st}, Caller: rec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	_, err = d.Tick(context.Background(), c.ID, population(10, 1))
	if !errors.Is(err, signedcall.ErrInvalid) || !strings.Contains(err.Error(), "cap") {
		t.Errorf("Tick(tampered campaign) = %v, want ErrInvalid naming the cap", err)
	}
	if n := len(rec.dials()); n != 0 {
		t.Errorf("%d calls placed for a tampered campaign, want 0", n)
	}
}

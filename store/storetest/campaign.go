package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var campaignTests = []test{
	{"RoundTrip", testCampaignRoundTrip},
	{"Copies", testCampaignCopies},
	{"NotFound", testCampaignNotFound},
	{"CreateDuplicateID", testCreateDuplicateID},
	{"CreateInvalid", testCreateInvalid},
	{"UpdateDraft", testUpdateDraft},
	{"UpdateNotFound", testUpdateNotFound},
	{"UpdateAfterPublish", testUpdateAfterPublish},
	{"Publish", testPublish},
	{"PublishTwice", testPublishTwice},
	{"PublishNew", testPublishNew},
	{"PublishReplacesDraft", testPublishReplacesDraft},
	{"PublishIncomplete", testPublishIncomplete},
	{"Transition", testTransition},
	{"TransitionNotFound", testTransitionNotFound},
}

func testCampaignRoundTrip(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	diffCampaign(t, "Campaign after CreateCampaign", c, getCampaign(t, s, c.ID))
}

// testCampaignCopies checks that the Store keeps its own copy: changing
// the campaign passed in, or one returned, changes nothing stored.
func testCampaignCopies(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	want := copyCampaign(t, c)

	c.Name = "changed after create"
	c.Delivery.DND.Hours[0].From = signedcall.At(1, 0)
	got := getCampaign(t, s, c.ID)
	diffCampaign(t, "Campaign after changing the value passed to CreateCampaign", want, got)

	got.Name = "changed after read"
	got.Delivery.DND.Hours[0].To = signedcall.At(2, 0)
	diffCampaign(t, "Campaign after changing a value it returned", want, getCampaign(t, s, c.ID))
}

func testCampaignNotFound(t *testing.T, s signedcall.Store) {
	id := uuid.New()
	_, err := s.Campaign(t.Context(), id)
	wantErr(t, "Campaign(unknown ID)", err, signedcall.ErrNotFound)
}

func testCreateDuplicateID(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	dup := copyCampaign(t, c)
	dup.Name = "second campaign, same ID"

	err := s.CreateCampaign(t.Context(), dup)
	wantErr(t, "CreateCampaign(taken ID)", err, signedcall.ErrCampaignExists)
	diffCampaign(t, "Campaign after refused CreateCampaign", c, getCampaign(t, s, c.ID))
}

func testCreateInvalid(t *testing.T, s signedcall.Store) {
	c := draft(t)
	c.Name = " "
	c.CallContext = ""

	err := s.CreateCampaign(t.Context(), c)
	wantErr(t, "CreateCampaign(blank name and call context)", err, signedcall.ErrInvalid)
	fields := map[string]bool{}
	for _, ve := range signedcall.ValidationErrors(err) {
		fields[ve.Field] = true
	}
	for _, f := range []string{"name", "call_context"} {
		if !fields[f] {
			t.Errorf("CreateCampaign(blank name and call context) = %v, want a ValidationError for %q", err, f)
		}
	}
	_, err = s.Campaign(t.Context(), c.ID)
	wantErr(t, "Campaign after refused CreateCampaign", err, signedcall.ErrNotFound)
}

func testUpdateDraft(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	c.Name = "renamed"
	c.CallContext = "a better reason"
	c.Cap = 500
	c.Schedule.CutOff = base.Add(8 * time.Hour)
	c.UpdatedAt = base.Add(time.Minute)

	if err := s.UpdateCampaign(t.Context(), c); err != nil {
		t.Fatalf("UpdateCampaign(draft) = %v, want nil", err)
	}
	diffCampaign(t, "Campaign after UpdateCampaign", c, getCampaign(t, s, c.ID))
}

func testUpdateNotFound(t *testing.T, s signedcall.Store) {
	c := draft(t)
	err := s.UpdateCampaign(t.Context(), c)
	wantErr(t, "UpdateCampaign(never created)", err, signedcall.ErrNotFound)
}

func testUpdateAfterPublish(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	if err := s.PublishCampaign(t.Context(), c, ack(base)); err != nil {
		t.Fatalf("PublishCampaign = %v, want nil", err)
	}
	published := getCampaign(t, s, c.ID)

	tests := []struct {
		name string
		c    *signedcall.Campaign
	}{
		{"the draft as created", copyCampaign(t, c)},
		{"the published campaign as read", copyCampaign(t, published)},
	}
	for _, tt := range tests {
		tt.c.Name = "renamed after publishing"
		err := s.UpdateCampaign(t.Context(), tt.c)
		wantErr(t, "UpdateCampaign("+tt.name+", renamed)", err, signedcall.ErrImmutable)
		diffCampaign(t, "Campaign after refused UpdateCampaign("+tt.name+")", published, getCampaign(t, s, c.ID))
	}
}

func testPublish(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	a := ack(base.Add(5 * time.Minute))
	if err := s.PublishCampaign(t.Context(), c, a); err != nil {
		t.Fatalf("PublishCampaign(draft) = %v, want nil", err)
	}

	want := copyCampaign(t, c)
	want.State = signedcall.StateScheduled
	want.Acknowledgement = &a
	// A Store may record when it published in UpdatedAt.
	ignore := cmpopts.IgnoreFields(signedcall.Campaign{}, "UpdatedAt")
	diffCampaign(t, "Campaign after PublishCampaign", want, getCampaign(t, s, c.ID), ignore)
}

func testPublishTwice(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	if err := s.PublishCampaign(t.Context(), c, ack(base)); err != nil {
		t.Fatalf("PublishCampaign(draft) = %v, want nil", err)
	}
	want := getCampaign(t, s, c.ID)

	second := ack(base.Add(time.Hour))
	second.By = "someone-else@example.com"
	changed := copyCampaign(t, c)
	changed.Name = "changed after publishing"
	for _, tc := range []struct {
		name string
		c    *signedcall.Campaign
	}{{"the same draft", c}, {"a changed draft", changed}} {
		err := s.PublishCampaign(t.Context(), tc.c, second)
		wantErr(t, "PublishCampaign("+tc.name+") after publishing", err, signedcall.ErrImmutable)
		diffCampaign(t, "Campaign after second PublishCampaign("+tc.name+")", want, getCampaign(t, s, c.ID))
	}
}

// testPublishNew publishes a campaign that was never stored as a draft:
// it is created published in the same step.
func testPublishNew(t *testing.T, s signedcall.Store) {
	c := draft(t)
	a := ack(base.Add(time.Minute))
	if err := s.PublishCampaign(t.Context(), c, a); err != nil {
		t.Fatalf("PublishCampaign(never stored) = %v, want nil", err)
	}
	want := copyCampaign(t, c)
	want.State = signedcall.StateScheduled
	want.Acknowledgement = &a
	ignore := cmpopts.IgnoreFields(signedcall.Campaign{}, "UpdatedAt")
	diffCampaign(t, "Campaign after PublishCampaign(never stored)", want, getCampaign(t, s, c.ID), ignore)
}

// testPublishReplacesDraft publishes a definition that differs from the
// stored draft: what is published is exactly what was acknowledged.
func testPublishReplacesDraft(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	edited := copyCampaign(t, c)
	edited.Name = "edited before publishing"
	edited.Cap = 250
	a := ack(base.Add(time.Minute))
	if err := s.PublishCampaign(t.Context(), edited, a); err != nil {
		t.Fatalf("PublishCampaign(edited draft) = %v, want nil", err)
	}
	want := copyCampaign(t, edited)
	want.State = signedcall.StateScheduled
	want.Acknowledgement = &a
	want.CreatedAt = c.CreatedAt
	ignore := cmpopts.IgnoreFields(signedcall.Campaign{}, "UpdatedAt")
	diffCampaign(t, "Campaign after PublishCampaign(edited draft)", want, getCampaign(t, s, c.ID), ignore)
}

// testPublishIncomplete refuses an incomplete acknowledgement and stores
// nothing.
func testPublishIncomplete(t *testing.T, s signedcall.Store) {
	c := draft(t)
	a := ack(base)
	a.Statement = ""
	err := s.PublishCampaign(t.Context(), c, a)
	wantErr(t, "PublishCampaign(no statement)", err, signedcall.ErrNotAcknowledged)
	_, err = s.Campaign(t.Context(), c.ID)
	wantErr(t, "Campaign after refused PublishCampaign", err, signedcall.ErrNotFound)
}

// testTransition walks one campaign through its lifecycle; each step is a
// compare-and-set that either moves state and UpdatedAt or changes
// nothing.
func testTransition(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	if err := s.PublishCampaign(t.Context(), c, ack(base)); err != nil {
		t.Fatalf("PublishCampaign = %v, want nil", err)
	}

	type state = signedcall.CampaignState
	const (
		scheduled = signedcall.StateScheduled
		running   = signedcall.StateRunning
		paused    = signedcall.StatePaused
		completed = signedcall.StateCompleted
		stopped   = signedcall.StateStopped
	)
	steps := []struct {
		from    []state
		to      state
		at      time.Time
		wantErr error
	}{
		{[]state{running}, paused, base.Add(1 * time.Hour), signedcall.ErrStateConflict},
		{[]state{scheduled}, running, base.Add(2 * time.Hour), nil},
		{[]state{scheduled}, stopped, base.Add(3 * time.Hour), signedcall.ErrStateConflict},
		{[]state{paused}, running, base.Add(4 * time.Hour), signedcall.ErrStateConflict},
		{[]state{running, paused}, paused, base.Add(5 * time.Hour), nil},
		{nil, running, base.Add(6 * time.Hour), signedcall.ErrStateConflict},
		{[]state{paused}, running, base.Add(7 * time.Hour), nil},
		{[]state{scheduled, paused}, completed, base.Add(8 * time.Hour), signedcall.ErrStateConflict},
		{[]state{running}, completed, base.Add(9 * time.Hour), nil},
		{[]state{running, paused, scheduled}, stopped, base.Add(10 * time.Hour), signedcall.ErrStateConflict},
	}
	want := getCampaign(t, s, c.ID)
	for _, st := range steps {
		was := want.State
		err := s.TransitionCampaign(t.Context(), c.ID, st.from, st.to, st.at)
		what := fmt.Sprintf("TransitionCampaign(%s, from %v to %s)", was, st.from, st.to)
		wantErr(t, what, err, st.wantErr)
		if st.wantErr == nil {
			want.State, want.UpdatedAt = st.to, st.at
		}
		diffCampaign(t, "Campaign after "+what, want, getCampaign(t, s, c.ID))
	}
}

func testTransitionNotFound(t *testing.T, s signedcall.Store) {
	err := s.TransitionCampaign(t.Context(), uuid.New(),
		[]signedcall.CampaignState{signedcall.StateScheduled}, signedcall.StateRunning, base)
	wantErr(t, "TransitionCampaign(unknown ID)", err, signedcall.ErrNotFound)
}

package signedcall

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// cbNow is the mock clock's time in the builder tests:
// 2026-12-01T06:00:00.123456789Z, 1796104800123 ms after the epoch.
var cbNow = time.Date(2026, 12, 1, 6, 0, 0, 123456789, time.UTC)

const cbNowMillis = 1796104800123

func cbClock(t time.Time) *clock.Mock {
	m := clock.NewMock()
	m.Set(t)
	return m
}

// cbBuilder has every required setting except DND.
func cbBuilder(clk clock.Clock) *Builder {
	return NewCampaign("Winter sale").WithClock(clk).
		Audience(All(Flag(HasPhone), Did("Product Viewed").InLastDays(30))).
		TimeZone("Asia/Kolkata").
		Start(cbNow.Add(24 * time.Hour)).
		CutOff(cbNow.Add(72 * time.Hour)).
		CallContext("About your winter order")
}

func cbValid(clk clock.Clock) *Builder { return cbBuilder(clk).DNDHours("21:00", "09:00") }

func cbValidCampaign(t testing.TB) *Campaign {
	t.Helper()
	c, err := cbValid(cbClock(cbNow)).Build()
	if err != nil {
		t.Fatalf("valid campaign: %v", err)
	}
	return c
}

func TestCampaignBuilderValid(t *testing.T) {
	m := cbClock(cbNow)
	c, err := cbValid(m).Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"name", c.Name, "Winter sale"},
		{"state", c.State, StateDraft},
		{"policy", c.Delivery.Policy, PolicyDiscard},
		{"cap", c.Cap, 0},
		{"control", c.ControlPercent, 0.0},
		{"start", c.Schedule.Start, cbNow.Add(24 * time.Hour)},
		{"cut-off", c.Schedule.CutOff, cbNow.Add(72 * time.Hour)},
		{"zone", c.Schedule.TimeZone, "Asia/Kolkata"},
		{"hours", c.Delivery.DND.Hours, []Window{{At(21, 0), At(9, 0)}}},
		{"created", c.CreatedAt, cbNow},
		{"updated", c.UpdatedAt, cbNow},
		{"ack", c.Acknowledgement, (*Acknowledgement)(nil)},
	}
	for _, ch := range checks {
		if diff := cmp.Diff(ch.want, ch.got); diff != "" {
			t.Errorf("built campaign %s: (-want +got)\n%s", ch.what, diff)
		}
	}
}

func TestCampaignBuilderRules(t *testing.T) {
	past := cbNow.Add(-time.Second)
	start := cbNow.Add(24 * time.Hour)
	allDays := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	tests := []struct {
		name   string
		b      func(clk clock.Clock) *Builder
		fields []string // nil: Build succeeds
	}{
		{"valid", cbValid, nil},
		// cap
		{"cap 99", func(c clock.Clock) *Builder { return cbValid(c).Cap(99) }, []string{"cap"}},
		{"cap 100", func(c clock.Clock) *Builder { return cbValid(c).Cap(100) }, nil},
		{"cap 0", func(c clock.Clock) *Builder { return cbValid(c).Cap(0) }, nil},
		{"cap 1", func(c clock.Clock) *Builder { return cbValid(c).Cap(1) }, []string{"cap"}},
		{"cap -1", func(c clock.Clock) *Builder { return cbValid(c).Cap(-1) }, []string{"cap"}},
		{"cap 5000000", func(c clock.Clock) *Builder { return cbValid(c).Cap(5000000) }, nil},
		// DND
		{"DND missing", cbBuilder, []string{"delivery.dnd"}},
		{"DND days only", func(c clock.Clock) *Builder { return cbBuilder(c).DNDDays(time.Sunday) }, nil},
		{"DND window from == to", func(c clock.Clock) *Builder { return cbBuilder(c).DNDHours("10:00", "10:00") }, []string{"delivery.dnd.hours[0]"}},
		{"DND second window from == to", func(c clock.Clock) *Builder { return cbValid(c).DNDHours("13:00", "13:00") }, []string{"delivery.dnd.hours[1]"}},
		{"DND window 9:00", func(c clock.Clock) *Builder { return cbBuilder(c).DNDHours("9:00", "10:00") }, []string{"delivery.dnd.hours[0]"}},
		{"DND window 24:00", func(c clock.Clock) *Builder { return cbBuilder(c).DNDHours("22:00", "24:00") }, []string{"delivery.dnd.hours[0]"}},
		{"DND unparsable then from == to", func(c clock.Clock) *Builder {
			return cbBuilder(c).DNDHours("7pm", "9am").DNDHours("10:00", "10:00")
		}, []string{"delivery.dnd.hours[0]", "delivery.dnd.hours[1]"}},
		{"DND unparsable then valid", func(c clock.Clock) *Builder {
			return cbBuilder(c).DNDHours("7pm", "9am").DNDHours("21:00", "09:00")
		}, []string{"delivery.dnd.hours[0]"}},
		{"DND valid then unparsable", func(c clock.Clock) *Builder { return cbValid(c).DNDHours("", "") }, []string{"delivery.dnd.hours[1]"}},
		{"DND every weekday", func(c clock.Clock) *Builder { return cbBuilder(c).DNDDays(allDays...) }, []string{"delivery.dnd.days"}},
		{"DND weekday out of range", func(c clock.Clock) *Builder { return cbValid(c).DNDDays(time.Weekday(7)) }, []string{"delivery.dnd.days[0]"}},
		{"DND windows cover the day", func(c clock.Clock) *Builder {
			return cbBuilder(c).DNDHours("00:00", "12:00").DNDHours("12:00", "00:00")
		}, []string{"delivery.dnd.hours"}},
		{"DND window crossing midnight ok", func(c clock.Clock) *Builder { return cbBuilder(c).DNDHours("23:59", "00:00") }, nil},
		// policy
		{"policy defer", func(c clock.Clock) *Builder { return cbValid(c).Policy(PolicyDefer) }, nil},
		{"policy unknown", func(c clock.Clock) *Builder { return cbValid(c).Policy("later") }, []string{"delivery.policy"}},
		{"policy empty", func(c clock.Clock) *Builder { return cbValid(c).Policy("") }, []string{"delivery.policy"}},
		// schedule
		{"cut-off missing", func(c clock.Clock) *Builder { return cbValid(c).CutOff(time.Time{}) }, []string{"schedule.cut_off"}},
		{"cut-off at start", func(c clock.Clock) *Builder { return cbValid(c).CutOff(start) }, []string{"schedule.cut_off"}},
		{"cut-off before start", func(c clock.Clock) *Builder { return cbValid(c).CutOff(start.Add(-time.Minute)) }, []string{"schedule.cut_off"}},
		{"cut-off 1ns after start", func(c clock.Clock) *Builder { return cbValid(c).CutOff(start.Add(time.Nanosecond)) }, nil},
		{"start missing", func(c clock.Clock) *Builder { return cbValid(c).Start(time.Time{}) }, []string{"schedule.start"}},
		{"start 1s in the past", func(c clock.Clock) *Builder { return cbValid(c).Start(past) }, []string{"schedule.start"}},
		{"start 1ms in the past", func(c clock.Clock) *Builder { return cbValid(c).Start(cbNow.Add(-time.Millisecond)) }, []string{"schedule.start"}},
		{"start exactly now", func(c clock.Clock) *Builder { return cbValid(c).Start(cbNow) }, nil},
		{"start a day in the past", func(c clock.Clock) *Builder { return cbValid(c).Start(cbNow.AddDate(0, 0, -1)) }, []string{"schedule.start"}},
		{"start in the past with StartNow", func(c clock.Clock) *Builder { return cbValid(c).Start(past).StartNow() }, nil},
		{"start at now", func(c clock.Clock) *Builder { return cbValid(c).Start(cbNow) }, nil},
		{"StartNow without start", func(c clock.Clock) *Builder { return cbValid(c).Start(time.Time{}).StartNow() }, nil},
		{"StartNow after cut-off", func(c clock.Clock) *Builder { return cbValid(c).CutOff(cbNow).StartNow() }, []string{"schedule.cut_off"}},
		{"StartLocal in the past", func(c clock.Clock) *Builder { return cbValid(c).StartLocal(2026, 12, 1, 11, 29) }, []string{"schedule.start"}}, // 05:59Z
		{"StartLocal ahead", func(c clock.Clock) *Builder { return cbValid(c).StartLocal(2026, 12, 1, 11, 31) }, nil},                              // 06:01Z
		{"CutOffLocal at start", func(c clock.Clock) *Builder {
			return cbValid(c).StartLocal(2026, 12, 2, 9, 0).CutOffLocal(2026, 12, 2, 9, 0)
		}, []string{"schedule.cut_off"}},
		{"unknown time zone", func(c clock.Clock) *Builder { return cbValid(c).TimeZone("Mars/Olympus") }, []string{"schedule.time_zone"}},
		{"empty time zone", func(c clock.Clock) *Builder { return cbValid(c).TimeZone("") }, []string{"schedule.time_zone"}},
		{"Local time zone", func(c clock.Clock) *Builder { return cbValid(c).TimeZone("Local") }, []string{"schedule.time_zone"}},
		{"unknown time zone with local start and cut-off", func(c clock.Clock) *Builder {
			return cbValid(c).TimeZone("Mars/Olympus").StartLocal(2026, 12, 2, 9, 0).CutOffLocal(2026, 12, 3, 9, 0)
		}, []string{"schedule.time_zone"}},
		{"UTC time zone", func(c clock.Clock) *Builder { return cbValid(c).TimeZone("UTC") }, nil},
		// control group
		{"control -1", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(-1) }, []string{"control_percent"}},
		{"control -0.01", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(-0.01) }, []string{"control_percent"}},
		{"control 90.01", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(90.01) }, []string{"control_percent"}},
		{"control 91", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(91) }, []string{"control_percent"}},
		{"control NaN", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(math.NaN()) }, []string{"control_percent"}},
		{"control +Inf", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(math.Inf(1)) }, []string{"control_percent"}},
		{"control 12.345", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(12.345) }, []string{"control_percent"}},
		{"control 0", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(0) }, nil},
		{"control 90", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(90) }, nil},
		{"control 12.5", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(12.5) }, nil},
		{"control 0.29", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(0.29) }, nil},
		{"control 33.33", func(c clock.Clock) *Builder { return cbValid(c).ControlPercent(33.33) }, nil},
		// audience
		{"audience nil", func(c clock.Clock) *Builder { return cbValid(c).Audience(nil) }, []string{"audience"}},
		{"audience empty all", func(c clock.Clock) *Builder { return cbValid(c).Audience(All()) }, []string{"audience"}},
		{"audience centre lat 91", func(c clock.Clock) *Builder { return cbValid(c).Audience(WithinRadius(10, LatLng{91, 0})) }, []string{"audience.points[0]"}},
		{"audience centre lon NaN", func(c clock.Clock) *Builder {
			return cbValid(c).Audience(WithinRadius(10, LatLng{0, 0}, LatLng{0, math.NaN()}))
		}, []string{"audience.points[1]"}},
		{"audience radius 0", func(c clock.Clock) *Builder { return cbValid(c).Audience(WithinRadius(0, LatLng{0, 0})) }, []string{"audience.km"}},
		{"audience radius NaN", func(c clock.Clock) *Builder { return cbValid(c).Audience(WithinRadius(math.NaN(), LatLng{0, 0})) }, []string{"audience.km"}},
		{"audience radius 20001 nested", func(c clock.Clock) *Builder {
			return cbValid(c).Audience(All(Flag(HasPhone), WithinRadius(20001, LatLng{0, 0})))
		}, []string{"audience.of[1].km"}},
		{"audience radius 20000 ok", func(c clock.Clock) *Builder { return cbValid(c).Audience(WithinRadius(20000, LatLng{0, 0})) }, nil},
		{"audience pointer predicate", func(c clock.Clock) *Builder { e := Did("E"); return cbValid(c).Audience(&e) }, nil},
		// call context and name
		{"call context empty", func(c clock.Clock) *Builder { return cbValid(c).CallContext("") }, []string{"call_context"}},
		{"call context blank", func(c clock.Clock) *Builder { return cbValid(c).CallContext(" \t ") }, []string{"call_context"}},
		{"call context 121 characters", func(c clock.Clock) *Builder { return cbValid(c).CallContext(strings.Repeat("é", 121)) }, []string{"call_context"}},
		{"call context 120 characters", func(c clock.Clock) *Builder { return cbValid(c).CallContext(strings.Repeat("é", 120)) }, nil},
	}
	for _, tt := range tests {
		m := cbClock(cbNow)
		c, err := tt.b(m).Build()
		got := audValidationFields(t, tt.name, err)
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("%s: Build error fields (-want +got)\n%s\nerror: %v", tt.name, diff, err)
		}
		if (err == nil) != (c != nil) {
			t.Errorf("%s: Build returned campaign %v with error %v", tt.name, c != nil, err)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Build error %v does not match ErrInvalid", tt.name, err)
		}
	}

	// Names are checked through NewCampaign.
	for _, tt := range []struct {
		name   string
		fields []string
	}{
		{"", []string{"name"}},
		{"   ", []string{"name"}},
		{strings.Repeat("n", MaxNameLen), nil},
		{strings.Repeat("ñ", MaxNameLen+1), []string{"name"}},
	} {
		b := cbValid(cbClock(cbNow))
		b.c.Name = tt.name
		_, err := b.Build()
		if diff := cmp.Diff(tt.fields, audValidationFields(t, "name "+tt.name, err)); diff != "" {
			t.Errorf("name of %d characters: Build error fields (-want +got)\n%s", len([]rune(tt.name)), diff)
		}
	}
}

func TestCampaignBuilderReportsEveryProblem(t *testing.T) {
	m := cbClock(cbNow)
	_, err := NewCampaign("").WithClock(m).
		Cap(99).
		ControlPercent(91).
		TimeZone("Nowhere/Zone").
		Start(cbNow.Add(-time.Hour)).
		CutOff(cbNow.Add(-2*time.Hour)).
		DNDHours("10:00", "10:00").
		DNDHours("7am", "9am").
		Policy("later").
		CallContext("").
		Audience(All(WithinRadius(0, LatLng{100, 0}), Not(nil))).
		Build()
	want := []string{
		"audience.of[0].km",
		"audience.of[0].points[0]",
		"audience.of[1].predicate",
		"call_context",
		"cap",
		"control_percent",
		"delivery.dnd.hours[0]",
		"delivery.dnd.hours[1]",
		"delivery.policy",
		"name",
		"schedule.cut_off",
		"schedule.start",
		"schedule.time_zone",
	}
	got := audValidationFields(t, "many problems", err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Build error fields (-want +got)\n%s\nerror: %v", diff, err)
	}
	// ValidationErrors sees the same set.
	var viaHelper []string
	for _, ve := range ValidationErrors(err) {
		viaHelper = append(viaHelper, ve.Field)
	}
	slices.Sort(viaHelper)
	if diff := cmp.Diff(want, viaHelper); diff != "" {
		t.Errorf("ValidationErrors fields (-want +got)\n%s", diff)
	}
}

func TestCampaignBuilderLocalTimes(t *testing.T) {
	tests := []struct {
		name      string
		zone      string
		wall      [5]int // year, month, day, hour, minute
		wantStart time.Time
	}{
		// 02:30 on 2026-03-08 does not exist in New York: it moves forward
		// by the one-hour gap to 03:30 EDT = 07:30Z.
		{"spring-forward gap", "America/New_York", [5]int{2026, 3, 8, 2, 30}, time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		// 01:30 on 2026-11-01 happens twice; the first is EDT (05:30Z).
		{"fall-back repeat", "America/New_York", [5]int{2026, 11, 1, 1, 30}, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"Kolkata", "Asia/Kolkata", [5]int{2026, 12, 5, 10, 0}, time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		m := cbClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		w := tt.wall
		c, err := cbValid(m).TimeZone(tt.zone).
			StartLocal(w[0], time.Month(w[1]), w[2], w[3], w[4]).
			CutOffLocal(w[0], time.Month(w[1]), w[2]+1, w[3], w[4]).
			Build()
		if err != nil {
			t.Fatalf("%s: Build: %v", tt.name, err)
		}
		if !c.Schedule.Start.Equal(tt.wantStart) {
			t.Errorf("%s: StartLocal %v in %s: got %s, want %s", tt.name, w, tt.zone, c.Schedule.Start.UTC(), tt.wantStart)
		}
	}
	// The cut-off is resolved the same way.
	m := cbClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	c, err := cbValid(m).TimeZone("America/New_York").StartLocal(2026, 3, 7, 9, 0).CutOffLocal(2026, 3, 8, 2, 30).Build()
	if err != nil {
		t.Fatalf("cut-off in gap: Build: %v", err)
	}
	if want := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC); !c.Schedule.CutOff.Equal(want) {
		t.Errorf("CutOffLocal 2026-03-08 02:30 New York: got %s, want %s", c.Schedule.CutOff.UTC(), want)
	}
	if want := time.Date(2026, 3, 7, 14, 0, 0, 0, time.UTC); !c.Schedule.Start.Equal(want) {
		t.Errorf("StartLocal 2026-03-07 09:00 New York: got %s, want %s", c.Schedule.Start.UTC(), want)
	}
}

func TestCampaignBuilderStartNow(t *testing.T) {
	m := cbClock(cbNow)
	c, err := cbValid(m).Start(cbNow.Add(-48 * time.Hour)).StartNow().Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !c.Schedule.Start.Equal(cbNow) {
		t.Errorf("StartNow with mock clock at %s: start %s", cbNow, c.Schedule.Start)
	}
}

func TestCampaignBuilderUUIDv7(t *testing.T) {
	m := cbClock(cbNow)
	c1, err := cbValid(m).Build()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := cbValid(m).Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Campaign{c1, c2} {
		id := c.ID
		if id.Version() != 7 {
			t.Errorf("ID %s: version %d, want 7", id, id.Version())
		}
		if id.Variant() != uuid.RFC4122 {
			t.Errorf("ID %s: variant %v, want RFC 4122", id, id.Variant())
		}
		if id[6]>>4 != 7 || id[8]>>6 != 2 {
			t.Errorf("ID %s: version nibble %x, variant bits %b", id, id[6]>>4, id[8]>>6)
		}
		var ms int64
		for _, b := range id[:6] {
			ms = ms<<8 | int64(b)
		}
		if ms != cbNowMillis {
			t.Errorf("ID %s: timestamp %d ms, want %d (mock clock %s)", id, ms, cbNowMillis, cbNow)
		}
	}
	if c1.ID == c2.ID {
		t.Errorf("two builds at the same instant gave the same ID %s", c1.ID)
	}
	want := uuid.MustParse("0190f5c2-0000-7000-8000-000000000001")
	c3, err := cbValid(m).ID(want).Build()
	if err != nil {
		t.Fatal(err)
	}
	if c3.ID != want {
		t.Errorf("ID(%s): built ID %s", want, c3.ID)
	}
}

func TestCampaignBuilderBuildCopies(t *testing.T) {
	b := cbValid(cbClock(cbNow)).DNDDays(time.Sunday)
	c, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	b.DNDHours("01:00", "02:00").DNDDays(time.Monday).Cap(500)
	if len(c.Delivery.DND.Hours) != 1 || len(c.Delivery.DND.Days) != 1 || c.Cap != 0 {
		t.Errorf("changing the builder after Build changed the campaign: %+v", c.Delivery.DND)
	}
}

func TestCampaignPublishableAck(t *testing.T) {
	full := Acknowledgement{By: "ops@example.com", At: cbNow, Statement: DefaultStatement}
	tests := []struct {
		name   string
		ack    Acknowledgement
		fields []string // nil: publishable
	}{
		{"complete", full, nil},
		{"empty", Acknowledgement{}, []string{"acknowledgement.at", "acknowledgement.by", "acknowledgement.statement"}},
		{"missing by", Acknowledgement{At: cbNow, Statement: DefaultStatement}, []string{"acknowledgement.by"}},
		{"blank by", Acknowledgement{By: "  ", At: cbNow, Statement: DefaultStatement}, []string{"acknowledgement.by"}},
		{"missing at", Acknowledgement{By: "ops", Statement: DefaultStatement}, []string{"acknowledgement.at"}},
		{"missing statement", Acknowledgement{By: "ops", At: cbNow}, []string{"acknowledgement.statement"}},
		{"blank statement", Acknowledgement{By: "ops", At: cbNow, Statement: "\n"}, []string{"acknowledgement.statement"}},
	}
	c := cbValidCampaign(t)
	for _, tt := range tests {
		err := c.publishable(tt.ack)
		if tt.fields == nil {
			if err != nil {
				t.Errorf("%s: publishable: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrNotAcknowledged) {
			t.Errorf("%s: error %v does not match ErrNotAcknowledged", tt.name, err)
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: error %v holds no *ValidationError", tt.name, err)
		}
		var got []string
		for _, ve := range ValidationErrors(err) {
			got = append(got, ve.Field)
		}
		slices.Sort(got)
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("%s: acknowledgement fields (-want +got)\n%s", tt.name, diff)
		}
		for _, f := range tt.fields {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%s: error %q does not name %s", tt.name, err, f)
			}
		}
	}
	if c.State != StateDraft || c.Acknowledgement != nil {
		t.Errorf("publishable modified the campaign: state %s, ack %v", c.State, c.Acknowledgement)
	}

	scheduled := *c
	scheduled.State = StateScheduled
	if err := scheduled.publishable(full); !errors.Is(err, ErrStateConflict) {
		t.Errorf("publishable on a scheduled campaign: got %v, want ErrStateConflict", err)
	}
	broken := *c
	broken.CallContext = ""
	err := broken.publishable(full)
	if diff := cmp.Diff([]string{"call_context"}, audValidationFields(t, "publishable broken", err)); diff != "" {
		t.Errorf("publishable on an invalid campaign: fields (-want +got)\n%s", diff)
	}
}

func TestCampaignValidatePublishedState(t *testing.T) {
	base := cbValidCampaign(t)
	tests := []struct {
		name   string
		state  CampaignState
		ack    *Acknowledgement
		fields []string
	}{
		{"draft without ack", StateDraft, nil, nil},
		{"scheduled without ack", StateScheduled, nil, []string{"acknowledgement"}},
		{"running with partial ack", StateRunning, &Acknowledgement{By: "ops"}, []string{"acknowledgement.at", "acknowledgement.statement"}},
		{"completed with ack", StateCompleted, &Acknowledgement{By: "ops", At: cbNow, Statement: "ok"}, nil},
		{"unknown state", "archived", nil, []string{"state"}},
	}
	for _, tt := range tests {
		c := *base
		c.State, c.Acknowledgement = tt.state, tt.ack
		got := audValidationFields(t, tt.name, c.Validate(time.Time{}))
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("%s: Validate fields (-want +got)\n%s", tt.name, diff)
		}
	}
	// Once published, a start in the past is no longer an error.
	c := *base
	c.State, c.Acknowledgement = StateRunning, &Acknowledgement{By: "ops", At: cbNow, Statement: "ok"}
	if err := c.Validate(c.Schedule.Start.Add(time.Hour)); err != nil {
		t.Errorf("running campaign validated after its start: %v", err)
	}
	d := *base
	if got := audValidationFields(t, "draft after start", d.Validate(d.Schedule.Start.Add(time.Hour))); !slices.Equal(got, []string{"schedule.start"}) {
		t.Errorf("draft validated after its start: fields %v, want [schedule.start]", got)
	}
}

// ---- campaign JSON ----

var cbCmpOpts = cmp.Options{cmp.AllowUnexported(allPred{}, anyPred{}, notPred{})}

func cbFullCampaign(t *testing.T) *Campaign {
	t.Helper()
	c, err := cbBuilder(cbClock(cbNow)).
		Audience(ajEveryKind()).
		ControlPercent(12.5).
		Cap(500).
		DNDDays(time.Saturday, time.Sunday).
		DNDHours("21:00", "09:00").
		DNDHours("13:00", "14:00").
		Policy(PolicyDefer).
		Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	c.State = StateScheduled
	c.Acknowledgement = &Acknowledgement{By: "ops@example.com", At: cbNow.Add(time.Minute), Statement: DefaultStatement}
	return c
}

func TestCampaignJSONRoundTrip(t *testing.T) {
	c := cbFullCampaign(t)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var got Campaign
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal %s: %v", b, err)
	}
	if diff := cmp.Diff(c, &got, cbCmpOpts); diff != "" {
		t.Errorf("campaign JSON round trip (-want +got)\n%s", diff)
	}
	again, err := json.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("re-encoded campaign differs:\nfirst  %s\nsecond %s", b, again)
	}
	// A Campaign value encodes like a pointer to it.
	byValue, err := json.Marshal(*c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, byValue) {
		t.Errorf("Campaign value encodes differently from *Campaign:\npointer %s\nvalue   %s", b, byValue)
	}
	inStruct, err := json.Marshal(struct{ C Campaign }{*c})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"C":` + string(b) + `}`; string(inStruct) != want {
		t.Errorf("Campaign field encodes differently:\ngot  %s\nwant %s", inStruct, want)
	}
	if got.Validate(time.Time{}) != nil {
		t.Errorf("decoded campaign does not validate: %v", got.Validate(time.Time{}))
	}
}

func TestCampaignJSONRejects(t *testing.T) {
	c := cbFullCampaign(t)
	good, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		t.Helper()
		if !strings.Contains(string(good), old) {
			t.Fatalf("encoded campaign lacks %s: %s", old, good)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	tests := []struct {
		name string
		in   string
		want string // substring of the error
	}{
		{"version 2", edit(`"version":1`, `"version":2`), "version 2"},
		{"version 0", edit(`"version":1`, `"version":0`), "version 0"},
		{"version missing", edit(`"version":1,`, ``), "version 0"},
		{"unknown top-level field", edit(`"version":1,`, `"version":1,"colour":"red",`), `"colour"`},
		{"unknown schedule field", edit(`"time_zone":`, `"zone":"UTC","time_zone":`), `"zone"`},
		{"unknown acknowledgement field", edit(`"statement":`, `"signed":true,"statement":`), `"signed"`},
		{"bad clock 25:00", edit(`"from":"21:00"`, `"from":"25:00"`), "25:00"},
		{"bad clock 9:00", edit(`"to":"09:00"`, `"to":"9:00"`), "9:00"},
		{"bad weekday", edit(`"saturday"`, `"caturday"`), "caturday"},
		{"bad audience kind", edit(`"kind":"reach"`, `"kind":"reachable"`), `"reachable"`},
		{"bad audience date", edit(`"from":"2026-11-01"`, `"from":"2026-02-30"`), "2026-02-30"},
		{"bad start", edit(`"start":"2026-12-02T06:00:00.123456789Z"`, `"start":"yesterday"`), "yesterday"},
		{"bad id", edit(`"id":"`, `"id":"x`), "UUID"},
		{"cap as string", edit(`"cap":500`, `"cap":"500"`), "cap"},
		{"trailing data", string(good) + `{}`, "after"},
		{"not an object", `[]`, "campaign"},
	}
	for _, tt := range tests {
		var got Campaign
		err := json.Unmarshal([]byte(tt.in), &got)
		if err == nil {
			t.Errorf("%s: Unmarshal succeeded, want an error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not mention %s", tt.name, err, tt.want)
		}
	}
}

// cbGoldenCampaign is the documented campaign JSON shape, compact, in the
// order MarshalJSON writes it.
const cbGoldenCampaign = `{"version":1,` +
	`"id":"0190f5c2-7a4e-7b3c-9d2e-5f6a7b8c9d0e",` +
	`"name":"Winter sale",` +
	`"audience":{"kind":"all","of":[` +
	`{"kind":"reach","flag":"has_phone"},` +
	`{"kind":"not","predicate":{"kind":"reach","flag":"unsubscribed_sms"}},` +
	`{"kind":"did","event":"Product Viewed","count":{"op":"at_least","n":2},"last_days":30}` +
	`]},` +
	`"control_percent":10,` +
	`"cap":1000,` +
	`"schedule":{"start":"2026-12-05T10:00:00+05:30","cut_off":"2026-12-07T21:00:00+05:30","time_zone":"Asia/Kolkata"},` +
	`"delivery":{"dnd":{"days":["sunday"],"hours":[{"from":"21:00","to":"09:00"}]},"policy":"defer"},` +
	`"call_context":"About your winter order",` +
	`"state":"scheduled",` +
	`"acknowledgement":{"by":"ops@example.com","at":"2026-12-01T06:00:00Z","statement":"I agree."},` +
	`"created_at":"2026-12-01T05:00:00Z",` +
	`"updated_at":"2026-12-01T06:00:00Z"}`

func TestCampaignJSONGolden(t *testing.T) {
	var c Campaign
	if err := json.Unmarshal([]byte(cbGoldenCampaign), &c); err != nil {
		t.Fatalf("Unmarshal golden: %v", err)
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != cbGoldenCampaign {
		t.Errorf("golden campaign re-encoded differently:\ngot  %s\nwant %s", b, cbGoldenCampaign)
	}
	want := &Campaign{
		ID:   uuid.MustParse("0190f5c2-7a4e-7b3c-9d2e-5f6a7b8c9d0e"),
		Name: "Winter sale",
		Audience: All(
			Flag(HasPhone),
			Not(Flag(UnsubscribedSMS)),
			Did("Product Viewed").AtLeast(2).InLastDays(30),
		),
		ControlPercent: 10,
		Cap:            1000,
		Schedule: Schedule{
			Start:    time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC),
			CutOff:   time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC),
			TimeZone: "Asia/Kolkata",
		},
		Delivery: Preferences{
			DND:    DND{Days: []time.Weekday{time.Sunday}, Hours: []Window{{At(21, 0), At(9, 0)}}},
			Policy: PolicyDefer,
		},
		CallContext:     "About your winter order",
		State:           StateScheduled,
		Acknowledgement: &Acknowledgement{By: "ops@example.com", At: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), Statement: "I agree."},
		CreatedAt:       time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC),
		UpdatedAt:       time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, &c, cbCmpOpts); diff != "" {
		t.Errorf("golden campaign decoded (-want +got)\n%s", diff)
	}
	if err := c.Validate(time.Time{}); err != nil {
		t.Errorf("golden campaign does not validate: %v", err)
	}
}

// cbDocExample is the campaign example of doc.go, as written there.
const cbDocExample = `{
  "version": 1,
  "id": "0193a0e0-3c00-7000-8000-00000000a11c",
  "name": "Abandoned browse",
  "audience": {"kind": "all", "of": [
    {"kind": "did", "event": "Product Viewed", "count": {"op": "at_least", "n": 1}, "last_days": 30},
    {"kind": "did_not", "event": "Charged", "count": {"op": "at_least", "n": 1}, "last_days": 30},
    {"kind": "radius", "km": 25, "points": [{"lat": 40.75, "lon": -73.98}]},
    {"kind": "reach", "flag": "has_phone"}
  ]},
  "control_percent": 10,
  "cap": 500,
  "schedule": {"start": "2026-12-05T17:00:00Z", "cut_off": "2026-12-06T00:00:00Z", "time_zone": "America/New_York"},
  "delivery": {"dnd": {"days": ["sunday"], "hours": [{"from": "21:00", "to": "09:00"}]}, "policy": "discard"},
  "call_context": "About the items you looked at this week",
  "state": "draft",
  "created_at": "2026-12-05T13:00:00Z",
  "updated_at": "2026-12-05T13:00:00Z"
}`

func TestCampaignJSONDocExample(t *testing.T) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(cbDocExample)); err != nil {
		t.Fatal(err)
	}
	var c Campaign
	if err := json.Unmarshal([]byte(cbDocExample), &c); err != nil {
		t.Fatalf("Unmarshal doc.go example: %v", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != compact.String() {
		t.Errorf("doc.go example re-encoded differently:\ngot  %s\nwant %s", b, compact.String())
	}
	wantAudience := All(
		Did("Product Viewed").InLastDays(30),
		DidNot("Charged").InLastDays(30),
		WithinRadius(25, LatLng{40.75, -73.98}),
		Flag(HasPhone),
	)
	if diff := cmp.Diff(wantAudience, c.Audience, cbCmpOpts); diff != "" {
		t.Errorf("doc.go example audience (-want +got)\n%s", diff)
	}
	if err := c.Validate(time.Time{}); err != nil {
		t.Errorf("doc.go example does not validate: %v", err)
	}
}

package signedcall

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
)

func TestLimitRetryAt(t *testing.T) {
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	l := Limit{Max: 3, Window: Duration(time.Hour), Scope: ScopePersonCampaign}
	cases := []struct {
		name   string
		starts []time.Time
		at     time.Time
		ok     bool
		retry  time.Time
	}{
		{"none", nil, min(0), true, time.Time{}},
		{"two of three", []time.Time{min(0), min(10)}, min(20), true, time.Time{}},
		// The earliest of three stops counting an hour after it started.
		{"three", []time.Time{min(0), min(10), min(20)}, min(30), false, min(60)},
		{"three, unsorted", []time.Time{min(20), min(0), min(10)}, min(30), false, min(60)},
		{"three, at the hour", []time.Time{min(0), min(10), min(20)}, min(60), true, time.Time{}},
		// Four in the window: two must age out before one more is allowed.
		{"four", []time.Time{min(5), min(0), min(10), min(20)}, min(30), false, min(65)},
		{"old ones ignored", []time.Time{min(-120), min(-61), min(0), min(10)}, min(30), true, time.Time{}},
	}
	for _, tc := range cases {
		retry, ok := l.RetryAt(tc.starts, tc.at)
		if ok != tc.ok || !retry.Equal(tc.retry) {
			t.Errorf("%s: RetryAt(%v, +%s) = %s, %v; want %s, %v", tc.name, tc.starts, tc.at.Sub(base),
				retry.Format(time.TimeOnly), ok, tc.retry.Format(time.TimeOnly), tc.ok)
		}
	}
}

func validPack() *RulePack {
	p := &RulePack{ID: "ZZ-A1", Region: "ZZ-A1", Version: "1", Source: "a law", Checked: Date{2026, 12, 3}}
	p.Hours[time.Monday] = []Window{{At(9, 0), At(17, 0)}}
	return p
}

func TestRulePackValidate(t *testing.T) {
	if err := validPack().Validate(); err != nil {
		t.Fatalf("valid pack: %v", err)
	}
	cases := []struct {
		field string
		edit  func(p *RulePack)
	}{
		{"rule_pack.id", func(p *RulePack) { p.ID = "has space" }},
		{"rule_pack.id", func(p *RulePack) { p.ID = strings.Repeat("A", 33) }},
		{"rule_pack.region", func(p *RulePack) { p.Region = "usa" }},
		{"rule_pack.region", func(p *RulePack) { p.Region = "US-FLOR" }},
		{"rule_pack.version", func(p *RulePack) { p.Version = " " }},
		{"rule_pack.source", func(p *RulePack) { p.Source = "" }},
		{"rule_pack.checked", func(p *RulePack) { p.Checked = Date{2026, 2, 30} }},
		{"rule_pack.hours.monday[0]", func(p *RulePack) { p.Hours[time.Monday][0] = Window{At(21, 0), At(9, 0)} }},
		{"rule_pack.hours.monday[0]", func(p *RulePack) { p.Hours[time.Monday][0] = Window{At(9, 0), At(9, 0)} }},
		{"rule_pack.hours.monday[0]", func(p *RulePack) { p.Hours[time.Monday][0] = Window{At(9, 0), Clock(24 * 60)} }},
		{"rule_pack.hours", func(p *RulePack) { p.Hours[time.Monday] = nil }},
		{"rule_pack.limits[0].max", func(p *RulePack) { p.Limits = []Limit{{Max: 0, Window: Duration(time.Hour), Scope: ScopePerson}} }},
		{"rule_pack.limits[0].window", func(p *RulePack) {
			p.Limits = []Limit{{Max: 1, Window: Duration(400 * 24 * time.Hour), Scope: ScopePerson}}
		}},
		{"rule_pack.limits[0].scope", func(p *RulePack) { p.Limits = []Limit{{Max: 1, Window: Duration(time.Hour), Scope: ScopeCampaign}} }},
		{"rule_pack.limits[0].scope", func(p *RulePack) { p.Limits = []Limit{{Max: 1, Window: Duration(time.Hour), Scope: "any"}} }},
	}
	for _, tc := range cases {
		p := validPack()
		tc.edit(p)
		err := p.Validate()
		if !errors.Is(err, ErrInvalid) || !slices.ContainsFunc(ValidationErrors(err), func(v *ValidationError) bool { return v.Field == tc.field }) {
			t.Errorf("Validate(pack with bad %s) = %v, want a ValidationError for that field", tc.field, err)
		}
	}
	var nilPack *RulePack
	if err := nilPack.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(nil) = %v, want ErrInvalid", err)
	}
	if _, err := NewRuleSet(validPack(), &RulePack{ID: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewRuleSet(with an invalid pack) = %v, want ErrInvalid", err)
	}
}

func TestRuleSetForRegionAndOverride(t *testing.T) {
	mk := func(id, region, version string) *RulePack {
		p := validPack()
		p.ID, p.Region, p.Version = id, region, version
		return p
	}
	s, err := NewRuleSet(mk("US", "US", "1"), mk("US-FL", "US-FL", "1"), mk("US-OK", "US-OK", "1"), mk("CA", "CA", "1"))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ps []*RulePack) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Title())
		}
		return out
	}
	for _, tc := range []struct {
		country, sub string
		want         []string
	}{
		{"US", "US-FL", []string{"US@1", "US-FL@1"}},
		{"US", "", []string{"US@1"}},
		{"US", "US-TX", []string{"US@1"}},
		{"CA", "", []string{"CA@1"}},
		{"FR", "", nil},
		{"", "US-FL", nil},
	} {
		if got := ids(s.ForRegion(tc.country, tc.sub)); !slices.Equal(got, tc.want) {
			t.Errorf("ForRegion(%q, %q) = %v, want %v", tc.country, tc.sub, got, tc.want)
		}
	}
	if err := s.Add(mk("US-FL", "US-FL", "2")); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(s.ForRegion("US", "US-FL")), []string{"US@1", "US-FL@2"}; !slices.Equal(got, want) {
		t.Errorf("after override, ForRegion(US, US-FL) = %v, want %v", got, want)
	}
	if got, want := s.IDs(), []string{"CA", "US", "US-FL", "US-OK"}; !slices.Equal(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
	var empty *RuleSet
	if _, ok := empty.Pack("US"); ok || empty.ForRegion("US", "") != nil {
		t.Error("a nil RuleSet found a pack")
	}
}

func TestProfileLocator(t *testing.T) {
	cases := []struct {
		p    Profile
		want Location
	}{
		{Profile{TimeZone: "America/Chicago", Country: "us", Region: "OK"},
			Location{Zones: []string{"America/Chicago"}, Source: ZoneFromProfile, Countries: []string{"US"}, Subdivisions: []string{"US-OK"}}},
		{Profile{TimeZone: "Mars/Base", Country: "US", Region: "us-fl"},
			Location{Countries: []string{"US"}, Subdivisions: []string{"US-FL"}}},
		{Profile{Country: "IN", Region: "Maharashtra"}, Location{Countries: []string{"IN"}}},
		{Profile{Country: "USA", Region: "FL"}, Location{}},
		{Profile{Country: "FR", Region: "US-FL"}, Location{Countries: []string{"FR"}}},
		{Profile{TimeZone: "Local"}, Location{}},
	}
	for _, tc := range cases {
		got, err := ProfileLocator{}.Locate(&tc.p)
		if err != nil || !sameLocation(got, tc.want) {
			t.Errorf("Locate(zone %q, country %q, region %q) = %+v, %v; want %+v", tc.p.TimeZone, tc.p.Country, tc.p.Region, got, err, tc.want)
		}
	}
}

func sameLocation(a, b Location) bool {
	return slices.Equal(a.Zones, b.Zones) && a.Source == b.Source &&
		slices.Equal(a.Countries, b.Countries) && slices.Equal(a.Subdivisions, b.Subdivisions)
}

func TestCampaignRulesAndPaceValidateAndRoundTrip(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	b := func() *Builder {
		return NewCampaign("rules").WithClock(mock).Audience(Flag(HasPhone)).TimeZone("UTC").
			Start(mock.Now().Add(time.Hour)).CutOff(mock.Now().Add(2*time.Hour)).DNDHours("21:00", "09:00").CallContext("x")
	}
	c, err := b().RulePacks("US", "US-FL").RulePacksByCountry().Pace(10, time.Second).MaxConcurrent(4).Build()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Campaign
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Delivery.Rules.Packs, []string{"US", "US-FL"}) || !back.Delivery.Rules.ByCountry ||
		back.Delivery.Pace == nil || *back.Delivery.Pace != (Pace{10, Duration(time.Second)}) || back.Delivery.MaxConcurrent != 4 {
		t.Errorf("round trip of %s lost rules or pacing: %+v", data, back.Delivery)
	}
	if !strings.Contains(string(data), `"pace":{"calls":10,"per":"1s"}`) {
		t.Errorf("JSON %s lacks the pace as documented", data)
	}

	for _, tc := range []struct {
		field string
		b     *Builder
	}{
		{"delivery.rules.packs[0]", b().RulePacks("no spaces")},
		{"delivery.rules.packs[1]", b().RulePacks("US", "US")},
		{"delivery.pace.calls", b().Pace(0, time.Second)},
		{"delivery.pace.calls", b().Pace(MaxPaceCalls+1, time.Second)},
		{"delivery.pace.per", b().Pace(1, 0)},
		{"delivery.max_concurrent", b().MaxConcurrent(-1)},
	} {
		_, err := tc.b.Build()
		if !slices.ContainsFunc(ValidationErrors(err), func(v *ValidationError) bool { return v.Field == tc.field }) {
			t.Errorf("Build(bad %s) = %v, want a ValidationError for that field", tc.field, err)
		}
	}
}

func TestConfigLimitsValidated(t *testing.T) {
	for _, tc := range []struct {
		field string
		l     Limit
	}{
		{"config.limits[0].max", Limit{Max: -1, Window: Duration(time.Hour), Scope: ScopePerson}},
		{"config.limits[0].scope", Limit{Max: 1, Window: Duration(time.Hour), Scope: ScopeCampaign}},
	} {
		_, err := NewDispatcher(Config{Store: nopStore{}, Caller: nopCaller{}, Limits: []Limit{tc.l}})
		if !slices.ContainsFunc(ValidationErrors(err), func(v *ValidationError) bool { return v.Field == tc.field }) {
			t.Errorf("NewDispatcher(limit %s) = %v, want a ValidationError for %s", tc.l, err, tc.field)
		}
	}
}

func TestReachSummary(t *testing.T) {
	r := Reach{Qualified: 10, Control: 1, Unreachable: 2, Capped: 1, Targets: 6,
		UnreachableReasons: map[string]int{ReasonNoPhone: 1, ReasonInvalidPhone: 1}, UnknownTimeZones: 3,
		ZoneSources: map[ZoneSource]int{ZoneFromPhone: 4, ZoneFromCampaign: 2},
		Packs:       map[string]int{"US@1": 5, "US-FL@1": 2}, NoPack: 1}
	want := "10 qualify: 1 control, 2 unreachable, 1 over the cap, 6 to call.\n" +
		"Unreachable: invalid_phone 1, no_phone 1.\n" +
		"Profiles naming a time zone this host does not know: 3.\n" +
		"Time zones of those called, by source: phone 4, campaign 2.\n" +
		"Rule packs: US-FL@1 for 2, US@1 for 5.\n" +
		"Covered by no rule pack, protected only by the campaign's DND: 1.\n"
	if got := r.Summary(); got != want {
		t.Errorf("Summary() =\n%s\nwant\n%s", got, want)
	}
	if got := ComplianceStatement(r); !strings.HasPrefix(got, DefaultStatement) || !strings.HasSuffix(got, want) {
		t.Errorf("ComplianceStatement = %q, want the default statement then the summary", got)
	}
}

// nopStore and nopCaller fill required Config fields; NewDispatcher does
// not use them.
type nopStore struct{ Store }

type nopCaller struct{}

func (nopCaller) Call(context.Context, CallRequest) (Outcome, error) { return "", ErrNotDialled }

type nilCal struct{ m map[Date]bool }

func (c *nilCal) Holiday(d Date) (string, bool) { return "x", c.m[d] }

type panicCal struct{}

func (panicCal) Holiday(Date) (string, bool) { panic("calendar broke") }

func TestRulePackHostileCalendarsAndNils(t *testing.T) {
	p := validPack()
	var typedNil *nilCal
	p.Holidays = typedNil
	if err := p.Validate(); !slices.ContainsFunc(ValidationErrors(err), func(v *ValidationError) bool { return v.Field == "rule_pack.holidays" }) {
		t.Errorf("Validate(typed nil calendar) = %v, want a rule_pack.holidays error", err)
	}
	// Monday 7 Dec 2026 10:00 UTC, inside the pack's 09:00-17:00.
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p = validPack()
	if !p.Open(at, time.UTC) {
		t.Fatal("valid pack closed on Monday 10:00")
	}
	p.Holidays = panicCal{}
	if p.Open(at, time.UTC) {
		t.Error("Open with a panicking calendar = true, want false: no call on a date the pack cannot vouch for")
	}
	var rs *RuleSet
	if err := rs.Add(validPack()); !errors.Is(err, ErrInvalid) {
		t.Errorf("(*RuleSet)(nil).Add = %v, want ErrInvalid", err)
	}
	dnd := DND{Hours: []Window{{At(21, 0), At(9, 0)}}}
	if Allowed(dnd, nil, nil, at) {
		t.Error("Allowed with no zones = true, want false")
	}
	if _, ok := NextAllowed(dnd, nil, nil, at, at.Add(time.Hour)); ok {
		t.Error("NextAllowed with no zones found an instant, want none")
	}
	if Allowed(dnd, []*RulePack{nil}, []*time.Location{time.UTC}, at) || Allowed(dnd, nil, []*time.Location{nil}, at) {
		t.Error("Allowed with a nil pack or zone = true, want false")
	}
}

package rules_test

import (
	"slices"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/rules"
)

// edge is one instant, written in UTC, with the local time it stands for
// in the pack's zone, and whether the pack lets a call start then.
type edge struct {
	utc   time.Time
	local string
	want  bool
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func shipped(t *testing.T, id string) *signedcall.RulePack {
	t.Helper()
	p, ok := rules.Default().Pack(id)
	if !ok {
		t.Fatalf("Default().Pack(%q) not found", id)
	}
	return p
}

func TestOpen(t *testing.T) {
	tests := []struct {
		pack  string
		zone  string
		edges []edge
	}{
		{"US", "America/New_York", []edge{
			{utc(2026, 6, 10, 11, 59), "Wed 2026-06-10 07:59 EDT", false},
			{utc(2026, 6, 10, 12, 0), "Wed 2026-06-10 08:00 EDT", true},
			{utc(2026, 6, 11, 0, 59), "Wed 2026-06-10 20:59 EDT", true},
			{utc(2026, 6, 11, 1, 0), "Wed 2026-06-10 21:00 EDT", false},
			// Federal law has no holiday ban.
			{utc(2026, 7, 4, 16, 0), "Sat 2026-07-04 12:00 EDT", true},
			// Spring forward: 02:00 EST becomes 03:00 EDT on 2026-03-08.
			{utc(2026, 3, 8, 1, 59), "Sat 2026-03-07 20:59 EST", true},
			{utc(2026, 3, 8, 2, 0), "Sat 2026-03-07 21:00 EST", false},
			{utc(2026, 3, 8, 7, 30), "Sun 2026-03-08 03:30 EDT", false},
			{utc(2026, 3, 8, 11, 59), "Sun 2026-03-08 07:59 EDT", false},
			{utc(2026, 3, 8, 12, 0), "Sun 2026-03-08 08:00 EDT", true},
			{utc(2026, 3, 9, 0, 59), "Sun 2026-03-08 20:59 EDT", true},
			{utc(2026, 3, 9, 1, 0), "Sun 2026-03-08 21:00 EDT", false},
			// Fall back: 02:00 EDT becomes 01:00 EST on 2026-11-01.
			{utc(2026, 11, 1, 0, 59), "Sat 2026-10-31 20:59 EDT", true},
			{utc(2026, 11, 1, 1, 0), "Sat 2026-10-31 21:00 EDT", false},
			{utc(2026, 11, 1, 12, 30), "Sun 2026-11-01 07:30 EST", false},
			{utc(2026, 11, 1, 12, 59), "Sun 2026-11-01 07:59 EST", false},
			{utc(2026, 11, 1, 13, 0), "Sun 2026-11-01 08:00 EST", true},
			{utc(2026, 11, 2, 1, 59), "Sun 2026-11-01 20:59 EST", true},
			{utc(2026, 11, 2, 2, 0), "Sun 2026-11-01 21:00 EST", false},
		}},
		{"US-FL", "America/New_York", []edge{
			{utc(2026, 6, 10, 11, 59), "Wed 2026-06-10 07:59 EDT", false},
			{utc(2026, 6, 10, 12, 0), "Wed 2026-06-10 08:00 EDT", true},
			{utc(2026, 6, 10, 23, 59), "Wed 2026-06-10 19:59 EDT", true},
			{utc(2026, 6, 11, 0, 0), "Wed 2026-06-10 20:00 EDT", false},
			{utc(2026, 6, 14, 16, 0), "Sun 2026-06-14 12:00 EDT", true},
			{utc(2026, 11, 2, 0, 59), "Sun 2026-11-01 19:59 EST", true},
			{utc(2026, 11, 2, 1, 0), "Sun 2026-11-01 20:00 EST", false},
		}},
		{"US-OK", "America/Chicago", []edge{
			{utc(2026, 6, 10, 12, 59), "Wed 2026-06-10 07:59 CDT", false},
			{utc(2026, 6, 10, 13, 0), "Wed 2026-06-10 08:00 CDT", true},
			{utc(2026, 6, 11, 0, 59), "Wed 2026-06-10 19:59 CDT", true},
			{utc(2026, 6, 11, 1, 0), "Wed 2026-06-10 20:00 CDT", false},
			{utc(2026, 12, 9, 13, 59), "Wed 2026-12-09 07:59 CST", false},
			{utc(2026, 12, 9, 14, 0), "Wed 2026-12-09 08:00 CST", true},
		}},
		{"US-MD", "America/New_York", []edge{
			{utc(2026, 6, 10, 11, 59), "Wed 2026-06-10 07:59 EDT", false},
			{utc(2026, 6, 10, 12, 0), "Wed 2026-06-10 08:00 EDT", true},
			{utc(2026, 6, 10, 23, 59), "Wed 2026-06-10 19:59 EDT", true},
			{utc(2026, 6, 11, 0, 0), "Wed 2026-06-10 20:00 EDT", false},
		}},
		{"US-WA", "America/Los_Angeles", []edge{
			{utc(2026, 6, 10, 14, 59), "Wed 2026-06-10 07:59 PDT", false},
			{utc(2026, 6, 10, 15, 0), "Wed 2026-06-10 08:00 PDT", true},
			{utc(2026, 6, 11, 2, 59), "Wed 2026-06-10 19:59 PDT", true},
			{utc(2026, 6, 11, 3, 0), "Wed 2026-06-10 20:00 PDT", false},
		}},
		{"US-RI", "America/New_York", []edge{
			{utc(2026, 6, 10, 12, 59), "Wed 2026-06-10 08:59 EDT", false},
			{utc(2026, 6, 10, 13, 0), "Wed 2026-06-10 09:00 EDT", true},
			{utc(2026, 6, 10, 21, 59), "Wed 2026-06-10 17:59 EDT", true},
			{utc(2026, 6, 10, 22, 0), "Wed 2026-06-10 18:00 EDT", false},
			{utc(2026, 6, 13, 13, 59), "Sat 2026-06-13 09:59 EDT", false},
			{utc(2026, 6, 13, 14, 0), "Sat 2026-06-13 10:00 EDT", true},
			{utc(2026, 6, 13, 20, 59), "Sat 2026-06-13 16:59 EDT", true},
			{utc(2026, 6, 13, 21, 0), "Sat 2026-06-13 17:00 EDT", false},
			{utc(2026, 6, 14, 16, 0), "Sun 2026-06-14 12:00 EDT", false},
			// 4 July 2026 is a Saturday: federally observed on Friday 3 July,
			// by the state on Monday 6 July.
			{utc(2026, 7, 2, 16, 0), "Thu 2026-07-02 12:00 EDT", true},
			{utc(2026, 7, 3, 16, 0), "Fri 2026-07-03 12:00 EDT (Independence Day observed)", false},
			{utc(2026, 7, 4, 16, 0), "Sat 2026-07-04 12:00 EDT (Independence Day)", false},
			{utc(2026, 7, 6, 16, 0), "Mon 2026-07-06 12:00 EDT (Independence Day, state observance)", false},
			{utc(2026, 7, 7, 16, 0), "Tue 2026-07-07 12:00 EDT", true},
			{utc(2026, 5, 4, 16, 0), "Mon 2026-05-04 12:00 EDT (Rhode Island Independence Day)", false},
			{utc(2026, 8, 3, 16, 0), "Mon 2026-08-03 12:00 EDT", true},
			{utc(2026, 8, 10, 16, 0), "Mon 2026-08-10 12:00 EDT (Victory Day)", false},
			{utc(2026, 11, 3, 17, 0), "Tue 2026-11-03 12:00 EST (election day)", false},
			{utc(2026, 11, 26, 17, 0), "Thu 2026-11-26 12:00 EST (Thanksgiving)", false},
			{utc(2026, 11, 27, 17, 0), "Fri 2026-11-27 12:00 EST", true},
		}},
		{"CA", "America/Toronto", []edge{
			{utc(2026, 6, 10, 12, 59), "Wed 2026-06-10 08:59 EDT", false},
			{utc(2026, 6, 10, 13, 0), "Wed 2026-06-10 09:00 EDT", true},
			{utc(2026, 6, 11, 1, 29), "Wed 2026-06-10 21:29 EDT", true},
			{utc(2026, 6, 11, 1, 30), "Wed 2026-06-10 21:30 EDT", false},
			{utc(2026, 6, 13, 13, 59), "Sat 2026-06-13 09:59 EDT", false},
			{utc(2026, 6, 13, 14, 0), "Sat 2026-06-13 10:00 EDT", true},
			{utc(2026, 6, 13, 21, 59), "Sat 2026-06-13 17:59 EDT", true},
			{utc(2026, 6, 13, 22, 0), "Sat 2026-06-13 18:00 EDT", false},
			{utc(2026, 6, 14, 13, 59), "Sun 2026-06-14 09:59 EDT", false},
			{utc(2026, 6, 14, 14, 0), "Sun 2026-06-14 10:00 EDT", true},
			{utc(2026, 6, 14, 21, 59), "Sun 2026-06-14 17:59 EDT", true},
			{utc(2026, 6, 14, 22, 0), "Sun 2026-06-14 18:00 EDT", false},
			{utc(2026, 12, 10, 2, 29), "Wed 2026-12-09 21:29 EST", true},
			{utc(2026, 12, 10, 2, 30), "Wed 2026-12-09 21:30 EST", false},
		}},
		{"IN", "Asia/Kolkata", []edge{
			{utc(2026, 6, 10, 3, 29), "Wed 2026-06-10 08:59 IST", false},
			{utc(2026, 6, 10, 3, 30), "Wed 2026-06-10 09:00 IST", true},
			{utc(2026, 6, 10, 15, 29), "Wed 2026-06-10 20:59 IST", true},
			{utc(2026, 6, 10, 15, 30), "Wed 2026-06-10 21:00 IST", false},
			{utc(2026, 6, 14, 6, 30), "Sun 2026-06-14 12:00 IST", true},
		}},
		{"AU", "Australia/Sydney", []edge{
			{utc(2026, 6, 9, 22, 59), "Wed 2026-06-10 08:59 AEST", false},
			{utc(2026, 6, 9, 23, 0), "Wed 2026-06-10 09:00 AEST", true},
			{utc(2026, 6, 10, 9, 59), "Wed 2026-06-10 19:59 AEST", true},
			{utc(2026, 6, 10, 10, 0), "Wed 2026-06-10 20:00 AEST", false},
			{utc(2026, 6, 12, 22, 59), "Sat 2026-06-13 08:59 AEST", false},
			{utc(2026, 6, 12, 23, 0), "Sat 2026-06-13 09:00 AEST", true},
			{utc(2026, 6, 13, 6, 59), "Sat 2026-06-13 16:59 AEST", true},
			{utc(2026, 6, 13, 7, 0), "Sat 2026-06-13 17:00 AEST", false},
			{utc(2026, 6, 14, 2, 0), "Sun 2026-06-14 12:00 AEST", false},
			// DST ends: 03:00 AEDT becomes 02:00 AEST on Sunday 2026-04-05,
			// Easter Sunday, between Good Friday and Easter Monday.
			{utc(2026, 4, 3, 1, 0), "Fri 2026-04-03 12:00 AEDT (Good Friday)", false},
			{utc(2026, 4, 3, 21, 59), "Sat 2026-04-04 08:59 AEDT", false},
			{utc(2026, 4, 3, 22, 0), "Sat 2026-04-04 09:00 AEDT", true},
			{utc(2026, 4, 4, 5, 59), "Sat 2026-04-04 16:59 AEDT", true},
			{utc(2026, 4, 4, 6, 0), "Sat 2026-04-04 17:00 AEDT", false},
			{utc(2026, 4, 5, 2, 0), "Sun 2026-04-05 12:00 AEST", false},
			{utc(2026, 4, 6, 2, 0), "Mon 2026-04-06 12:00 AEST (Easter Monday)", false},
			{utc(2026, 4, 6, 22, 59), "Tue 2026-04-07 08:59 AEST", false},
			{utc(2026, 4, 6, 23, 0), "Tue 2026-04-07 09:00 AEST", true},
			// DST starts: 02:00 AEST becomes 03:00 AEDT on Sunday 2026-10-04.
			// Monday 5 October is Labour Day in NSW only, not national.
			{utc(2026, 10, 3, 6, 59), "Sat 2026-10-03 16:59 AEST", true},
			{utc(2026, 10, 3, 7, 0), "Sat 2026-10-03 17:00 AEST", false},
			{utc(2026, 10, 4, 1, 0), "Sun 2026-10-04 12:00 AEDT", false},
			{utc(2026, 10, 4, 21, 59), "Mon 2026-10-05 08:59 AEDT", false},
			{utc(2026, 10, 4, 22, 0), "Mon 2026-10-05 09:00 AEDT", true},
			{utc(2026, 10, 5, 8, 59), "Mon 2026-10-05 19:59 AEDT", true},
			{utc(2026, 10, 5, 9, 0), "Mon 2026-10-05 20:00 AEDT", false},
			// Boxing Day 2026 is a Saturday, substituted on Monday 28 December.
			{utc(2026, 12, 24, 1, 0), "Thu 2026-12-24 12:00 AEDT", true},
			{utc(2026, 12, 25, 1, 0), "Fri 2026-12-25 12:00 AEDT (Christmas Day)", false},
			{utc(2026, 12, 26, 1, 0), "Sat 2026-12-26 12:00 AEDT (Boxing Day)", false},
			{utc(2026, 12, 28, 1, 0), "Mon 2026-12-28 12:00 AEDT (Boxing Day observed)", false},
			{utc(2026, 12, 29, 1, 0), "Tue 2026-12-29 12:00 AEDT", true},
			{utc(2026, 1, 26, 1, 0), "Mon 2026-01-26 12:00 AEDT (Australia Day)", false},
			{utc(2026, 4, 25, 2, 0), "Sat 2026-04-25 12:00 AEST (ANZAC Day)", false},
			{utc(2026, 4, 27, 2, 0), "Mon 2026-04-27 12:00 AEST (ANZAC Day substitute)", false},
			{utc(2026, 4, 28, 2, 0), "Tue 2026-04-28 12:00 AEST", true},
			// King's Birthday (Mon 2026-06-08 in NSW) is a state holiday.
			{utc(2026, 6, 8, 2, 0), "Mon 2026-06-08 12:00 AEST", true},
		}},
		{"FR", "Europe/Paris", []edge{
			{utc(2026, 6, 10, 7, 59), "Wed 2026-06-10 09:59 CEST", false},
			{utc(2026, 6, 10, 8, 0), "Wed 2026-06-10 10:00 CEST", true},
			{utc(2026, 6, 10, 10, 59), "Wed 2026-06-10 12:59 CEST", true},
			{utc(2026, 6, 10, 11, 0), "Wed 2026-06-10 13:00 CEST (lunch break)", false},
			{utc(2026, 6, 10, 11, 30), "Wed 2026-06-10 13:30 CEST (lunch break)", false},
			{utc(2026, 6, 10, 11, 59), "Wed 2026-06-10 13:59 CEST (lunch break)", false},
			{utc(2026, 6, 10, 12, 0), "Wed 2026-06-10 14:00 CEST", true},
			{utc(2026, 6, 10, 17, 59), "Wed 2026-06-10 19:59 CEST", true},
			{utc(2026, 6, 10, 18, 0), "Wed 2026-06-10 20:00 CEST", false},
			{utc(2026, 6, 13, 10, 0), "Sat 2026-06-13 12:00 CEST", false},
			{utc(2026, 6, 14, 10, 0), "Sun 2026-06-14 12:00 CEST", false},
			{utc(2026, 7, 14, 9, 0), "Tue 2026-07-14 11:00 CEST (Fête nationale)", false},
			{utc(2026, 7, 15, 9, 0), "Wed 2026-07-15 11:00 CEST", true},
			{utc(2026, 4, 6, 9, 0), "Mon 2026-04-06 11:00 CEST (Lundi de Pâques)", false},
			{utc(2026, 5, 14, 9, 0), "Thu 2026-05-14 11:00 CEST (Ascension)", false},
			{utc(2026, 5, 25, 9, 0), "Mon 2026-05-25 11:00 CEST (Lundi de Pentecôte)", false},
			// DST starts: 02:00 CET becomes 03:00 CEST on Sunday 2026-03-29.
			{utc(2026, 3, 27, 18, 59), "Fri 2026-03-27 19:59 CET", true},
			{utc(2026, 3, 27, 19, 0), "Fri 2026-03-27 20:00 CET", false},
			{utc(2026, 3, 29, 10, 0), "Sun 2026-03-29 12:00 CEST", false},
			{utc(2026, 3, 30, 7, 59), "Mon 2026-03-30 09:59 CEST", false},
			{utc(2026, 3, 30, 8, 0), "Mon 2026-03-30 10:00 CEST", true},
			{utc(2026, 3, 30, 17, 59), "Mon 2026-03-30 19:59 CEST", true},
			{utc(2026, 3, 30, 18, 0), "Mon 2026-03-30 20:00 CEST", false},
			// DST ends: 03:00 CEST becomes 02:00 CET on Sunday 2026-10-25.
			{utc(2026, 10, 23, 17, 59), "Fri 2026-10-23 19:59 CEST", true},
			{utc(2026, 10, 23, 18, 0), "Fri 2026-10-23 20:00 CEST", false},
			{utc(2026, 10, 25, 11, 0), "Sun 2026-10-25 12:00 CET", false},
			{utc(2026, 10, 26, 8, 59), "Mon 2026-10-26 09:59 CET", false},
			{utc(2026, 10, 26, 9, 0), "Mon 2026-10-26 10:00 CET", true},
			{utc(2026, 10, 26, 11, 59), "Mon 2026-10-26 12:59 CET", true},
			{utc(2026, 10, 26, 12, 0), "Mon 2026-10-26 13:00 CET (lunch break)", false},
			{utc(2026, 10, 26, 13, 0), "Mon 2026-10-26 14:00 CET", true},
			{utc(2026, 10, 26, 18, 59), "Mon 2026-10-26 19:59 CET", true},
			{utc(2026, 10, 26, 19, 0), "Mon 2026-10-26 20:00 CET", false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.pack, func(t *testing.T) {
			p := shipped(t, tt.pack)
			loc := loadZone(t, tt.zone)
			for _, e := range tt.edges {
				if got := p.Open(e.utc, loc); got != e.want {
					t.Errorf("%s Open(%s = %s %s) = %v, want %v",
						tt.pack, e.utc.Format(time.RFC3339), e.local, tt.zone, got, e.want)
				}
			}
		})
	}
}

func TestPacksValidate(t *testing.T) {
	for _, p := range rules.Packs() {
		if err := p.Validate(); err != nil {
			t.Errorf("pack %s Validate() = %v, want nil", p.ID, err)
		}
	}
}

func TestPacksMetadata(t *testing.T) {
	wantIDs := []string{"AU", "CA", "FR", "IN", "US", "US-FL", "US-MD", "US-OK", "US-RI", "US-WA"}
	ps := rules.Packs()
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
		if p.Region != p.ID {
			t.Errorf("pack %s Region = %q, want %q", p.ID, p.Region, p.ID)
		}
		if p.Version != "2026.12.1" {
			t.Errorf("pack %s Version = %q, want 2026.12.1", p.ID, p.Version)
		}
		if want := (signedcall.Date{Year: 2026, Month: time.December, Day: 3}); p.Checked != want {
			t.Errorf("pack %s Checked = %v, want %v", p.ID, p.Checked, want)
		}
		if p.Name == "" || p.Source == "" {
			t.Errorf("pack %s Name = %q, Source = %q, want both set", p.ID, p.Name, p.Source)
		}
		if (p.Holidays == nil) != (p.HolidayRule == "") {
			t.Errorf("pack %s has Holidays %v but HolidayRule %q: want both or neither", p.ID, p.Holidays != nil, p.HolidayRule)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("Packs() IDs = %v, want %v", ids, wantIDs)
	}
	if got := rules.Default().IDs(); !slices.Equal(got, wantIDs) {
		t.Errorf("Default().IDs() = %v, want %v", got, wantIDs)
	}
}

func TestPacksLimits(t *testing.T) {
	day := signedcall.Duration(24 * time.Hour)
	sameSubject := []signedcall.Limit{{Max: 3, Window: day, Scope: signedcall.ScopePersonCampaign}}
	want := map[string][]signedcall.Limit{
		"US-FL": sameSubject,
		"US-OK": sameSubject,
		"US-MD": sameSubject,
		"FR":    {{Max: 4, Window: 30 * day, Scope: signedcall.ScopePerson}},
	}
	for _, p := range rules.Packs() {
		if got := p.Limits; !slices.Equal(got, want[p.ID]) {
			t.Errorf("pack %s Limits = %v, want %v", p.ID, got, want[p.ID])
		}
	}
}

func TestDefaultIndependent(t *testing.T) {
	a, b := rules.Default(), rules.Default()
	override := &signedcall.RulePack{
		ID: "US", Region: "US", Name: "house rule", Version: "house.1",
		Source: "internal policy", Checked: signedcall.Date{Year: 2026, Month: time.December, Day: 1},
	}
	override.Hours[time.Monday] = []signedcall.Window{{From: signedcall.At(10, 0), To: signedcall.At(12, 0)}}
	if err := a.Add(override); err != nil {
		t.Fatalf("Add(override) = %v", err)
	}
	if err := a.Add(&signedcall.RulePack{
		ID: "XX", Region: "DE", Version: "1", Source: "s", Checked: override.Checked,
		Hours: override.Hours,
	}); err != nil {
		t.Fatalf("Add(XX) = %v", err)
	}

	got, _ := b.Pack("US")
	if got.Version != "2026.12.1" {
		t.Errorf("after overriding US in one set, another set's US Version = %q, want 2026.12.1", got.Version)
	}
	if _, ok := b.Pack("XX"); ok {
		t.Errorf("pack XX added to one set appears in another")
	}
	if c, _ := rules.Default().Pack("US"); c.Version != "2026.12.1" {
		t.Errorf("after overriding US in one set, a new Default() US Version = %q, want 2026.12.1", c.Version)
	}
}

func TestPacksFresh(t *testing.T) {
	first := rules.Packs()
	for _, p := range first {
		p.Hours[time.Wednesday][0].To = p.Hours[time.Wednesday][0].From + 1
		p.Limits = append(p.Limits, signedcall.Limit{Max: 1})
		p.Name = "changed"
	}
	for _, p := range rules.Packs() {
		if p.Name == "changed" {
			t.Errorf("pack %s: Name changed through an earlier Packs() result", p.ID)
		}
		if w := p.Hours[time.Wednesday][0]; w.To == w.From+1 {
			t.Errorf("pack %s: Wednesday window %s changed through an earlier Packs() result", p.ID, w)
		}
		if slices.Contains(p.Limits, signedcall.Limit{Max: 1}) {
			t.Errorf("pack %s: Limits changed through an earlier Packs() result", p.ID)
		}
	}
}

// ForRegion hands a Florida call both the federal and the state pack.
func TestForRegion(t *testing.T) {
	tests := []struct {
		country, sub string
		want         []string
	}{
		{"US", "US-FL", []string{"US", "US-FL"}},
		{"US", "US-RI", []string{"US", "US-RI"}},
		{"US", "US-TX", []string{"US"}},
		{"AU", "AU-NSW", []string{"AU"}},
		{"FR", "", []string{"FR"}},
		{"DE", "", nil},
	}
	s := rules.Default()
	for _, tt := range tests {
		var got []string
		for _, p := range s.ForRegion(tt.country, tt.sub) {
			got = append(got, p.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ForRegion(%q, %q) = %v, want %v", tt.country, tt.sub, got, tt.want)
		}
	}
}

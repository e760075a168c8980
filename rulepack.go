package signedcall

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// HolidayCalendar says which local dates are public holidays in a
// pack's region. Implementations must be safe for concurrent use.
type HolidayCalendar interface {
	// Holiday reports whether the date is a holiday on which the pack
	// allows no calls, and its name. A holiday that falls on a weekend
	// and is observed on a weekday should be reported on both dates
	// when the law bans calls on either.
	Holiday(d Date) (name string, ok bool)
}

// RulePack is the law of one region as data: the hours calls may start
// in the called person's local time, the dates with no calls, and
// limits per person. Packs are versioned and say where they come from,
// so the summary a publisher acknowledges can name them. A RulePack is
// read-only once added to a [RuleSet].
type RulePack struct {
	// ID names the pack in a RuleSet and on deliveries. By convention it
	// is the region code ("US", "US-FL").
	ID string `json:"id"`
	// Region is where the pack applies: an ISO 3166-1 alpha-2 country
	// ("US"), or an ISO 3166-2 subdivision ("US-FL").
	Region string `json:"region"`
	// Name is a short human title ("Florida Telephone Solicitation Act").
	Name string `json:"name"`
	// Version changes whenever the rules change.
	Version string `json:"version"`
	// Source cites the law the pack encodes, and Checked is when that
	// citation was last checked against the rules here.
	Source  string `json:"source"`
	Checked Date   `json:"checked"`

	// Hours lists, per weekday (indexed by time.Weekday), the local
	// windows [From, To) in which a call may start. A weekday without
	// windows has no calls. Windows here must not cross midnight.
	Hours [7][]Window `json:"-"`
	// Holidays, when set, names dates with no calls at all.
	Holidays HolidayCalendar `json:"-"`
	// HolidayRule describes Holidays in words for summaries ("US federal
	// holidays, actual and observed days").
	HolidayRule string `json:"holiday_rule,omitempty"`
	// Limits are per-person limits the region imposes. Their scope must
	// be ScopePersonCampaign or ScopePerson.
	Limits []Limit `json:"limits,omitempty"`
}

// Title returns "ID@Version".
func (p *RulePack) Title() string { return p.ID + "@" + p.Version }

// Validate reports every broken rule of the pack, naming the field.
func (p *RulePack) Validate() error {
	if p == nil {
		return invalid("rule_pack", "is nil")
	}
	var errs []error
	if !validPackID(p.ID) {
		errs = append(errs, invalid("rule_pack.id", "must be 1 to 32 letters, digits or '-', got %q", p.ID))
	}
	if !validRegion(p.Region) {
		errs = append(errs, invalid("rule_pack.region", "must be an ISO 3166 code like \"US\" or \"US-FL\", got %q", p.Region))
	}
	if strings.TrimSpace(p.Version) == "" {
		errs = append(errs, invalid("rule_pack.version", "is required"))
	}
	if strings.TrimSpace(p.Source) == "" {
		errs = append(errs, invalid("rule_pack.source", "is required"))
	}
	if !p.Checked.valid() {
		errs = append(errs, invalid("rule_pack.checked", "is required and must be a real date"))
	}
	if p.Holidays != nil {
		if v := reflect.ValueOf(p.Holidays); (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map ||
			v.Kind() == reflect.Func || v.Kind() == reflect.Slice) && v.IsNil() {
			errs = append(errs, invalid("rule_pack.holidays", "is a nil %T; leave it unset for no holidays", p.Holidays))
		}
	}
	open := false
	for wd, ws := range p.Hours {
		for i, w := range ws {
			f := fmt.Sprintf("rule_pack.hours.%s[%d]", strings.ToLower(time.Weekday(wd).String()), i)
			switch {
			case !w.From.valid() || !w.To.valid():
				errs = append(errs, invalid(f, "times must be 00:00 to 23:59"))
			case w.From >= w.To:
				errs = append(errs, invalid(f, "must end after it starts on the same day, got %s", w))
			default:
				open = true
			}
		}
	}
	if !open {
		errs = append(errs, invalid("rule_pack.hours", "allow no call on any day"))
	}
	for i, l := range p.Limits {
		f := fmt.Sprintf("rule_pack.limits[%d]", i)
		errs = append(errs, l.validate(f)...)
		if l.Scope == ScopeCampaign {
			errs = append(errs, invalid(f+".scope", "a pack limits calls per person, not per campaign"))
		}
	}
	return errors.Join(errs...)
}

func validPackID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// validRegion accepts "CC" and "CC-SUB" with SUB of 1 to 3 letters or
// digits, upper case, as ISO 3166-2 writes them.
func validRegion(r string) bool {
	country, sub, hasSub := strings.Cut(r, "-")
	if len(country) != 2 || !isUpper(country) {
		return false
	}
	if !hasSub {
		return true
	}
	if len(sub) < 1 || len(sub) > 3 {
		return false
	}
	for _, c := range sub {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isUpper(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Country returns the country part of the pack's region ("US").
func (p *RulePack) Country() string { c, _, _ := strings.Cut(p.Region, "-"); return c }

// Open reports whether the pack allows a call to start at t for a
// person in loc: t's local weekday has a window containing its local
// time, and its local date is not a holiday.
func (p *RulePack) Open(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	c := clockOf(lt)
	if !slices.ContainsFunc(p.Hours[lt.Weekday()], func(w Window) bool { return w.Contains(c) }) {
		return false
	}
	return !p.holiday(lt)
}

// holiday reports whether lt's date is a holiday of the pack. A
// calendar that panics is read as a holiday: no call starts on a date
// the pack cannot vouch for.
func (p *RulePack) holiday(lt time.Time) (ok bool) {
	if p.Holidays == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = true
		}
	}()
	y, m, d := lt.Date()
	_, ok = p.Holidays.Holiday(Date{y, m, d})
	return ok
}

// boundaries lists the times of day at which the pack's openness may
// change, sorted.
func (p *RulePack) boundaries() []Clock {
	b := []Clock{0}
	for _, ws := range p.Hours {
		for _, w := range ws {
			b = append(b, w.From, w.To)
		}
	}
	slices.Sort(b)
	return slices.Compact(b)
}

// MarshalJSON writes the pack with its hours as {"monday":["08:00-21:00"]}.
// Holidays are code, not data, and are left out; HolidayRule names them.
func (p *RulePack) MarshalJSON() ([]byte, error) {
	type plain RulePack
	hours := map[string][]string{}
	for wd, ws := range p.Hours {
		name := strings.ToLower(time.Weekday(wd).String())
		hours[name] = []string{}
		for _, w := range ws {
			hours[name] = append(hours[name], w.String())
		}
	}
	return json.Marshal(struct {
		*plain
		Hours map[string][]string `json:"hours"`
	}{(*plain)(p), hours})
}

// RuleSet is a registry of rule packs by ID, safe for concurrent use.
// The zero value is empty and ready. Package rules builds one with the
// packs this module ships; a host adds or overrides its own with Add.
type RuleSet struct {
	mu    sync.RWMutex
	packs map[string]*RulePack
}

// NewRuleSet returns a set holding packs, or the validation errors of
// the first pack that breaks a rule.
func NewRuleSet(packs ...*RulePack) (*RuleSet, error) {
	s := &RuleSet{}
	for _, p := range packs {
		if err := s.Add(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add validates p and stores it under p.ID, replacing any pack with the
// same ID: that is how a host overrides a shipped pack.
func (s *RuleSet) Add(p *RulePack) error {
	if s == nil {
		return invalid("rule_set", "is nil")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packs == nil {
		s.packs = map[string]*RulePack{}
	}
	s.packs[p.ID] = p
	return nil
}

// Pack returns the pack with the given ID.
func (s *RuleSet) Pack(id string) (*RulePack, bool) {
	if s == nil {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.packs[id]
	return p, ok
}

// IDs returns the IDs of every pack, sorted.
func (s *RuleSet) IDs() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.packs))
}

// ForRegion returns the packs that apply in a country and, when given,
// one of its subdivisions: every pack whose Region is the country, and
// every pack whose Region is the subdivision, sorted by ID. Codes are
// upper case ISO 3166 ("US", "US-FL").
func (s *RuleSet) ForRegion(country, subdivision string) []*RulePack {
	if s == nil || country == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*RulePack
	for _, p := range s.packs {
		if p.Region == country || (subdivision != "" && p.Region == subdivision) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *RulePack) int { return strings.Compare(a.ID, b.ID) })
	return out
}

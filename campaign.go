package signedcall

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"
)

// Limits checked by [Campaign.Validate].
const (
	// MinCap is the smallest targeting cap allowed; 0 means no cap.
	MinCap = 100
	// MaxControlPercent is the largest control group allowed.
	MaxControlPercent = 90
	// MaxCallContextLen is the longest call context, in characters.
	MaxCallContextLen = 120
	// MaxNameLen is the longest campaign name, in characters.
	MaxNameLen = 200
)

// CampaignState is where a campaign is in its lifecycle.
//
//	draft -> scheduled -> running <-> paused
//	scheduled, running, paused -> stopped
//	running, paused -> completed (a paused campaign ends at its cut-off)
type CampaignState string

// Campaign lifecycle states.
const (
	StateDraft     CampaignState = "draft"
	StateScheduled CampaignState = "scheduled"
	StateRunning   CampaignState = "running"
	StatePaused    CampaignState = "paused"
	StateCompleted CampaignState = "completed"
	StateStopped   CampaignState = "stopped"
)

func (s CampaignState) valid() bool {
	switch s {
	case StateDraft, StateScheduled, StateRunning, StatePaused, StateCompleted, StateStopped:
		return true
	}
	return false
}

// Ended reports whether the campaign can make no more calls.
func (s CampaignState) Ended() bool { return s == StateCompleted || s == StateStopped }

// Policy says what happens to a call that falls due inside DND, outside
// the hours of a rule pack that applies, or past a per-person limit.
type Policy string

// DND policies.
const (
	// PolicyDiscard records the delivery as discarded in DND. It is the
	// default.
	PolicyDiscard Policy = "discard"
	// PolicyDefer moves the call to the next open local time, or expires
	// it if that is at or after the cut-off.
	PolicyDefer Policy = "defer"
)

// Schedule says when a campaign may call.
type Schedule struct {
	// Start is the first instant a call may start. It is also the
	// audience's evaluation time.
	Start time.Time `json:"start"`
	// CutOff is the instant from which no call starts.
	CutOff time.Time `json:"cut_off"`
	// TimeZone is the campaign's IANA zone: used for day windows and age
	// in the audience, and as the recipient's zone when none is known.
	TimeZone string `json:"time_zone"`
}

// Preferences are the campaign's delivery preferences.
type Preferences struct {
	DND    DND    `json:"dnd"`
	Policy Policy `json:"policy"`
	// Retry says which results are called again; nil retries nothing.
	Retry *RetryPolicy `json:"retry,omitempty"`
	// Rules says which calling-hour rule packs apply.
	Rules RuleChoice `json:"rules,omitzero"`
	// Pace, when set, caps how many calls the campaign starts in any
	// window of time, across every dispatcher sharing the Store.
	Pace *Pace `json:"pace,omitempty"`
	// MaxConcurrent, when positive, caps the campaign's calls in progress
	// at once, across every dispatcher sharing the Store.
	MaxConcurrent int `json:"max_concurrent,omitempty"`
}

// RuleChoice names the rule packs a campaign applies. A call must be
// allowed by the campaign's DND and by every pack that applies to the
// person, each read in the person's local time: the stricter rule wins.
type RuleChoice struct {
	// Packs are IDs of packs applied to everyone called, whatever their
	// region.
	Packs []string `json:"packs,omitempty"`
	// ByCountry applies, to each person, the packs of the countries and
	// subdivisions their [Location] names (see [RuleSet.ForRegion]).
	ByCountry bool `json:"by_country,omitempty"`
}

// Pace is a campaign-wide rate: at most Calls calls start in any window
// of length Per.
type Pace struct {
	Calls int      `json:"calls"`
	Per   Duration `json:"per"`
}

// MaxPaceCalls is the most calls a [Pace] allows per window. A Store
// reads up to this many earlier starts to check each call, so a daily
// cap larger than this belongs in the campaign's Cap instead.
//
// TODO(pace): checking a pace costs time in proportion to its Calls, in
// every Store; a running count per window would make it constant.
const MaxPaceCalls = 10000

// limit is the pace as the Store enforces it.
func (p *Pace) limit() Limit { return Limit{Max: p.Calls, Window: p.Per, Scope: ScopeCampaign} }

// Acknowledgement is the compliance statement a person agreed to before
// publishing. It is stored with the campaign as an audit record.
type Acknowledgement struct {
	// By identifies who agreed (a user ID or e-mail of the host's).
	By string `json:"by"`
	// At is when they agreed.
	At time.Time `json:"at"`
	// Statement is the exact text they agreed to.
	Statement string `json:"statement"`
}

// DefaultStatement is a statement hosts may show for acknowledgement.
const DefaultStatement = "I confirm that this campaign complies with the calling-hour, " +
	"consent and do-not-call laws of every region it reaches, read in each called " +
	"person's own time zone, and that its do-not-disturb rules reflect them."

func (a *Acknowledgement) validate() []error {
	var errs []error
	if strings.TrimSpace(a.By) == "" {
		errs = append(errs, invalid("acknowledgement.by", "is required"))
	}
	if a.At.IsZero() {
		errs = append(errs, invalid("acknowledgement.at", "is required"))
	}
	if strings.TrimSpace(a.Statement) == "" {
		errs = append(errs, invalid("acknowledgement.statement", "is required"))
	}
	return errs
}

// Campaign is an outbound call campaign. Build one with [NewCampaign];
// the zero value is not valid. A Campaign is a plain value: the Store is
// the authority on its state, and it refuses to change the definition of
// a campaign that has been published.
type Campaign struct {
	ID   uuid.UUID
	Name string
	// Audience selects who qualifies.
	Audience Predicate
	// ControlPercent is the share of qualified users held out, 0 to 90,
	// with up to two decimals.
	ControlPercent float64
	// Cap is the most users called; 0 means no cap, otherwise >= MinCap.
	Cap      int
	Schedule Schedule
	Delivery Preferences
	// CallContext is the short reason shown to the person called.
	CallContext string
	State       CampaignState
	// Acknowledgement is set when the campaign is published.
	Acknowledgement *Acknowledgement
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Location returns the campaign's time zone. It returns an error naming
// schedule.time_zone if the zone is unknown.
func (c *Campaign) Location() (*time.Location, error) {
	if c.Schedule.TimeZone == "" {
		return nil, invalid("schedule.time_zone", "is required")
	}
	loc, err := loadLocation(c.Schedule.TimeZone)
	if err != nil {
		return nil, invalid("schedule.time_zone", "unknown IANA time zone %q", c.Schedule.TimeZone)
	}
	return loc, nil
}

// Validate checks every rule of the definition and returns all violations
// joined with [errors.Join], each a [*ValidationError]. now is used for
// the rule that a draft's start must not be in the past; pass the zero
// time to skip it (as Stores do for published campaigns).
func (c *Campaign) Validate(now time.Time) error {
	if c == nil {
		return invalid("campaign", "is nil")
	}
	var errs []error
	add := func(e ...error) { errs = append(errs, e...) }

	if c.ID == uuid.Nil {
		add(invalid("id", "is required"))
	}
	if strings.TrimSpace(c.Name) == "" {
		add(invalid("name", "is required"))
	} else if utf8.RuneCountInString(c.Name) > MaxNameLen {
		add(invalid("name", "must be at most %d characters", MaxNameLen))
	}
	if a := derefPred(c.Audience); a == nil {
		add(invalid("audience", "is required: an empty audience definition would call everyone"))
	} else if d := predDepth(a, 0); d > MaxAudienceDepth {
		add(invalid("audience", "nests more than %d levels deep", MaxAudienceDepth))
	} else {
		add(a.validate("audience")...)
	}
	add(textErrors(c)...)
	if math.IsNaN(c.ControlPercent) || c.ControlPercent < 0 || c.ControlPercent > MaxControlPercent {
		add(invalid("control_percent", "must be between 0 and %d, got %v", MaxControlPercent, c.ControlPercent))
	} else if b := c.ControlPercent * 100; math.Abs(b-math.Round(b)) > 1e-6 {
		add(invalid("control_percent", "must have at most two decimals, got %v", c.ControlPercent))
	}
	if c.Cap < 0 || (c.Cap > 0 && c.Cap < MinCap) {
		add(invalid("cap", "must be unset (0) or at least %d, got %d", MinCap, c.Cap))
	}

	if _, err := c.Location(); err != nil {
		add(err)
	}
	s := c.Schedule
	if s.Start.IsZero() {
		add(invalid("schedule.start", "is required"))
	} else if !now.IsZero() && c.State == StateDraft && s.Start.Before(now) {
		add(invalid("schedule.start", "%s is in the past; use StartNow to start immediately", s.Start.Format(time.RFC3339)))
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"schedule.start", s.Start}, {"schedule.cut_off", s.CutOff}} {
		if y := t.at.UTC().Year(); !t.at.IsZero() && (y < 1 || y > 9999) {
			add(invalid(t.field, "year %d is outside 1 to 9999", y))
		}
	}
	if s.CutOff.IsZero() {
		add(invalid("schedule.cut_off", "is required"))
	} else if !s.Start.IsZero() && !s.CutOff.After(s.Start) {
		add(invalid("schedule.cut_off", "must be after the start (%s), got %s", s.Start.Format(time.RFC3339), s.CutOff.Format(time.RFC3339)))
	}

	add(c.Delivery.DND.validate("delivery.dnd")...)
	add(c.Delivery.Retry.validate("delivery.retry")...)
	for i, id := range c.Delivery.Rules.Packs {
		if !validPackID(id) {
			add(invalid(fmt.Sprintf("delivery.rules.packs[%d]", i), "must be 1 to 32 letters, digits or '-', got %q", id))
		} else if slices.Contains(c.Delivery.Rules.Packs[:i], id) {
			add(invalid(fmt.Sprintf("delivery.rules.packs[%d]", i), "%q is named twice", id))
		}
	}
	if p := c.Delivery.Pace; p != nil {
		if p.Calls < 1 || p.Calls > MaxPaceCalls {
			add(invalid("delivery.pace.calls", "must be 1 to %d, got %d", MaxPaceCalls, p.Calls))
		}
		if w := time.Duration(p.Per); w < time.Millisecond || w > MaxLimitWindow {
			add(invalid("delivery.pace.per", "must be between 1ms and %s, got %s", MaxLimitWindow, w))
		}
	}
	if c.Delivery.MaxConcurrent < 0 {
		add(invalid("delivery.max_concurrent", "must not be negative, got %d", c.Delivery.MaxConcurrent))
	}
	switch c.Delivery.Policy {
	case PolicyDiscard, PolicyDefer:
	default:
		add(invalid("delivery.policy", "must be %q or %q, got %q", PolicyDiscard, PolicyDefer, c.Delivery.Policy))
	}
	if strings.TrimSpace(c.CallContext) == "" {
		add(invalid("call_context", "is required: the person called sees why"))
	} else if utf8.RuneCountInString(c.CallContext) > MaxCallContextLen {
		add(invalid("call_context", "must be at most %d characters, got %d", MaxCallContextLen, utf8.RuneCountInString(c.CallContext)))
	}
	if !c.State.valid() {
		add(invalid("state", "unknown state %q", c.State))
	}
	if c.State != StateDraft && c.State.valid() {
		if c.Acknowledgement == nil {
			add(invalid("acknowledgement", "is required once published"))
		} else {
			add(c.Acknowledgement.validate()...)
		}
	}
	return errors.Join(errs...)
}

// Builder collects a campaign's settings. Every setter records what it is
// given; [Builder.Build] checks everything at once and reports every
// problem together. A Builder is not safe for concurrent use.
type Builder struct {
	c        Campaign
	clock    clock.Clock
	startNow bool
	// local start and cut-off, resolved in the campaign zone at Build.
	startLocal, cutLocal *wallTime
	// hourErrs holds the DNDHours calls that did not parse, by their index
	// in DND.Hours, where a placeholder window keeps the later windows at
	// the index their own errors name.
	hourErrs map[int]*ValidationError
}

type wallTime struct {
	y          int
	m          time.Month
	d, hh, min int
}

func (w *wallTime) valid() bool {
	return Date{w.y, w.m, w.d}.valid() && w.hh >= 0 && w.hh < 24 && w.min >= 0 && w.min < 60
}

// NewCampaign starts a builder for a draft campaign named name, with a
// fresh UUIDv7 ID, discard policy, no control group and no cap.
func NewCampaign(name string) *Builder {
	return &Builder{
		c: Campaign{
			Name:     name,
			State:    StateDraft,
			Delivery: Preferences{Policy: PolicyDiscard},
		},
	}
}

// WithClock sets the clock used for the ID, the "start in the past" test,
// StartNow and timestamps. The default is the system clock.
func (b *Builder) WithClock(c clock.Clock) *Builder { b.clock = c; return b }

// ID sets the campaign ID instead of a generated UUIDv7. The control group
// and the cap sample depend on it.
func (b *Builder) ID(id uuid.UUID) *Builder { b.c.ID = id; return b }

// Name replaces the name given to NewCampaign.
func (b *Builder) Name(name string) *Builder { b.c.Name = name; return b }

// Audience sets who qualifies.
func (b *Builder) Audience(p Predicate) *Builder { b.c.Audience = derefPred(p); return b }

// ControlPercent sets the share of qualified users held out (0 to 90).
func (b *Builder) ControlPercent(p float64) *Builder { b.c.ControlPercent = p; return b }

// Cap sets the most users called (at least 100; 0 for no cap).
func (b *Builder) Cap(n int) *Builder { b.c.Cap = n; return b }

// TimeZone sets the campaign's IANA time zone.
func (b *Builder) TimeZone(name string) *Builder { b.c.Schedule.TimeZone = name; return b }

// Start sets the start instant. It must not be in the past at Build.
func (b *Builder) Start(t time.Time) *Builder { b.c.Schedule.Start = t; b.startLocal = nil; return b }

// StartLocal sets the start as a wall-clock time in the campaign's zone,
// resolved at Build with the rules of [LocalTime].
func (b *Builder) StartLocal(year int, month time.Month, day, hour, minute int) *Builder {
	b.startLocal = &wallTime{year, month, day, hour, minute}
	return b
}

// StartNow makes the campaign start at the builder clock's current time.
func (b *Builder) StartNow() *Builder { b.startNow = true; return b }

// CutOff sets the instant from which nobody is called.
func (b *Builder) CutOff(t time.Time) *Builder { b.c.Schedule.CutOff = t; b.cutLocal = nil; return b }

// CutOffLocal sets the cut-off as a wall-clock time in the campaign zone.
func (b *Builder) CutOffLocal(year int, month time.Month, day, hour, minute int) *Builder {
	b.cutLocal = &wallTime{year, month, day, hour, minute}
	return b
}

// DNDDays adds whole weekdays with no calls.
func (b *Builder) DNDDays(days ...time.Weekday) *Builder {
	b.c.Delivery.DND.Days = append(b.c.Delivery.DND.Days, days...)
	return b
}

// DNDHours adds a daily window [from, to) with no calls, as "HH:MM".
// A window may cross midnight.
func (b *Builder) DNDHours(from, to string) *Builder {
	f, err1 := ParseClock(from)
	t, err2 := ParseClock(to)
	i := len(b.c.Delivery.DND.Hours)
	if err1 != nil || err2 != nil {
		if b.hourErrs == nil {
			b.hourErrs = map[int]*ValidationError{}
		}
		b.hourErrs[i] = invalid(fmt.Sprintf("delivery.dnd.hours[%d]", i), "want HH:MM-HH:MM, got %q-%q", from, to)
		f, t = -1, -1 // never valid, so Build cannot succeed with it
	}
	b.c.Delivery.DND.Hours = append(b.c.Delivery.DND.Hours, Window{f, t})
	return b
}

// Retry sets which results are called again: up to maxAttempts calls per
// person in all, the first retry after backoff and each later one after
// twice the wait before.
func (b *Builder) Retry(maxAttempts int, backoff time.Duration, on ...RetryOn) *Builder {
	b.c.Delivery.Retry = &RetryPolicy{MaxAttempts: maxAttempts, Backoff: Duration(backoff), On: slices.Clone(on)}
	return b
}

// Policy sets what happens to calls due inside DND, and to calls a
// calling-hour rule pack or a per-person limit refuses.
func (b *Builder) Policy(p Policy) *Builder { b.c.Delivery.Policy = p; return b }

// RulePacks applies the packs with these IDs to everyone called, on top
// of those RulePacksByCountry adds when both are set. The dispatcher's
// [Config.Rules] must hold them: Dispatcher.Preview and Publish refuse a
// campaign naming one it lacks with [ErrUnknownRulePack].
func (b *Builder) RulePacks(ids ...string) *Builder {
	b.c.Delivery.Rules.Packs = append(b.c.Delivery.Rules.Packs, ids...)
	return b
}

// RulePacksByCountry applies to each person the packs of the countries
// and subdivisions they are located in (see [Locator]).
func (b *Builder) RulePacksByCountry() *Builder { b.c.Delivery.Rules.ByCountry = true; return b }

// Pace caps the campaign at calls started in any window of length per,
// across every dispatcher on the Store: Pace(10, time.Second) is ten
// calls a second. calls must be at least 1 and per from 1ms to
// [MaxLimitWindow]; Build reports either otherwise.
func (b *Builder) Pace(calls int, per time.Duration) *Builder {
	b.c.Delivery.Pace = &Pace{Calls: calls, Per: Duration(per)}
	return b
}

// MaxConcurrent caps the campaign's calls in progress at once, across
// every dispatcher on the Store. 0, the default, sets no cap; a negative
// n is a validation error.
func (b *Builder) MaxConcurrent(n int) *Builder { b.c.Delivery.MaxConcurrent = n; return b }

// CallContext sets the reason shown to the person called.
func (b *Builder) CallContext(s string) *Builder { b.c.CallContext = s; return b }

// Build validates the campaign and returns it as a draft, or returns every
// problem found joined with [errors.Join].
func (b *Builder) Build() (*Campaign, error) {
	clk := b.clock
	if clk == nil {
		clk = clock.New()
	}
	now := clk.Now()
	c := b.c
	c.Delivery.DND.Days = append([]time.Weekday(nil), c.Delivery.DND.Days...)
	c.Delivery.DND.Hours = append([]Window(nil), c.Delivery.DND.Hours...)
	c.Delivery.Rules.Packs = slices.Clone(c.Delivery.Rules.Packs)
	if c.Delivery.Pace != nil {
		p := *c.Delivery.Pace
		c.Delivery.Pace = &p
	}
	if c.ID == uuid.Nil {
		c.ID = newV7(now)
	}
	// Errors that only restate another one are left out: a wall-clock
	// start or cut-off cannot be resolved in an unknown zone (the zone's
	// error says why; "is required" would be wrong), and a DNDHours call
	// that did not parse is reported by its own error, not by the
	// placeholder window standing for it.
	skip := map[string]bool{}
	for i := range b.hourErrs {
		skip[fmt.Sprintf("delivery.dnd.hours[%d]", i)] = true
	}
	var wallErrs []error
	for _, w := range []struct {
		field string
		w     *wallTime
	}{{"schedule.start", b.startLocal}, {"schedule.cut_off", b.cutLocal}} {
		if w.w != nil && !w.w.valid() {
			wallErrs = append(wallErrs, invalid(w.field, "%04d-%02d-%02d %02d:%02d is not a calendar date and time of day",
				w.w.y, int(w.w.m), w.w.d, w.w.hh, w.w.min))
			skip[w.field] = true
		}
	}
	if loc, err := loadLocation(c.Schedule.TimeZone); err == nil && c.Schedule.TimeZone != "" {
		if w := b.startLocal; w != nil {
			c.Schedule.Start = LocalTime(loc, w.y, w.m, w.d, w.hh, w.min)
		}
		if w := b.cutLocal; w != nil {
			c.Schedule.CutOff = LocalTime(loc, w.y, w.m, w.d, w.hh, w.min)
		}
	} else {
		skip["schedule.start"] = b.startLocal != nil && !b.startNow
		skip["schedule.cut_off"] = b.cutLocal != nil
	}
	if b.startNow {
		c.Schedule.Start = now
	}
	c.CreatedAt, c.UpdatedAt = now, now
	errs := wallErrs
	for i := range len(c.Delivery.DND.Hours) {
		if e, ok := b.hourErrs[i]; ok {
			errs = append(errs, e)
		}
	}
	if err := c.Validate(now); err != nil {
		list := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		}
		for _, e := range list {
			var ve *ValidationError
			if errors.As(e, &ve) && skip[ve.Field] {
				continue
			}
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// newV7 makes a UUIDv7 from the clock's time, so IDs sort with the
// injected clock rather than the wall clock.
func newV7(now time.Time) uuid.UUID {
	var u uuid.UUID
	if _, err := rand.Read(u[6:]); err != nil {
		panic("signedcall: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	ms := uint64(now.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(u[0:6], ts[2:8])
	u[6] = (u[6] & 0x0f) | 0x70
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// publish checks the acknowledgement and returns the campaign as it is
// stored after publishing. It does not modify c.
func (c *Campaign) publishable(ack Acknowledgement) error {
	if c == nil {
		return invalid("campaign", "is nil")
	}
	if c.State != StateDraft {
		return fmt.Errorf("%w: campaign is %s, only a draft can be published", ErrStateConflict, c.State)
	}
	if errs := ack.validate(); len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrNotAcknowledged, errors.Join(errs...))
	}
	return c.Validate(time.Time{})
}

// JSONVersion is the version of the campaign JSON shape written by
// MarshalJSON. UnmarshalJSON accepts this version only.
const JSONVersion = 1

type campaignJSON struct {
	Version         int              `json:"version"`
	ID              uuid.UUID        `json:"id"`
	Name            string           `json:"name"`
	Audience        json.RawMessage  `json:"audience"`
	ControlPercent  float64          `json:"control_percent"`
	Cap             int              `json:"cap,omitempty"`
	Schedule        Schedule         `json:"schedule"`
	Delivery        Preferences      `json:"delivery"`
	CallContext     string           `json:"call_context"`
	State           CampaignState    `json:"state"`
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
}

// MarshalJSON writes the versioned campaign shape shown in the package
// documentation.
// It has a value receiver so that a Campaign value, not only a pointer,
// is written in this shape.
func (c Campaign) MarshalJSON() ([]byte, error) {
	j := campaignJSON{
		Version: JSONVersion, ID: c.ID, Name: c.Name,
		ControlPercent: c.ControlPercent, Cap: c.Cap, Schedule: c.Schedule,
		Delivery: c.Delivery, CallContext: c.CallContext, State: c.State,
		Acknowledgement: c.Acknowledgement, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Audience != nil {
		a, err := MarshalPredicate(c.Audience)
		if err != nil {
			return nil, err
		}
		j.Audience = a
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the shape MarshalJSON writes. Unknown fields,
// unknown predicate kinds, malformed values and other versions are errors.
// It does not validate rules; call Validate for that.
func (c *Campaign) UnmarshalJSON(b []byte) error {
	var j campaignJSON
	if err := strictUnmarshal(b, &j); err != nil {
		return fmt.Errorf("signedcall: campaign: %w", err)
	}
	if j.Version != JSONVersion {
		return fmt.Errorf("signedcall: campaign: version %d is not supported, want %d", j.Version, JSONVersion)
	}
	out := Campaign{
		ID: j.ID, Name: j.Name, ControlPercent: j.ControlPercent, Cap: j.Cap,
		Schedule: j.Schedule, Delivery: j.Delivery, CallContext: j.CallContext,
		State: j.State, Acknowledgement: j.Acknowledgement,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
	}
	if len(j.Audience) > 0 && !bytes.Equal(bytes.TrimSpace(j.Audience), []byte("null")) {
		p, err := UnmarshalPredicate(j.Audience)
		if err != nil {
			return fmt.Errorf("signedcall: campaign: audience: %w", err)
		}
		out.Audience = p
	}
	*c = out
	return nil
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields
// and trailing data.
func strictUnmarshal(b []byte, v any) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return errors.New("want a JSON object, got nothing or null")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

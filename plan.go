package signedcall

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ControlBuckets is the number of buckets users are hashed into for the
// control group: a user is in control when ControlBucket is below
// percent x 100.
const ControlBuckets = 10000

// ControlBucket returns the control-group bucket, 0 to 9999, of a user in
// a campaign. It depends only on the pair: the first eight bytes, big
// endian, of SHA-256("signedcall/control\x00" + campaign ID in canonical
// text form + "\x00" + user ID), modulo 10,000. List order, list size and
// re-planning do not move anyone, and each campaign draws its own group.
func ControlBucket(campaignID uuid.UUID, userID string) int {
	return int(pairHash("signedcall/control", campaignID, userID) % ControlBuckets)
}

// InControl reports whether the user is held out of the campaign with the
// given control percent (0 to 90, two decimals).
func InControl(campaignID uuid.UUID, userID string, percent float64) bool {
	return ControlBucket(campaignID, userID) < int(math.Round(percent*100))
}

// SampleRank is the user's place in the campaign's cap sample: when more
// users qualify than the cap allows, those with the lowest SampleRank are
// called (ties, which need a 64-bit collision, go to the lower user ID).
// It is the first eight bytes, big endian, of SHA-256("signedcall/sample\x00"
// + campaign ID + "\x00" + user ID): uniform and reproducible.
func SampleRank(campaignID uuid.UUID, userID string) uint64 {
	return pairHash("signedcall/sample", campaignID, userID)
}

func pairHash(domain string, campaignID uuid.UUID, userID string) uint64 {
	var buf [128]byte
	b := append(buf[:0], domain...)
	b = append(b, 0)
	b = append(b, campaignID.String()...)
	b = append(b, 0)
	b = append(b, userID...)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// Reach is what evaluating an audience found: how many profiles qualify,
// how they split, and why the others were left out. Every evaluated
// profile is counted once: Evaluated = Qualified + sum of Excluded, and
// Qualified = Control + Unreachable + Capped + Targets.
type Reach struct {
	Evaluated   int `json:"evaluated"`
	Qualified   int `json:"qualified"`
	Control     int `json:"control"`
	Unreachable int `json:"unreachable"`
	Capped      int `json:"capped"`
	Targets     int `json:"targets"`
	// Excluded counts profiles that did not qualify, by reason: the first
	// top-level condition of an All audience they failed, or the whole
	// audience otherwise; "missing_id" for profiles without an ID;
	// "invalid_id" for IDs no Store can key ([MaxUserIDLen] bytes at most,
	// valid UTF-8, no NUL or other control characters); and
	// "duplicate_id" for a qualifying profile whose ID already qualified
	// earlier in the source (the first one is used).
	Excluded map[string]int `json:"excluded"`
	// UnreachableReasons counts qualified users who cannot be called, by
	// reason ([ReasonNoPhone], [ReasonInvalidPhone]).
	UnreachableReasons map[string]int `json:"unreachable_reasons"`
	// UnknownTimeZones counts qualified users whose profile names a time
	// zone this host does not know ("asia/kolkata", "Mars/Base"): their
	// zone comes from the Locator's other sources, or is the campaign's,
	// which may be wrong for them. Fix the profiles, or exclude them,
	// before publishing; the Summary says how many there are.
	UnknownTimeZones int `json:"unknown_time_zones"`
	// ZoneSources counts targets by the input that decided their zone.
	ZoneSources map[ZoneSource]int `json:"zone_sources"`
	// Packs counts targets by each rule pack that applies to them, keyed
	// by the pack's Title ("US-FL@2026.12.1"); one target may count under
	// several packs. NoPack counts targets that no pack covers: only the
	// campaign's DND protects them.
	Packs  map[string]int `json:"packs"`
	NoPack int            `json:"no_pack"`
}

// Summary is the text to show, with the compliance statement, to whoever
// publishes the campaign: who is called, where their zones came from,
// which rule packs apply to how many of them, and how many no pack
// covers. [ComplianceStatement] joins the two.
func (r Reach) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d qualify: %d control, %d unreachable, %d over the cap, %d to call.\n",
		r.Qualified, r.Control, r.Unreachable, r.Capped, r.Targets)
	if len(r.UnreachableReasons) > 0 {
		var parts []string
		for _, why := range slices.Sorted(maps.Keys(r.UnreachableReasons)) {
			parts = append(parts, fmt.Sprintf("%s %d", why, r.UnreachableReasons[why]))
		}
		fmt.Fprintf(&b, "Unreachable: %s.\n", strings.Join(parts, ", "))
	}
	if r.UnknownTimeZones > 0 {
		fmt.Fprintf(&b, "Profiles naming a time zone this host does not know: %d.\n", r.UnknownTimeZones)
	}
	if len(r.ZoneSources) > 0 {
		var parts []string
		for _, src := range []ZoneSource{ZoneFromProfile, ZoneFromPhone, ZoneFromCity, ZoneFromCoordinates, ZoneFromCampaign} {
			if n := r.ZoneSources[src]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", src, n))
			}
		}
		fmt.Fprintf(&b, "Time zones of those called, by source: %s.\n", strings.Join(parts, ", "))
	}
	if len(r.Packs) == 0 {
		b.WriteString("Rule packs: none apply.\n")
	} else {
		var parts []string
		for _, title := range slices.Sorted(maps.Keys(r.Packs)) {
			parts = append(parts, fmt.Sprintf("%s for %d", title, r.Packs[title]))
		}
		fmt.Fprintf(&b, "Rule packs: %s.\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "Covered by no rule pack, protected only by the campaign's DND: %d.\n", r.NoPack)
	return b.String()
}

// ComplianceStatement returns [DefaultStatement] followed by the reach's
// [Reach.Summary]: a statement for Acknowledgement.Statement that records
// what the publisher saw, rule packs included.
func ComplianceStatement(r Reach) string {
	return DefaultStatement + "\n\n" + r.Summary()
}

// Preview evaluates the campaign's audience over src at the campaign's
// evaluation time (its start) and returns the reach, without writing or
// calling anything.
//
// It locates people with [ProfileLocator] and knows no rule packs, so a
// campaign that names packs is refused with [ErrUnknownRulePack]; use
// [Dispatcher.Preview] to see what a dispatcher's Locator and Rules make
// of the audience.
func Preview(ctx context.Context, c *Campaign, src ProfileSource) (Reach, error) {
	r, _, err := plan(ctx, c, src, planEnv{locator: ProfileLocator{}}, time.Time{}, false)
	return r, err
}

// planEnv is what planning needs from the dispatcher's configuration.
type planEnv struct {
	locator Locator
	rules   *RuleSet
}

// packsFor returns the sorted IDs of the packs that apply to a person
// located at l: those the campaign names, and with ByCountry those of
// each country and subdivision l names.
func (e planEnv) packsFor(c *Campaign, l Location) []string {
	ids := slices.Clone(c.Delivery.Rules.Packs)
	if c.Delivery.Rules.ByCountry {
		for _, country := range l.Countries {
			for _, p := range e.rules.ForRegion(country, "") {
				ids = append(ids, p.ID)
			}
			for _, sub := range l.Subdivisions {
				if strings.HasPrefix(sub, country+"-") {
					for _, p := range e.rules.ForRegion(country, sub) {
						ids = append(ids, p.ID)
					}
				}
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// plan evaluates the audience and, when keep is set, returns one delivery
// per qualified user: control, unreachable, capped, or pending at the
// start. at stamps the final ones.
func plan(ctx context.Context, c *Campaign, src ProfileSource, pe planEnv, at time.Time, keep bool) (Reach, []Delivery, error) {
	r := Reach{
		Excluded: map[string]int{}, UnreachableReasons: map[string]int{},
		ZoneSources: map[ZoneSource]int{}, Packs: map[string]int{},
	}
	if err := c.Validate(time.Time{}); err != nil {
		return r, nil, err
	}
	for i, id := range c.Delivery.Rules.Packs {
		if _, ok := pe.rules.Pack(id); !ok {
			return r, nil, fmt.Errorf("%w: delivery.rules.packs[%d]: %q is not in the rule set", ErrUnknownRulePack, i, id)
		}
	}
	if c.Delivery.Rules.ByCountry && pe.rules == nil {
		// Planning without packs would dial everyone under DND alone.
		return r, nil, fmt.Errorf("%w: delivery.rules.by_country: no rule set to pick packs from", ErrUnknownRulePack)
	}
	if src == nil {
		return r, nil, invalid("source", "is required to evaluate the audience")
	}
	loc, _ := c.Location()
	env := newEvalEnv(c.Schedule.Start, loc)

	// For an All audience, compile each top-level condition separately so
	// an excluded profile can be told which one it failed.
	parts := []Predicate{c.Audience}
	if a, ok := c.Audience.(allPred); ok {
		parts = a.of
	}
	ms := compileAll(env, parts)
	reasons := make([]string, len(parts))
	for i, p := range parts {
		reasons[i] = p.String()
	}

	// A candidate is a reachable, non-control user, kept small: for a
	// preview without a cap only the count matters.
	type cand struct {
		rank              uint64
		user, phone, zone string
		source            ZoneSource
		others, packs     []string
	}
	count := func(cd *cand) {
		r.ZoneSources[cd.source]++
		if len(cd.packs) == 0 {
			r.NoPack++
		}
		for _, id := range cd.packs {
			p, _ := pe.rules.Pack(id)
			r.Packs[p.Title()]++
		}
	}
	var (
		final      []Delivery
		cands      []cand
		candidates int
		seen       = map[string]struct{}{}
	)
	err := src.Each(ctx, func(p *Profile) error {
		if p == nil {
			return errors.New("the source yielded a nil profile")
		}
		r.Evaluated++
		if p.ID == "" {
			r.Excluded["missing_id"]++
			return nil
		}
		if !validUserID(p.ID) {
			r.Excluded["invalid_id"]++
			return nil
		}
		for i, m := range ms {
			if !m(p) {
				r.Excluded[reasons[i]]++
				return nil
			}
		}
		// Only qualified IDs are remembered: a million-profile source
		// costs a map of its audience, not of everyone.
		if _, dup := seen[p.ID]; dup {
			r.Excluded["duplicate_id"]++
			return nil
		}
		seen[p.ID] = struct{}{}
		r.Qualified++
		if p.TimeZone != "" {
			if _, err := loadLocation(p.TimeZone); err != nil {
				r.UnknownTimeZones++
			}
		}

		if InControl(c.ID, p.ID, c.ControlPercent) {
			r.Control++
			if keep {
				final = append(final, finalDelivery(c, p, StatusControl, ReasonControl, at))
			}
			return nil
		}
		if reason := phoneProblem(p.Phone); reason != "" {
			r.Unreachable++
			r.UnreachableReasons[reason]++
			if keep {
				final = append(final, finalDelivery(c, p, StatusUnreachable, reason, at))
			}
			return nil
		}
		where, err := pe.locator.Locate(p)
		if errors.Is(err, ErrInvalidPhone) {
			r.Unreachable++
			r.UnreachableReasons[ReasonInvalidPhone]++
			if keep {
				final = append(final, finalDelivery(c, p, StatusUnreachable, ReasonInvalidPhone, at))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("locating user %s: %w", p.ID, err)
		}
		cd := cand{rank: SampleRank(c.ID, p.ID), user: p.ID, phone: p.Phone, packs: pe.packsFor(c, where)}
		for _, z := range where.Zones {
			if _, err := loadLocation(z); err != nil || slices.Contains(cd.others, z) || z == cd.zone {
				continue
			}
			if cd.zone == "" {
				cd.zone, cd.source = z, where.Source
			} else {
				cd.others = append(cd.others, z)
			}
		}
		if cd.zone == "" {
			cd.zone, cd.source = c.Schedule.TimeZone, ZoneFromCampaign
		}
		candidates++
		if keep || c.Cap > 0 {
			cands = append(cands, cd)
		} else {
			count(&cd)
		}
		return nil
	})
	if err != nil {
		return r, nil, fmt.Errorf("signedcall: evaluating audience: %w", err)
	}

	// Keep the cap's lowest sample ranks; the rest are recorded as capped.
	r.Targets = candidates
	if c.Cap > 0 && candidates > c.Cap {
		slices.SortFunc(cands, func(a, b cand) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.user, b.user))
		})
		r.Capped, r.Targets = candidates-c.Cap, c.Cap
	}
	if keep || c.Cap > 0 {
		for i := range cands[:r.Targets] {
			count(&cands[i])
		}
	}
	if !keep {
		return r, nil, nil
	}
	out := make([]Delivery, 0, len(final)+len(cands))
	out = append(out, final...)
	for i, cd := range cands {
		d := Delivery{
			CampaignID: c.ID, UserID: cd.user, TimeZone: cd.zone, ZoneSource: cd.source,
			DueAt: c.Schedule.Start, UpdatedAt: at,
		}
		if i < r.Targets {
			d.Phone, d.Status = cd.phone, StatusPending
			d.OtherZones, d.Packs = cd.others, cd.packs
		} else {
			d.Status, d.Reason, d.FinishedAt = StatusCapped, ReasonOverCap, at
		}
		out = append(out, d)
	}
	return r, out, nil
}

// finalDelivery is the record of a qualified user who will not be called.
func finalDelivery(c *Campaign, p *Profile, s Status, reason string, at time.Time) Delivery {
	zone, source := recipientZone(p, c.Schedule.TimeZone)
	return Delivery{
		CampaignID: c.ID, UserID: p.ID, TimeZone: zone, ZoneSource: source,
		DueAt: c.Schedule.Start, Status: s, Reason: reason, UpdatedAt: at, FinishedAt: at,
	}
}

// MaxUserIDLen is the longest user ID, in bytes, that a campaign plans a
// delivery for.
const MaxUserIDLen = 256

// validUserID reports whether every Store can key a delivery by id.
func validUserID(id string) bool {
	if len(id) > MaxUserIDLen || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// phoneProblem returns why a number cannot be dialled, or "" if it looks
// like E.164: a plus sign, a non-zero first digit and 8 to 15 digits.
// Whether the number exists in its country's numbering plan is the
// Locator's to say (package locate checks it; ProfileLocator does not).
func phoneProblem(phone string) string {
	if phone == "" {
		return ReasonNoPhone
	}
	if len(phone) < 9 || len(phone) > 16 || phone[0] != '+' || phone[1] == '0' {
		return ReasonInvalidPhone
	}
	for i := 1; i < len(phone); i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return ReasonInvalidPhone
		}
	}
	return ""
}

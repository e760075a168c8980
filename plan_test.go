package signedcall

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// specHash is the control and sample hash exactly as ControlBucket's
// documentation states it, written out separately from pairHash.
func specHash(domain string, id uuid.UUID, user string) uint64 {
	sum := sha256.Sum256([]byte(domain + "\x00" + id.String() + "\x00" + user))
	return binary.BigEndian.Uint64(sum[:8])
}

func TestControlBucketMatchesDocumentedFormula(t *testing.T) {
	id := uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	for _, u := range []string{"", "u1", "user-000042", "名前", "a\x00b"} {
		if got, want := ControlBucket(id, u), int(specHash("signedcall/control", id, u)%10000); got != want {
			t.Errorf("ControlBucket(%q) = %d, want %d", u, got, want)
		}
		if got, want := SampleRank(id, u), specHash("signedcall/sample", id, u); got != want {
			t.Errorf("SampleRank(%q) = %d, want %d", u, got, want)
		}
	}
}

// testCampaign returns a valid campaign matching every profile with a
// "tag" property, starting at start.
func testCampaign(t testing.TB, id uuid.UUID, start time.Time, control float64, cap int) *Campaign {
	t.Helper()
	c := &Campaign{
		ID: id, Name: "plan test", Audience: Prop("tag", Exists, nil),
		ControlPercent: control, Cap: cap,
		Schedule:    Schedule{Start: start, CutOff: start.Add(12 * time.Hour), TimeZone: "Asia/Kolkata"},
		Delivery:    Preferences{DND: DND{Hours: []Window{{At(21, 0), At(9, 0)}}}, Policy: PolicyDiscard},
		CallContext: "test", State: StateDraft,
	}
	if err := c.Validate(time.Time{}); err != nil {
		t.Fatalf("test campaign invalid: %v", err)
	}
	return c
}

func users(n int, offset int) SliceSource {
	ps := make(SliceSource, n)
	for i := range ps {
		id := fmt.Sprintf("user-%07d", i+offset)
		ps[i] = Profile{ID: id, Phone: fmt.Sprintf("+1212555%04d", (i+offset)%10000),
			Properties: map[string]any{"tag": true}}
	}
	return ps
}

func controlSet(t *testing.T, c *Campaign, src ProfileSource) map[string]bool {
	t.Helper()
	_, ds, err := plan(context.Background(), c, src, planEnv{locator: ProfileLocator{}}, c.Schedule.Start, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range ds {
		if d.Status == StatusControl {
			out[d.UserID] = true
		}
	}
	return out
}

var planStart = time.Date(2026, 12, 5, 5, 30, 0, 0, time.UTC)

func TestControlShareWithinOnePoint(t *testing.T) {
	const n = 100000
	src := users(n, 0)
	for _, pct := range []float64{1, 10, 25, 50, 90} {
		c := testCampaign(t, uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprint(pct))), planStart, pct, 0)
		r, err := Preview(context.Background(), c, src)
		if err != nil {
			t.Fatal(err)
		}
		share := 100 * float64(r.Control) / n
		if share < pct-1 || share > pct+1 {
			t.Errorf("control share at %v%% over %d users = %.2f%%, want within 1 point", pct, n, share)
		}
		if r.Qualified != n || r.Control+r.Targets != n {
			t.Errorf("at %v%%: qualified %d, control %d + targets %d, want %d in all", pct, r.Qualified, r.Control, r.Targets, n)
		}
	}
}

func TestControlStableUnderReorderAndGrowth(t *testing.T) {
	c := testCampaign(t, uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), planStart, 10, 0)
	base := users(20000, 0)
	before := controlSet(t, c, base)

	shuffled := slices.Clone(base)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	grown := append(slices.Clone(shuffled), users(30000, 20000)...)
	after := controlSet(t, c, grown)

	for u := range before {
		if !after[u] {
			t.Errorf("user %s left control after reorder and growth", u)
		}
	}
	for u := range after {
		var n int
		fmt.Sscanf(u, "user-%d", &n)
		if n < 20000 && !before[u] {
			t.Errorf("user %s joined control after reorder and growth", u)
		}
	}
}

func TestControlGroupsIndependentAcrossCampaigns(t *testing.T) {
	const n = 100000
	src := users(n, 0)
	a := controlSet(t, testCampaign(t, uuid.MustParse("0193a1b2-0000-7000-8000-000000000001"), planStart, 10, 0), src)
	b := controlSet(t, testCampaign(t, uuid.MustParse("0193a1b2-0000-7000-8000-000000000002"), planStart, 10, 0), src)
	both := 0
	for u := range a {
		if b[u] {
			both++
		}
	}
	// Independent 10% groups overlap on 1% of users; the binomial standard
	// deviation is about 31, so 0.8% to 1.2% is over six sigma wide.
	if share := 100 * float64(both) / n; share < 0.8 || share > 1.2 {
		t.Errorf("two campaigns' control groups share %.2f%% of users, want about 1%%", share)
	}
}

func TestCapKeepsLowestSampleRanks(t *testing.T) {
	id := uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	src := users(5000, 0)
	c := testCampaign(t, id, planStart, 10, 1000)
	r, ds, err := plan(context.Background(), c, src, planEnv{locator: ProfileLocator{}}, planStart, true)
	if err != nil {
		t.Fatal(err)
	}

	// Expected: drop control users by the documented bucket rule, rank
	// the rest by the documented sample hash, keep the first 1,000.
	var rest []string
	control := 0
	for _, p := range src {
		if specHash("signedcall/control", id, p.ID)%10000 < 1000 {
			control++
			continue
		}
		rest = append(rest, p.ID)
	}
	sort.Slice(rest, func(i, j int) bool {
		return specHash("signedcall/sample", id, rest[i]) < specHash("signedcall/sample", id, rest[j])
	})
	want := map[string]bool{}
	for _, u := range rest[:1000] {
		want[u] = true
	}

	if r.Targets != 1000 || r.Capped != len(rest)-1000 || r.Control != control {
		t.Errorf("reach = %+v, want 1000 targets, %d capped, %d control", r, len(rest)-1000, control)
	}
	got := map[string]bool{}
	for _, d := range ds {
		switch d.Status {
		case StatusPending:
			got[d.UserID] = true
			if !want[d.UserID] {
				t.Errorf("user %s is a target, want capped", d.UserID)
			}
		case StatusCapped:
			if want[d.UserID] {
				t.Errorf("user %s is capped, want a target", d.UserID)
			}
			if d.Phone != "" {
				t.Errorf("capped user %s keeps phone %q", d.UserID, d.Phone)
			}
		}
	}
	if len(got) != 1000 {
		t.Errorf("%d pending deliveries, want exactly 1000", len(got))
	}
	if len(ds) != len(src) {
		t.Errorf("%d deliveries, want one per qualified user (%d)", len(ds), len(src))
	}
}

func TestPlanExclusionsAndUnreachable(t *testing.T) {
	c := testCampaign(t, uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), planStart, 0, 0)
	c.Audience = All(Prop("tag", Exists, nil), Flag(HasPhone))
	tagged := map[string]any{"tag": 1}
	src := SliceSource{
		{ID: "ok", Phone: "+12125550100", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "ok", Phone: "+12125550101", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "", Phone: "+12125550102", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "untagged", Phone: "+12125550103", Reach: Reachability{HasPhone: true}},
		{ID: "nophoneflag", Phone: "+12125550104", Properties: tagged},
		{ID: "empty", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "bad", Phone: "+0212555", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "letters", Phone: "+1212555ABCD", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "zone", Phone: "+12125550105", TimeZone: "Mars/Olympus", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "tokyo", Phone: "+12125550106", TimeZone: "Asia/Tokyo", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "bad\xff", Phone: "+12125550107", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: strings.Repeat("x", MaxUserIDLen+1), Phone: "+12125550108", Properties: tagged, Reach: Reachability{HasPhone: true}},
		{ID: "tab\there", Phone: "+12125550109", Properties: tagged, Reach: Reachability{HasPhone: true}},
	}
	r, ds, err := plan(context.Background(), c, src, planEnv{locator: ProfileLocator{}}, planStart, true)
	if err != nil {
		t.Fatal(err)
	}
	want := Reach{
		Evaluated: 13, Qualified: 6, Unreachable: 3, Targets: 3, UnknownTimeZones: 1, // Mars/Olympus
		Excluded: map[string]int{
			"duplicate_id": 1, "missing_id": 1, "invalid_id": 3,
			Prop("tag", Exists, nil).String(): 1, Flag(HasPhone).String(): 1,
		},
		UnreachableReasons: map[string]int{"no_phone": 1, "invalid_phone": 2},
		// ok and zone have no zone this host knows; tokyo names its own.
		ZoneSources: map[ZoneSource]int{ZoneFromCampaign: 2, ZoneFromProfile: 1},
		Packs:       map[string]int{}, NoPack: 3,
	}
	if fmt.Sprint(r) != fmt.Sprint(want) {
		t.Errorf("reach = %+v\nwant    %+v", r, want)
	}
	zones := map[string]string{}
	for _, d := range ds {
		zones[d.UserID] = d.TimeZone + "/" + string(d.ZoneSource)
	}
	if got, want := zones["zone"], "Asia/Kolkata/campaign"; got != want {
		t.Errorf("zone for unknown profile zone = %s, want %s", got, want)
	}
	if got, want := zones["tokyo"], "Asia/Tokyo/profile"; got != want {
		t.Errorf("zone for Asia/Tokyo profile = %s, want %s", got, want)
	}
}

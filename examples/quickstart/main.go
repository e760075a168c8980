// Command quickstart runs one whole campaign day on a shipped data set of
// 4,000 invented people living in real cities of the United States,
// Canada and the United Kingdom, with a mock clock so the day passes in
// about a second once built, and prints what happened.
//
// The campaign is a retailer's "abandoned browse" call: people who viewed
// a product in the last 30 days but bought nothing, near one of its
// stores, reachable by phone and not unsubscribed from SMS. Calls are
// paced, held out of do-not-disturb hours in each person's own time zone,
// and stop at the evening cut-off.
//
//	go run ./examples/quickstart
//
// With -store sqlite:PATH (or postgres:DSN) the deliveries are kept in a
// database; a run stopped early (-stop-at 15:00, or Ctrl-C) resumes where
// it left off when started again on the same store:
//
//	go run ./examples/quickstart -store sqlite:/tmp/day.db -stop-at 15:00
//	go run ./examples/quickstart -store sqlite:/tmp/day.db
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	_ "time/tzdata"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/simulated"
	"github.com/signedcall/signedcall/internal/synth"
	"github.com/signedcall/signedcall/rules"
	"github.com/signedcall/signedcall/store/memstore"
	"github.com/signedcall/signedcall/store/pgstore"
	"github.com/signedcall/signedcall/store/sqlitestore"
)

// profiles is written by ./internal/synth/cmd/gen; see
// internal/synth/data/SOURCE.md.
//
//go:embed testdata/profiles.jsonl
var profiles []byte

// jsonlBytes is a ProfileSource over JSON Lines held in memory.
type jsonlBytes []byte

func (b jsonlBytes) Each(ctx context.Context, fn func(*signedcall.Profile) error) error {
	return signedcall.EachJSONLine(ctx, bytes.NewReader(b), fn)
}

// options are the quickstart's flags.
type options struct {
	seed  uint64
	pace  int
	store string
	// stopAt, when set, ends this run at that New York time of the day,
	// as if the process had been stopped; run again to resume.
	stopAt string
}

func main() {
	var o options
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the simulated call outcomes")
	flag.IntVar(&o.pace, "pace", 1, "calls started per minute")
	flag.StringVar(&o.store, "store", "memory", "where deliveries are kept: memory, sqlite:PATH or postgres:DSN")
	flag.StringVar(&o.stopAt, "stop-at", "", "stop this run at HH:MM New York time, to resume it with a second run on the same -store")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// openStore opens the store a -store flag names.
func openStore(ctx context.Context, spec string) (signedcall.Store, func(), error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "memory":
		return memstore.New(), func() {}, nil
	case kind == "sqlite" && arg != "":
		s, err := sqlitestore.Open(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case kind == "postgres" && arg != "":
		s, err := pgstore.Open(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	}
	return nil, nil, fmt.Errorf("-store %q: want memory, sqlite:PATH or postgres:DSN", spec)
}

// The brand's stores: a real city from the gazetteer and a radius.
var stores = []string{"New York", "Chicago", "Denver", "Los Angeles", "Seattle", "Honolulu", "Toronto", "London"}

func run(ctx context.Context, out io.Writer, o options) error {
	pace := o.pace
	cities, err := synth.Cities()
	if err != nil {
		return err
	}
	var centres []signedcall.LatLng
	for _, name := range stores {
		i := slices.IndexFunc(cities, func(c synth.City) bool { return c.Name == name })
		if i < 0 {
			return fmt.Errorf("city %q is not in the gazetteer", name)
		}
		centres = append(centres, signedcall.LatLng{Lat: cities[i].Lat, Lon: cities[i].Lon})
	}

	// The day: Saturday 5 December 2026, 10:00 to 20:00 in New York. The
	// mock clock starts at 08:00 when the marketer publishes.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		return err
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 12, 5, 8, 0, 0, 0, ny))

	conditions := []signedcall.Predicate{
		signedcall.Did("Product Viewed").InLastDays(30),
		signedcall.DidNot("Charged").InLastDays(30),
		signedcall.Any(
			signedcall.InCity("US", "New York"),
			signedcall.WithinRadius(25, centres...),
		),
		signedcall.Flag(signedcall.HasPhone),
		signedcall.Not(signedcall.Flag(signedcall.UnsubscribedSMS)),
	}
	audience := signedcall.All(conditions...)
	c, err := signedcall.NewCampaign("Abandoned browse, Saturday").
		WithClock(clk).
		ID(uuid.MustParse("0193a0e0-3c00-7000-8000-00000000a11c")).
		Audience(audience).
		ControlPercent(10).
		Cap(500).
		TimeZone("America/New_York").
		StartLocal(2026, time.December, 5, 12, 0).
		CutOffLocal(2026, time.December, 5, 19, 0).
		DNDDays(time.Sunday).
		DNDHours("21:00", "09:00").
		Policy(signedcall.PolicyDiscard).
		RulePacksByCountry().
		CallContext("About the items you looked at this week").
		Build()
	if err != nil {
		return err
	}

	var stopAt time.Time
	if o.stopAt != "" {
		at, err := signedcall.ParseClock(o.stopAt)
		if err != nil {
			return fmt.Errorf("-stop-at: %w", err)
		}
		stopAt = signedcall.LocalTime(ny, 2026, time.December, 5, int(at)/60, int(at)%60)
	}
	st, closeStore, err := openStore(ctx, o.store)
	if err != nil {
		return err
	}
	defer closeStore()

	src := jsonlBytes(profiles)
	stored, err := st.Campaign(ctx, c.ID)
	resumed := err == nil
	switch {
	case errors.Is(err, signedcall.ErrNotFound):
	case err != nil:
		return err
	case stored.State.Ended():
		fmt.Fprintf(out, "Campaign %s already %s in %s; its report:\n", c.ID, stored.State, o.store)
		rep, err := signedcall.ReportOf(ctx, st, c.ID)
		if err != nil {
			return err
		}
		fmt.Fprint(out, rep)
		return nil
	}
	sim, err := simulated.New(o.seed, simulated.DefaultOdds)
	if err != nil {
		return err
	}
	packs := rules.Default()
	calls := &checker{Caller: sim, clk: clk, rules: packs}
	tl := &timeline{loc: ny, byHour: map[time.Time]map[signedcall.Status]int{}}
	// The profiles name their zone, country and state, which the default
	// locator reads; packages locate and geo add the phone number and the
	// city for profiles that lack them.
	d, err := signedcall.NewDispatcher(signedcall.Config{
		Store: st, Caller: calls, Clock: clk, Observer: tl, MaxCallsPerMinute: pace, Rules: packs,
	})
	if err != nil {
		return err
	}
	var reach signedcall.Reach
	if !resumed {
		reach, err = d.Preview(ctx, c, src)
		if err != nil {
			return err
		}
		printCampaign(out, c, conditions, reach, pace)
	}
	if resumed {
		// Pick up the mock clock where the last run left it: the minute
		// after the latest change it recorded.
		last := c.Schedule.Start
		err := st.Deliveries(ctx, c.ID, func(d signedcall.Delivery) error {
			if d.UpdatedAt.After(last) {
				last = d.UpdatedAt
			}
			return nil
		})
		if err != nil {
			return err
		}
		clk.Set(last.Truncate(time.Minute).Add(time.Minute))
		fmt.Fprintf(out, "Resuming campaign %s from %s, as stored in %s.\n\n", c.ID, clk.Now().In(ny).Format("Mon 15:04 MST"), o.store)
	} else {
		// The statement acknowledged includes the summary, with the rule
		// packs that apply, so the audit record shows what was agreed to.
		err = d.Publish(ctx, c, signedcall.Acknowledgement{
			By: "marketing-lead@example.com", At: clk.Now(), Statement: signedcall.ComplianceStatement(reach),
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Published at %s, acknowledged by marketing-lead@example.com.\n\n", clk.Now().Format("Mon 15:04 MST"))
	}

	// Drive the day: do what is due, then jump the clock to the next
	// moment anything is.
	ticks := 0
	for {
		step, err := d.Tick(ctx, c.ID, src)
		if err != nil {
			return err
		}
		ticks++
		if step.Done {
			break
		}
		if !step.Next.After(clk.Now()) {
			return errors.New("dispatcher asked to run again without time passing")
		}
		if !stopAt.IsZero() && !step.Next.Before(stopAt) {
			tl.print(out)
			fmt.Fprintf(out, "\nStopped at %s as asked; run again with -store %s to resume.\n",
				stopAt.In(ny).Format("15:04 MST"), o.store)
			return nil
		}
		clk.Set(step.Next)
	}

	tl.print(out)
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nReport (the dispatcher woke %d times on the mock clock; the last at %s):\n",
		ticks, clk.Now().In(ny).Format("Mon 15:04 MST"))
	fmt.Fprint(out, rep)
	reasons, err := signedcall.ReasonsOf(ctx, st, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Discarded: %d in the campaign's DND, %d outside the hours of a rule pack.\n",
		reasons[signedcall.StatusDiscardedDND][signedcall.ReasonDND], reasons[signedcall.StatusDiscardedDND][signedcall.ReasonRuleHours])
	if err := byZone(ctx, out, st, c.ID); err != nil {
		return err
	}
	return calls.verify(ctx, out, c, src, st)
}

// checker is the far end's view: it notes who was called and when, so
// the rules can be checked afterwards from the profiles alone.
type checker struct {
	signedcall.Caller
	clk   clock.Clock
	rules *signedcall.RuleSet

	mu    sync.Mutex
	dials []dialled
}

type dialled struct {
	user string
	at   time.Time
}

func (k *checker) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	k.mu.Lock()
	k.dials = append(k.dials, dialled{req.UserID, k.clk.Now()})
	k.mu.Unlock()
	return k.Caller.Call(ctx, req)
}

// verify checks every call against the campaign's rules, reading each
// person's zone from their profile (the campaign's when it has none).
func (k *checker) verify(ctx context.Context, out io.Writer, c *signedcall.Campaign, src signedcall.ProfileSource, st signedcall.Store) error {
	zones := map[string]string{}
	packs := map[string][]*signedcall.RulePack{}
	err := src.Each(ctx, func(p *signedcall.Profile) error {
		zones[p.ID] = p.TimeZone
		packs[p.ID] = k.rules.ForRegion(p.Country, signedcall.ProfileSubdivision(p.Country, p.Region))
		return nil
	})
	if err != nil {
		return err
	}
	campaignLoc, err := c.Location()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var twice, inDND, outside, outsidePack int
	for _, d := range k.dials {
		if seen[d.user] {
			twice++
		}
		seen[d.user] = true
		loc := campaignLoc
		if z := zones[d.user]; z != "" {
			if l, err := time.LoadLocation(z); err == nil {
				loc = l
			}
		}
		lt := d.at.In(loc)
		if lt.Weekday() == time.Sunday || lt.Hour() >= 21 || lt.Hour() < 9 {
			inDND++
		}
		for _, p := range packs[d.user] {
			if !p.Open(d.at, loc) {
				outsidePack++
			}
		}
		if d.at.Before(c.Schedule.Start) || !d.at.Before(c.Schedule.CutOff) {
			outside++
		}
	}
	fmt.Fprintf(out, "\nChecked the %d calls this run placed against the profiles: %d people called twice,\n"+
		"%d calls in DND local time, %d outside the hours of their region's rule packs,\n"+
		"%d before the start or at or after the cut-off.\n", len(k.dials), twice, inDND, outsidePack, outside)
	// Across every run on this store, too: the campaign has no retry
	// policy, so a delivery with more than one attempt was called twice.
	again := 0
	err = st.Deliveries(ctx, c.ID, func(d signedcall.Delivery) error {
		if d.Attempt > 1 {
			again++
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Across every run on this store, %d people had more than one call attempt.\n", again)
	if twice+inDND+outsidePack+outside+again > 0 {
		return errors.New("a campaign rule was broken")
	}
	return nil
}

func printCampaign(out io.Writer, c *signedcall.Campaign, parts []signedcall.Predicate, r signedcall.Reach, pace int) {
	loc, _ := c.Location()
	f := "Mon 2 Jan 2006 15:04 MST"
	fmt.Fprintf(out, "Campaign %q (%s)\n", c.Name, c.ID)
	fmt.Fprintln(out, "  audience, all of:")
	for _, p := range parts {
		fmt.Fprintf(out, "    - %s\n", p)
	}
	fmt.Fprintf(out, "  runs %s to %s\n", c.Schedule.Start.In(loc).Format(f), c.Schedule.CutOff.In(loc).Format(f))
	fmt.Fprintln(out, "  DND: Sundays and 21:00-09:00 in each person's own time zone; calls due then are discarded")
	fmt.Fprintf(out, "  pace: the dialer starts at most %d %s a minute, so not every target can be reached by the cut-off\n",
		pace, plural(pace, "call", "calls"))
	fmt.Fprintln(out, "  rule packs: each person's country and state, from package rules")
	fmt.Fprintf(out, "\nPreview: %d profiles, %d qualify: %d control (%.0f%%), %d unreachable, %d over the cap of %d, %d to call\n",
		r.Evaluated, r.Qualified, r.Control, c.ControlPercent, r.Unreachable, r.Capped, c.Cap, r.Targets)
	fmt.Fprintln(out, "  left out, by the first condition they failed:")
	for _, p := range parts {
		if n := r.Excluded[p.String()]; n > 0 {
			fmt.Fprintf(out, "    %5d  %s\n", n, p)
		}
	}
	fmt.Fprintln(out, "\nWhat the publisher acknowledges, with the compliance statement:")
	for _, line := range strings.Split(strings.TrimSpace(r.Summary()), "\n") {
		fmt.Fprintf(out, "  %s\n", line)
	}
	fmt.Fprintln(out)
}

// timeline counts delivery events by the campaign hour they happened in.
type timeline struct {
	loc    *time.Location
	mu     sync.Mutex
	byHour map[time.Time]map[signedcall.Status]int
}

func (t *timeline) ObserveDelivery(_ context.Context, e signedcall.DeliveryEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := e.At.In(t.loc).Truncate(time.Hour)
	if t.byHour[h] == nil {
		t.byHour[h] = map[signedcall.Status]int{}
	}
	t.byHour[h][e.Status]++
}

func (t *timeline) print(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "hour (New York)\tdialled\tanswered\tmissed\tdeclined, busy or failed\tdiscarded in DND\t")
	for _, h := range slices.SortedFunc(maps.Keys(t.byHour), time.Time.Compare) {
		n := t.byHour[h]
		other := n[signedcall.StatusDeclined] + n[signedcall.StatusBusy] + n[signedcall.StatusFailed] + n[signedcall.StatusUnknown]
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t\n", h.In(t.loc).Format("Mon 15:04"),
			n[signedcall.StatusDialling], n[signedcall.StatusAnswered], n[signedcall.StatusMissed], other,
			n[signedcall.StatusDiscardedDND])
	}
	w.Flush()
}

// byZone shows that DND was read in each person's own time.
func byZone(ctx context.Context, out io.Writer, st signedcall.Store, id uuid.UUID) error {
	type row struct{ targets, called, discarded, expired int }
	rows := map[string]*row{}
	err := st.Deliveries(ctx, id, func(d signedcall.Delivery) error {
		switch d.Status {
		case signedcall.StatusControl, signedcall.StatusCapped, signedcall.StatusUnreachable:
			return nil
		}
		key := d.TimeZone
		if d.ZoneSource == signedcall.ZoneFromCampaign {
			key += " (campaign's, none on profile)"
		}
		r := rows[key]
		if r == nil {
			r = &row{}
			rows[key] = r
		}
		r.targets++
		switch d.Status {
		case signedcall.StatusDiscardedDND:
			r.discarded++
		case signedcall.StatusExpired:
			r.expired++
		default:
			r.called++
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nBy the called person's time zone:")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  zone\ttargets\tcalled\tdiscarded in DND\texpired at cut-off")
	for _, k := range slices.Sorted(maps.Keys(rows)) {
		r := rows[k]
		fmt.Fprintf(w, "  %s\t%d\t%d\t%d\t%d\n", k, r.targets, r.called, r.discarded, r.expired)
	}
	w.Flush()
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

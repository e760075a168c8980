package signedcall

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
)

// Config configures a [Dispatcher]. Store and Caller are required; every
// other field has the default its comment gives when left zero.
type Config struct {
	// Store keeps campaigns and deliveries. Required.
	Store Store
	// Caller places calls. Required.
	Caller Caller
	// Clock is the time source. Default: the system clock.
	Clock clock.Clock
	// Logger receives structured logs; phone numbers are masked. Default:
	// logs are discarded.
	Logger *slog.Logger
	// Observer is told about every delivery change this dispatcher makes.
	// Default: none.
	Observer Observer
	// Owner names this dispatcher on leases. It must be unique among
	// dispatchers sharing a Store. Default: "dispatcher-" and 8 random
	// hex digits.
	Owner string
	// Concurrency is the most calls in flight at once. Default: 16.
	Concurrency int
	// ClaimBatch is the most deliveries claimed in one Store call.
	// Default: 256.
	ClaimBatch int
	// Lease is how long a claim lasts. It must exceed CallTimeout so a
	// live call is never rescued. Default: 5 minutes.
	Lease time.Duration
	// CallTimeout bounds one Caller.Call. Default: 2 minutes.
	CallTimeout time.Duration
	// PollInterval is the longest Run sleeps before looking at the Store
	// again, which bounds how late it notices a pause or stop made by
	// another process. Default: 1 second.
	PollInterval time.Duration
	// SigningKey, when set, signs every call request (see
	// CallRequest.SigningPayload) so the called app can verify it with the
	// matching public key. Default: requests are not signed.
	SigningKey ed25519.PrivateKey
	// MaxCallsPerMinute caps the calls this dispatcher starts per clock
	// minute (UTC minutes), across its campaigns. It paces this process
	// only: several dispatchers on one Store each start up to this many.
	// For a pace that holds across processes, use Builder.Pace.
	// Default: 0, no cap.
	MaxCallsPerMinute int
	// Rules holds the calling-hour rule packs campaigns may name, and
	// that RulePacksByCountry picks from (package rules ships them).
	// Default: none, so Preview and Publish refuse a campaign that names
	// a pack or asks for packs by country.
	Rules *RuleSet
	// Locator places each person in time zones and regions when a
	// campaign is planned (package locate reads the number and the city).
	// Default: ProfileLocator, which reads the profile's zone and region.
	Locator Locator
	// Limits are per-person limits the host sets across its campaigns
	// (ScopePerson) or within each (ScopePersonCampaign), kept by the
	// Store and checked in the same step as each call starts, on top of
	// the limits of the person's rule packs. Default: none.
	Limits []Limit
}

// Observer receives delivery events. It is called synchronously from the
// dispatcher's goroutines, possibly several at once, so it must be safe
// for concurrent use and return quickly.
type Observer interface {
	ObserveDelivery(ctx context.Context, e DeliveryEvent)
}

// ObserverFunc adapts a function to the [Observer] interface.
type ObserverFunc func(ctx context.Context, e DeliveryEvent)

// ObserveDelivery calls f(ctx, e).
func (f ObserverFunc) ObserveDelivery(ctx context.Context, e DeliveryEvent) { f(ctx, e) }

// DeliveryEvent is one change to a delivery, written by a dispatcher.
// Changes made in bulk (expiry at the cut-off, a stop) are not reported
// one by one; read them from a Report.
type DeliveryEvent struct {
	CampaignID uuid.UUID
	UserID     string
	// Status is the new status: StatusDialling when a call starts,
	// StatusPending when it is deferred (DueAt says to when), or final.
	Status Status
	// Reason is one of the Reason constants, or empty.
	Reason string
	// Attempt counts dial attempts, including this one when Status is
	// StatusDialling.
	Attempt int
	// DueAt is the new due time of a deferred delivery.
	DueAt time.Time
	// At is the dispatcher clock's time of the change.
	At time.Time
}

// Dispatcher runs published campaigns: it materializes their deliveries
// at the start, dials due deliveries through the Caller with bounded
// concurrency, applies the cut-off and DND immediately before each dial,
// records every outcome and completes the campaign. Several dispatchers,
// in one process or many, may run the same campaign on a shared Store.
// A Dispatcher is safe for concurrent use.
type Dispatcher struct {
	cfg Config
	log *slog.Logger

	mu          sync.Mutex
	paceWindow  time.Time
	paceStarted int
	// pacers smooth each campaign's own calls to its Pace; the Store
	// holds the pace across processes.
	pacers map[uuid.UUID]*rate.Limiter
}

// NewDispatcher checks cfg, fills in defaults and returns a dispatcher.
func NewDispatcher(cfg Config) (*Dispatcher, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, invalid("config.store", "is required"))
	}
	if cfg.Caller == nil {
		errs = append(errs, invalid("config.caller", "is required"))
	}
	for _, v := range []struct {
		name string
		n    int64
	}{
		{"config.concurrency", int64(cfg.Concurrency)},
		{"config.claim_batch", int64(cfg.ClaimBatch)},
		{"config.lease", int64(cfg.Lease)},
		{"config.call_timeout", int64(cfg.CallTimeout)},
		{"config.poll_interval", int64(cfg.PollInterval)},
		{"config.max_calls_per_minute", int64(cfg.MaxCallsPerMinute)},
	} {
		if v.n < 0 {
			errs = append(errs, invalid(v.name, "must not be negative"))
		}
	}
	for i, l := range cfg.Limits {
		f := fmt.Sprintf("config.limits[%d]", i)
		errs = append(errs, l.validate(f)...)
		if l.Scope == ScopeCampaign {
			errs = append(errs, invalid(f+".scope", "is a campaign's pace; set it with Builder.Pace"))
		}
	}
	if cfg.SigningKey != nil && len(cfg.SigningKey) != ed25519.PrivateKeySize {
		errs = append(errs, invalid("config.signing_key", "is %d bytes, want an Ed25519 private key of %d", len(cfg.SigningKey), ed25519.PrivateKeySize))
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Locator == nil {
		cfg.Locator = ProfileLocator{}
	}
	cfg.Limits = slices.Clone(cfg.Limits)
	if cfg.Owner == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Owner = "dispatcher-" + hex.EncodeToString(b[:])
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 16
	}
	if cfg.ClaimBatch == 0 {
		cfg.ClaimBatch = 256
	}
	if cfg.Lease == 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 2 * time.Minute
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Lease <= cfg.CallTimeout && cfg.Lease > 0 && cfg.CallTimeout > 0 {
		errs = append(errs, invalid("config.lease", "must be longer than call_timeout (%s), got %s", cfg.CallTimeout, cfg.Lease))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Dispatcher{cfg: cfg, log: cfg.Logger.With("owner", cfg.Owner)}, nil
}

// Owner returns the name this dispatcher writes on its leases.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

// Publish stores c (creating it, or replacing its stored draft) and moves
// it to scheduled with the acknowledgement as its audit record, in one
// atomic Store step, so the definition published is exactly the one
// acknowledged even while others edit the draft. It
// returns ErrNotAcknowledged (with the missing fields) if ack is
// incomplete, ErrImmutable if c was already published, and the
// validation errors of c if it breaks a rule. Publishing does not check
// that the start is still in the future: a campaign whose start has
// passed starts at once, with its audience evaluated as of its start.
func (d *Dispatcher) Publish(ctx context.Context, c *Campaign, ack Acknowledgement) error {
	if err := c.publishable(ack); err != nil {
		return err
	}
	if err := d.checkRules(c); err != nil {
		return err
	}
	if err := d.cfg.Store.PublishCampaign(ctx, c, ack); err != nil {
		return err
	}
	d.log.InfoContext(ctx, "campaign published", "campaign_id", c.ID, "by", ack.By)
	return nil
}

// Preview evaluates the campaign's audience over src as this dispatcher
// would plan it, with its Locator and Rules, without writing or calling
// anything. Show [Reach.Summary] to whoever acknowledges the campaign:
// it names the rule packs that apply and how many people none covers.
func (d *Dispatcher) Preview(ctx context.Context, c *Campaign, src ProfileSource) (Reach, error) {
	if err := d.checkRules(c); err != nil {
		return Reach{}, err
	}
	r, _, err := plan(ctx, c, src, planEnv{locator: d.cfg.Locator, rules: d.cfg.Rules}, time.Time{}, false)
	return r, err
}

// Pause stops new calls of a running campaign; pending deliveries wait.
// Dispatchers notice within their PollInterval; calls already started
// finish normally.
func (d *Dispatcher) Pause(ctx context.Context, id uuid.UUID) error {
	return d.cfg.Store.TransitionCampaign(ctx, id, []CampaignState{StateRunning}, StatePaused, d.cfg.Clock.Now())
}

// Resume lets a paused campaign call again, without re-planning.
func (d *Dispatcher) Resume(ctx context.Context, id uuid.UUID) error {
	return d.cfg.Store.TransitionCampaign(ctx, id, []CampaignState{StatePaused}, StateRunning, d.cfg.Clock.Now())
}

// Stop ends a campaign: no new calls start, and every delivery not yet
// final and not held by a live call becomes stopped.
func (d *Dispatcher) Stop(ctx context.Context, id uuid.UUID) error {
	now := d.cfg.Clock.Now()
	err := d.cfg.Store.TransitionCampaign(ctx, id,
		[]CampaignState{StateScheduled, StateRunning, StatePaused}, StateStopped, now)
	if err != nil {
		return err
	}
	_, err = d.cfg.Store.FinishRemaining(ctx, id, StatusStopped, ReasonStopped, now)
	return err
}

// Report returns the campaign's state and the count of deliveries in
// every status.
func (d *Dispatcher) Report(ctx context.Context, id uuid.UUID) (Report, error) {
	return ReportOf(ctx, d.cfg.Store, id)
}

// Step is the result of one [Dispatcher.Tick].
type Step struct {
	// Done is true when the campaign has ended and every delivery is final.
	Done bool
	// Next is the earliest instant at which another Tick could do work.
	Next time.Time
	// Dialled counts the calls this Tick started.
	Dialled int
}

// Tick does all the work due on the campaign at the clock's current time
// and returns when it is done: it starts the campaign and materializes its
// deliveries if the start has come, claims and dials what is due
// (waiting for those calls), expires what remains at the cut-off and
// completes the campaign. src is read only when deliveries are
// materialized. Run calls Tick in a loop; call it yourself to drive a
// campaign with a mock clock.
func (d *Dispatcher) Tick(ctx context.Context, id uuid.UUID, src ProfileSource) (Step, error) {
	st := d.cfg.Store
	now := d.cfg.Clock.Now()
	c, err := st.Campaign(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Step{}, fmt.Errorf("signedcall: campaign %s is not in the store; publish it first: %w", id, err)
	}
	if err != nil {
		return Step{}, err
	}
	// A definition changed in the database behind the Store's back is
	// not run: every rule Build checks holds for what is dialled.
	if err := c.Validate(time.Time{}); err != nil {
		return Step{}, fmt.Errorf("signedcall: stored campaign %s breaks a rule: %w", id, err)
	}
	switch c.State {
	case StateDraft:
		return Step{}, fmt.Errorf("%w: campaign %s is a draft; publish it first", ErrStateConflict, id)
	case StatePaused:
		if now.Before(c.Schedule.CutOff) {
			return Step{Next: laterOf(now.Add(d.cfg.PollInterval), now)}, nil
		}
		// The cut-off holds for a paused campaign too: it ends there.
		if _, err := st.FinishRemaining(ctx, id, StatusExpired, ReasonCutOff, now); err != nil {
			return Step{}, err
		}
		open, next, err := d.openDeliveries(ctx, id)
		if err != nil {
			return Step{}, err
		}
		if open > 0 {
			return Step{Next: laterOf(next, now)}, nil
		}
		err = st.TransitionCampaign(ctx, id, []CampaignState{StatePaused}, StateCompleted, now)
		if err != nil && !errors.Is(err, ErrStateConflict) {
			return Step{}, err
		}
		return Step{Done: true}, nil
	case StateStopped:
		if _, err := st.FinishRemaining(ctx, id, StatusStopped, ReasonStopped, now); err != nil {
			return Step{}, err
		}
		return d.settle(ctx, id, now)
	case StateCompleted:
		return d.settle(ctx, id, now)
	case StateScheduled:
		if now.Before(c.Schedule.Start) {
			return Step{Next: c.Schedule.Start}, nil
		}
		if err := d.materialize(ctx, c, src, now); err != nil {
			return Step{}, err
		}
		err := st.TransitionCampaign(ctx, id, []CampaignState{StateScheduled}, StateRunning, now)
		if err != nil && !errors.Is(err, ErrStateConflict) {
			return Step{}, err
		}
		// Another dispatcher may have started, paused or stopped it
		// meanwhile; look again.
		return d.Tick(ctx, id, src)
	}
	return d.run(ctx, c, now)
}

// settle reports an ended campaign as done once every delivery is final.
func (d *Dispatcher) settle(ctx context.Context, id uuid.UUID, now time.Time) (Step, error) {
	open, next, err := d.openDeliveries(ctx, id)
	if err != nil || open == 0 {
		return Step{Done: err == nil}, err
	}
	return Step{Next: laterOf(next, now)}, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (d *Dispatcher) openDeliveries(ctx context.Context, id uuid.UUID) (int, time.Time, error) {
	counts, err := d.cfg.Store.Counts(ctx, id)
	if err != nil {
		return 0, time.Time{}, err
	}
	open := counts[StatusPending] + counts[StatusClaimed] + counts[StatusDialling]
	if open == 0 {
		return 0, time.Time{}, nil
	}
	next, _, err := d.cfg.Store.NextDue(ctx, id)
	return open, next, err
}

func (d *Dispatcher) materialize(ctx context.Context, c *Campaign, src ProfileSource, now time.Time) error {
	if src == nil {
		return invalid("source", "is required to start campaign %s", c.ID)
	}
	r, ds, err := plan(ctx, c, src, planEnv{locator: d.cfg.Locator, rules: d.cfg.Rules}, now, true)
	if err != nil {
		return err
	}
	err = d.cfg.Store.Materialize(ctx, c.ID, ds)
	switch {
	case errors.Is(err, ErrAlreadyMaterialized):
		return nil
	case err != nil:
		return err
	}
	if r.UnknownTimeZones > 0 {
		d.log.WarnContext(ctx, "profiles name unknown time zones; their DND is read in the campaign's zone",
			"campaign_id", c.ID, "profiles", r.UnknownTimeZones, "campaign_zone", c.Schedule.TimeZone)
	}
	d.log.InfoContext(ctx, "campaign materialized", "campaign_id", c.ID,
		"qualified", r.Qualified, "control", r.Control, "unreachable", r.Unreachable,
		"capped", r.Capped, "targets", r.Targets)
	return nil
}

// run does the work of a running campaign at now.
func (d *Dispatcher) run(ctx context.Context, c *Campaign, now time.Time) (Step, error) {
	st := d.cfg.Store
	if !now.Before(c.Schedule.CutOff) {
		n, err := st.FinishRemaining(ctx, c.ID, StatusExpired, ReasonCutOff, now)
		if err != nil {
			return Step{}, err
		}
		if n > 0 {
			d.log.InfoContext(ctx, "expired at cut-off", "campaign_id", c.ID, "deliveries", n)
		}
		return d.complete(ctx, c, now)
	}
	loc, err := c.Location()
	if err != nil {
		return Step{}, err
	}

	step, err := d.dialDue(ctx, c, loc)
	if err != nil {
		return step, err
	}
	if err := ctx.Err(); err != nil {
		return step, err
	}
	if !step.Next.IsZero() {
		// The pace budget is spent; nothing more can start before Next.
		return step, nil
	}
	open, next, err := d.openDeliveries(ctx, c.ID)
	if err != nil {
		return step, err
	}
	if open == 0 {
		s, err := d.complete(ctx, c, now)
		s.Dialled = step.Dialled
		return s, err
	}
	step.Next = next
	if next.IsZero() || next.After(c.Schedule.CutOff) {
		step.Next = c.Schedule.CutOff
	}
	return step, nil
}

// complete moves a running campaign to completed once nothing is open.
func (d *Dispatcher) complete(ctx context.Context, c *Campaign, now time.Time) (Step, error) {
	open, next, err := d.openDeliveries(ctx, c.ID)
	if err != nil {
		return Step{}, err
	}
	if open > 0 {
		// A live call of another dispatcher, or one whose lease has yet
		// to expire; come back when it can be rescued.
		return Step{Next: laterOf(next, now)}, nil
	}
	err = d.cfg.Store.TransitionCampaign(ctx, c.ID, []CampaignState{StateRunning}, StateCompleted, now)
	if err != nil && !errors.Is(err, ErrStateConflict) {
		return Step{}, err
	}
	if err == nil {
		d.log.InfoContext(ctx, "campaign completed", "campaign_id", c.ID)
	}
	return Step{Done: true}, nil
}

// budget returns how many calls may start under MaxCallsPerMinute at now,
// and when the next minute opens if none may. The budget is this
// process's own; the campaign-wide pace is Builder.Pace, held by the
// Store.
func (d *Dispatcher) budget(now time.Time) (int, time.Time) {
	if d.cfg.MaxCallsPerMinute == 0 {
		return d.cfg.ClaimBatch, time.Time{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	w := now.Truncate(time.Minute)
	if !w.Equal(d.paceWindow) {
		d.paceWindow, d.paceStarted = w, 0
	}
	left := d.cfg.MaxCallsPerMinute - d.paceStarted
	if left <= 0 {
		return 0, w.Add(time.Minute)
	}
	return left, time.Time{}
}

// takeCall spends one call of the pace budget at now; false means none
// is left this minute.
func (d *Dispatcher) takeCall(now time.Time) bool {
	if d.cfg.MaxCallsPerMinute == 0 {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	w := now.Truncate(time.Minute)
	if !w.Equal(d.paceWindow) {
		d.paceWindow, d.paceStarted = w, 0
	}
	if d.paceStarted >= d.cfg.MaxCallsPerMinute {
		return false
	}
	d.paceStarted++
	return true
}

// write is one transition the dispatcher wants recorded.
type write struct {
	dl     Delivery
	to     Status
	dueAt  time.Time
	reason string
	// limits and maxConcurrent go with a move to dialling.
	limits        []Limit
	maxConcurrent int
}

// dialDue claims and handles due deliveries until none is left, ctx is
// done or the pace budget is spent. Claims are sized to the free call
// slots, so a claimed delivery is decided and dialled at once rather than
// waiting in a queue; the decisions of a claim and the outcomes of calls
// finishing together are each written in one Store call.
func (d *Dispatcher) dialDue(ctx context.Context, c *Campaign, loc *time.Location) (Step, error) {
	// Calls run on a context the caller's cancellation does not cut
	// short: a call in progress finishes and its outcome is recorded.
	callCtx := context.WithoutCancel(ctx)
	concurrency := d.cfg.Concurrency
	if m := c.Delivery.MaxConcurrent; m > 0 {
		concurrency = min(concurrency, m)
	}
	slots := semaphore.NewWeighted(int64(concurrency))
	var (
		step     Step
		calls    sync.WaitGroup
		inFlight atomic.Int64
		finished = make(chan struct{}, 1)
		results  = &groupWriter{d: d, ctx: callCtx}
	)
	defer calls.Wait()

	for ctx.Err() == nil {
		if err := results.failed(); err != nil {
			return step, err
		}
		now := d.cfg.Clock.Now()
		limit, paceNext := d.budget(now)
		if limit == 0 {
			step.Next = paceNext
			break
		}
		if n, next := d.paced(c, now); n == 0 {
			if inFlight.Load() == 0 {
				step.Next = next
				break
			}
			waitFor(ctx, finished)
			continue
		} else {
			limit = min(limit, n)
		}
		// Wait for one free call slot, then take every other free one.
		if err := slots.Acquire(ctx, 1); err != nil {
			continue
		}
		free := 1
		for free < min(limit, d.cfg.ClaimBatch) && slots.TryAcquire(1) {
			free++
		}
		// The claim runs to its end even if ctx ends meanwhile: a store
		// may commit a claim it then reports as cancelled, which would
		// leave deliveries held until their lease expires.
		ds, err := d.cfg.Store.Claim(callCtx, ClaimRequest{
			CampaignID: c.ID, Owner: d.cfg.Owner, Now: d.cfg.Clock.Now(), Lease: d.cfg.Lease, Limit: free,
		})
		if err != nil {
			releaseSlots(slots, free)
			return step, err
		}
		if ctx.Err() != nil && len(ds) > 0 {
			release := make([]write, len(ds))
			for i, dl := range ds {
				release[i] = write{dl: dl, to: StatusPending, dueAt: dl.DueAt, reason: ReasonReleased}
				if dl.Status == StatusDialling {
					release[i] = d.rescue(callCtx, dl)
				}
			}
			releaseSlots(slots, len(ds))
			_, _, err := d.applyAll(callCtx, release)
			return step, err
		}
		releaseSlots(slots, free-len(ds))
		if len(ds) == 0 {
			break
		}

		// The decisions are written even if ctx ends now, so no claim is
		// left to wait for its lease.
		dials, throttle, halted, err := d.decideAll(callCtx, c, loc, ds)
		releaseSlots(slots, len(ds)-len(dials))
		if err != nil {
			releaseSlots(slots, len(dials))
			return step, err
		}
		step.Dialled += len(dials)
		for _, dl := range dials {
			calls.Add(1)
			inFlight.Add(1)
			go func() {
				defer calls.Done()
				w := d.retry(c, d.call(callCtx, c, loc, dl))
				slots.Release(1)
				results.add(w)
				inFlight.Add(-1)
				select {
				case finished <- struct{}{}:
				default:
				}
			}()
		}
		if halted {
			break
		}
		if !throttle.IsZero() {
			// The campaign's pace or its cap on calls in progress, held
			// across processes by the Store, refused a call. Claiming
			// more now would only be refused too: wait for one of our
			// calls to end, or, with none, come back when it allows.
			if inFlight.Load() == 0 {
				step.Next = throttle
				break
			}
			waitFor(ctx, finished)
		}
	}
	calls.Wait()
	if err := results.failed(); err != nil {
		return step, err
	}
	return step, nil
}

// waitFor waits until ch delivers or ctx ends.
func waitFor(ctx context.Context, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// paced returns how many calls the campaign's Pace lets this dispatcher
// start at now, by its own token bucket, and when the next may start if
// none may. Without a Pace it allows a whole claim batch.
func (d *Dispatcher) paced(c *Campaign, now time.Time) (int, time.Time) {
	p := c.Delivery.Pace
	if p == nil {
		return d.cfg.ClaimBatch, time.Time{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	lim, ok := d.pacers[c.ID]
	if !ok {
		every := time.Duration(p.Per) / time.Duration(p.Calls)
		lim = rate.NewLimiter(rate.Every(max(every, time.Nanosecond)), p.Calls)
		lim.SetBurstAt(now, p.Calls)
		if d.pacers == nil {
			d.pacers = map[uuid.UUID]*rate.Limiter{}
		}
		d.pacers[c.ID] = lim
	}
	if n := int(lim.TokensAt(now)); n > 0 {
		return n, time.Time{}
	}
	r := lim.ReserveN(now, 1)
	next := now.Add(r.DelayFrom(now))
	r.CancelAt(now)
	return 0, next
}

// spendPace takes one call from the campaign's token bucket at now.
func (d *Dispatcher) spendPace(c *Campaign, now time.Time) bool {
	if c.Delivery.Pace == nil {
		return true
	}
	d.mu.Lock()
	lim := d.pacers[c.ID]
	d.mu.Unlock()
	return lim == nil || lim.AllowN(now, 1)
}

// checkRules refuses a campaign whose rule packs this dispatcher cannot
// apply: one it names that Config.Rules lacks, or ByCountry without
// any Config.Rules.
func (d *Dispatcher) checkRules(c *Campaign) error {
	var errs []error
	for i, id := range c.Delivery.Rules.Packs {
		if _, ok := d.cfg.Rules.Pack(id); !ok {
			errs = append(errs, fmt.Errorf("%w: delivery.rules.packs[%d]: %q is not in config.rules", ErrUnknownRulePack, i, id))
		}
	}
	if c.Delivery.Rules.ByCountry && d.cfg.Rules == nil {
		errs = append(errs, fmt.Errorf("%w: delivery.rules.by_country: config.rules is nil", ErrUnknownRulePack))
	}
	return errors.Join(errs...)
}

// rulesFor returns what a call to dl must satisfy: its zones, with the
// campaign's standing in for any this host cannot load, and its packs.
func (d *Dispatcher) rulesFor(dl Delivery, campaignLoc *time.Location) (rules, error) {
	r := rules{zones: []*time.Location{recipientLoc(dl, campaignLoc)}}
	for _, z := range dl.OtherZones {
		l, err := loadLocation(z)
		if err != nil {
			l = campaignLoc
		}
		if !slices.Contains(r.zones, l) {
			r.zones = append(r.zones, l)
		}
	}
	for _, id := range dl.Packs {
		p, ok := d.cfg.Rules.Pack(id)
		if !ok {
			return r, fmt.Errorf("%w: delivery of user %s needs pack %q, which config.rules lacks", ErrUnknownRulePack, dl.UserID, id)
		}
		r.packs = append(r.packs, p)
	}
	return r, nil
}

// limitsFor lists the limits a call to dl starts under: the campaign's
// pace, the host's limits and those of the person's packs.
func (d *Dispatcher) limitsFor(c *Campaign, r rules) []Limit {
	var ls []Limit
	if p := c.Delivery.Pace; p != nil {
		ls = append(ls, p.limit())
	}
	ls = append(ls, d.cfg.Limits...)
	for _, p := range r.packs {
		for _, l := range p.Limits {
			if !slices.Contains(ls, l) {
				ls = append(ls, l)
			}
		}
	}
	return ls
}

func releaseSlots(slots *semaphore.Weighted, n int) {
	if n > 0 {
		slots.Release(int64(n))
	}
}

// decideAll applies the time rules to each claimed delivery at the last
// moment before dialling, writes every decision in one Store call and
// returns the deliveries now in dialling under this dispatcher's lease:
// the calls to place. The Store checks the limits in the same step as
// each move to dialling; a call a per-person limit refuses follows the
// campaign's policy, and one the pace or the cap on calls in progress
// refuses goes back to the queue.
//
// throttle, when set, is when the pace or the concurrency cap may next
// allow a call; halted reports that the campaign stopped running since
// the claim. A delivery naming a pack Config.Rules lacks is handed back
// and reported as an error: no call starts under rules this process
// cannot read.
func (d *Dispatcher) decideAll(ctx context.Context, c *Campaign, campaignLoc *time.Location, ds []Delivery) (dials []Delivery, throttle time.Time, halted bool, err error) {
	ws := make([]write, 0, len(ds))
	rs := make([]rules, 0, len(ds))
	var rulesErr error
	for _, dl := range ds {
		r, rerr := d.rulesFor(dl, campaignLoc)
		rs = append(rs, r)
		if dl.Status == StatusDialling {
			ws = append(ws, d.rescue(ctx, dl))
			continue
		}
		now := d.cfg.Clock.Now()
		if rerr != nil {
			rulesErr = cmp.Or(rulesErr, rerr)
			ws = append(ws, write{dl: dl, to: StatusPending, dueAt: dl.DueAt, reason: ReasonReleased})
			continue
		}
		dec := decide(c, r, now)
		switch {
		case dec.status != "":
			ws = append(ws, write{dl: dl, to: endStatus(dl, dec.status), reason: dec.reason})
		case !dec.deferTo.IsZero():
			ws = append(ws, write{dl: dl, to: StatusPending, dueAt: dec.deferTo, reason: keepRetry(dl, dec.reason)})
		case !now.Add(d.cfg.CallTimeout).Before(dl.Lease.Expires):
			// A call started now could outlive the lease and be rescued
			// while it rings. Hand it back to be claimed afresh.
			ws = append(ws, write{dl: dl, to: StatusPending, dueAt: now, reason: ReasonReleased})
		case !d.takeCall(now):
			ws = append(ws, write{dl: dl, to: StatusPending, dueAt: now.Truncate(time.Minute).Add(time.Minute), reason: ReasonPaced})
		case !d.spendPace(c, now):
			_, next := d.paced(c, now)
			next = laterOf(next, now)
			throttle = earliest(throttle, next)
			ws = append(ws, write{dl: dl, to: StatusPending, dueAt: next, reason: ReasonPaced})
		default:
			ws = append(ws, write{dl: dl, to: StatusDialling, limits: d.limitsFor(c, r), maxConcurrent: c.Delivery.MaxConcurrent})
		}
	}
	applied, errs, err := d.applyAll(ctx, ws)
	if err != nil {
		return nil, throttle, false, err
	}
	// Only a successful move to dialling, under our own lease, lets a
	// call start; a lost lease means another dispatcher owns it now, and
	// a campaign paused or stopped since the claim gets its claims back.
	var again []write
	for i, w := range ws {
		var le *LimitError
		switch {
		case w.to == StatusDialling && applied[i]:
			dl := w.dl
			dl.Status = StatusDialling
			dl.Attempt++
			dials = append(dials, dl)
		case errors.Is(errs[i], ErrNotRunning):
			halted = true
			again = append(again, write{dl: w.dl, to: StatusPending, dueAt: w.dl.DueAt, reason: ReasonReleased})
		case errors.As(errs[i], &le):
			now := d.cfg.Clock.Now()
			switch {
			case le.Concurrent > 0:
				next := now.Add(d.cfg.PollInterval / 10)
				throttle = earliest(throttle, next)
				again = append(again, write{dl: w.dl, to: StatusPending, dueAt: next, reason: ReasonPaced})
			case le.Limit.Scope == ScopeCampaign:
				throttle = earliest(throttle, le.RetryAt)
				again = append(again, write{dl: w.dl, to: StatusPending, dueAt: le.RetryAt, reason: ReasonPaced})
			default:
				dec := deferLimited(c, rs[i], le.RetryAt)
				if dec.status != "" {
					again = append(again, write{dl: w.dl, to: endStatus(w.dl, dec.status), reason: dec.reason})
				} else {
					again = append(again, write{dl: w.dl, to: StatusPending, dueAt: dec.deferTo, reason: keepRetry(w.dl, dec.reason)})
				}
			}
		}
	}
	if len(again) > 0 {
		if _, _, err := d.applyAll(ctx, again); err != nil {
			return dials, throttle, true, err
		}
	}
	if rulesErr != nil {
		return dials, throttle, true, rulesErr
	}
	return dials, throttle, halted, nil
}

// retried returns the status of the call a pending retry repeats (busy,
// missed or failed), from the reason the retry was written with.
func retried(dl Delivery) (Status, bool) {
	prev, ok := strings.CutPrefix(dl.Reason, ReasonRetry)
	if !ok || dl.Attempt == 0 {
		return "", false
	}
	s := Status(prev)
	return s, s.Final()
}

// endStatus is the final status of a delivery that ends without a call
// now, for reason of the time rules or a limit: a retry keeps the result
// of the call it retried, since that call was placed, and the reason
// says why it was not called again.
func endStatus(dl Delivery, s Status) Status {
	if prev, ok := retried(dl); ok && (s == StatusDiscardedDND || s == StatusExpired) {
		return prev
	}
	return s
}

// keepRetry is the reason for deferring dl: a retry keeps its retry
// reason, so that it still knows what it retries when it ends.
func keepRetry(dl Delivery, reason string) string {
	if _, ok := retried(dl); ok {
		return dl.Reason
	}
	return reason
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// recipientLoc is the zone DND is read in for a delivery: the one it
// recorded when it was planned, or the campaign's if this host cannot
// load that zone (its zone database lacks it).
func recipientLoc(dl Delivery, campaignLoc *time.Location) *time.Location {
	if dl.TimeZone != "" {
		if l, err := loadLocation(dl.TimeZone); err == nil {
			return l
		}
	}
	return campaignLoc
}

// call places one call and returns the outcome to record. The cut-off
// and DND are checked once more right before the Caller is asked, since
// writing the dialling state took a Store round trip. A panicking Caller
// is recovered and its delivery recorded as unknown: the call may have
// been placed.
func (d *Dispatcher) call(ctx context.Context, c *Campaign, campaignLoc *time.Location, dl Delivery) (w write) {
	now := d.cfg.Clock.Now()
	if !now.Add(d.cfg.CallTimeout).Before(dl.Lease.Expires) {
		// The lease no longer covers a whole call (this process stalled,
		// or the dialling write landed late): a rescuer may already own
		// the delivery. Hand it back rather than risk a second caller.
		dl.Attempt--
		return write{dl: dl, to: StatusPending, dueAt: now, reason: ReasonReleased}
	}
	r, err := d.rulesFor(dl, campaignLoc)
	if err != nil {
		// Checked before the move to dialling; a Config.Rules changed
		// since then is no reason to call under unknown rules.
		dl.Attempt--
		return write{dl: dl, to: StatusPending, dueAt: now, reason: ReasonReleased}
	}
	if dec := decide(c, r, now); !dec.dial {
		dl.Attempt-- // the attempt never reached the Caller
		if dec.status != "" {
			return write{dl: dl, to: endStatus(dl, dec.status), reason: dec.reason}
		}
		return write{dl: dl, to: StatusPending, dueAt: dec.deferTo, reason: keepRetry(dl, dec.reason)}
	}
	defer func() {
		if r := recover(); r != nil {
			d.log.ErrorContext(ctx, "caller panicked", "campaign_id", dl.CampaignID,
				"user_id", dl.UserID, "phone", MaskPhone(dl.Phone), "panic", fmt.Sprint(r))
			w = write{dl: dl, to: StatusUnknown, dueAt: time.Time{}, reason: ReasonCallerPanic}
		}
	}()
	req := CallRequest{
		IdempotencyKey: dl.IdempotencyKey(), CampaignID: dl.CampaignID, UserID: dl.UserID,
		Phone: dl.Phone, CallContext: c.CallContext, Attempt: dl.Attempt,
	}
	if d.cfg.SigningKey != nil {
		req.Signature = SignCallRequest(d.cfg.SigningKey, req)
	}
	cctx, cancel := context.WithTimeout(ctx, d.cfg.CallTimeout)
	outcome, callErr := d.cfg.Caller.Call(cctx, req)
	cancel()

	switch s, ok := outcome.status(); {
	case callErr != nil && errors.Is(callErr, ErrNotDialled):
		return write{dl: dl, to: StatusFailed, dueAt: time.Time{}, reason: ReasonNotDialled}
	case callErr != nil:
		d.log.WarnContext(ctx, "call outcome unknown", "campaign_id", dl.CampaignID,
			"user_id", dl.UserID, "phone", MaskPhone(dl.Phone), "error", callErr)
	case ok:
		return write{dl: dl, to: s}
	default:
		d.log.WarnContext(ctx, "caller returned an unknown outcome", "campaign_id", dl.CampaignID,
			"user_id", dl.UserID, "outcome", string(outcome))
	}
	return write{dl: dl, to: StatusUnknown, dueAt: time.Time{}, reason: ReasonCallerError}
}

// retry turns a result the campaign's policy retries into a deferral to
// the next attempt, unless that would be at or after the cut-off.
func (d *Dispatcher) retry(c *Campaign, w write) write {
	if w.dl.Status != StatusDialling {
		return w // the call never reached the Caller
	}
	next, ok := c.Delivery.Retry.next(w.dl.Attempt, w.to, w.reason, d.cfg.Clock.Now())
	if !ok || !next.Before(c.Schedule.CutOff) {
		return w
	}
	return write{dl: w.dl, to: StatusPending, dueAt: next, reason: ReasonRetry + string(w.to)}
}

// rescue decides a delivery whose previous holder died while dialling:
// back to the queue if the Caller confirms no call was placed, unknown
// otherwise. Nobody is dialled twice on a guess.
func (d *Dispatcher) rescue(ctx context.Context, dl Delivery) write {
	if pc, ok := d.cfg.Caller.(PlacementChecker); ok {
		placed, err := pc.Placed(ctx, dl.IdempotencyKey())
		if err == nil && !placed {
			return write{dl: dl, to: StatusPending, dueAt: d.cfg.Clock.Now(), reason: ReasonRescued}
		}
	}
	return write{dl: dl, to: StatusUnknown, dueAt: time.Time{}, reason: ReasonRescued}
}

// groupWriter records call outcomes with group commit: the first call to
// finish writes at once, and outcomes arriving while a write is in flight
// are written together by the next one. Under load that batches many
// outcomes per Store call; when idle it adds no delay.
type groupWriter struct {
	d   *Dispatcher
	ctx context.Context

	mu       sync.Mutex
	buf      []write
	flushing bool
	err      error
}

func (g *groupWriter) add(w write) {
	g.mu.Lock()
	g.buf = append(g.buf, w)
	if g.flushing {
		g.mu.Unlock()
		return
	}
	g.flushing = true
	for len(g.buf) > 0 {
		batch := g.buf
		g.buf = nil
		g.mu.Unlock()
		err := g.write(batch)
		g.mu.Lock()
		if err != nil && g.err == nil {
			g.err = err
		}
	}
	g.flushing = false
	g.mu.Unlock()
}

// write records a batch of outcomes, trying again a few times when the
// Store fails: an outcome not written is an answered call later rescued
// as unknown.
func (g *groupWriter) write(batch []write) error {
	var err error
	for try := range 4 {
		if try > 0 {
			time.Sleep(time.Duration(try) * 100 * time.Millisecond)
		}
		if _, _, err = g.d.applyAll(g.ctx, batch); err == nil {
			return nil
		}
		g.d.log.WarnContext(g.ctx, "recording outcomes failed; trying again", "outcomes", len(batch), "error", err)
	}
	return err
}

func (g *groupWriter) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// applyAll writes lease-checked transitions in one Store call and tells
// the observer about each applied one. applied[i] is false when write i
// lost its lease: another dispatcher rescued the delivery and its write
// stands.
func (d *Dispatcher) applyAll(ctx context.Context, ws []write) ([]bool, []error, error) {
	if len(ws) == 0 {
		return nil, nil, nil
	}
	now := d.cfg.Clock.Now()
	ts := make([]Transition, len(ws))
	for i, w := range ws {
		ts[i] = Transition{
			Key: w.dl.Key(), Owner: w.dl.Lease.Owner, Token: w.dl.Lease.Token,
			To: w.to, DueAt: w.dueAt, Reason: w.reason, At: now,
			Limits: w.limits, MaxConcurrent: w.maxConcurrent,
		}
	}
	errs, err := d.cfg.Store.Apply(ctx, ts)
	if err != nil {
		return nil, nil, fmt.Errorf("signedcall: recording %d delivery changes: %w", len(ws), err)
	}
	if len(errs) != len(ws) {
		return nil, nil, fmt.Errorf("signedcall: store answered %d results for %d delivery changes", len(errs), len(ws))
	}
	applied := make([]bool, len(ws))
	for i, w := range ws {
		dl := w.dl
		switch {
		case errors.Is(errs[i], ErrLeaseLost):
			d.log.WarnContext(ctx, "lease lost", "campaign_id", dl.CampaignID, "user_id", dl.UserID, "status", string(w.to))
			continue
		case errors.Is(errs[i], ErrNotRunning), errors.Is(errs[i], ErrLimited):
			// Paused or stopped since the claim, or held back by a limit;
			// the caller decides what comes next.
			continue
		case errs[i] != nil:
			return applied, errs, fmt.Errorf("signedcall: recording %s for user %s: %w", w.to, dl.UserID, errs[i])
		}
		applied[i] = true
		attempt := dl.Attempt
		if w.to == StatusDialling {
			attempt++
		}
		d.log.DebugContext(ctx, "delivery", "campaign_id", dl.CampaignID, "user_id", dl.UserID,
			"phone", MaskPhone(dl.Phone), "status", string(w.to), "reason", w.reason, "attempt", attempt)
		if d.cfg.Observer != nil {
			d.cfg.Observer.ObserveDelivery(ctx, DeliveryEvent{
				CampaignID: dl.CampaignID, UserID: dl.UserID, Status: w.to, Reason: w.reason,
				Attempt: attempt, DueAt: w.dueAt, At: now,
			})
		}
	}
	return applied, errs, nil
}

// Run drives the campaign until it ends or ctx is done: it calls Tick and
// sleeps on the clock until the next work is due, waking at least every
// PollInterval to notice changes made by other processes. Calls in
// progress when ctx ends are finished and recorded; Run then returns
// ctx's error. On completion it returns the final report.
func (d *Dispatcher) Run(ctx context.Context, id uuid.UUID, src ProfileSource) (Report, error) {
	for {
		step, err := d.Tick(ctx, id, src)
		if err != nil {
			return Report{}, err
		}
		if step.Done {
			return d.Report(ctx, id)
		}
		wait := step.Next.Sub(d.cfg.Clock.Now())
		if step.Next.IsZero() || wait > d.cfg.PollInterval {
			wait = d.cfg.PollInterval
		}
		if wait > 0 {
			t := d.cfg.Clock.Timer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return Report{}, ctx.Err()
			case <-t.C:
			}
		} else if err := ctx.Err(); err != nil {
			return Report{}, err
		}
	}
}

// MaskPhone hides all but the country-code side and the last two digits
// of a number, for logs: "+12125550123" becomes "+12*******23".
func MaskPhone(phone string) string {
	if len(phone) <= 5 {
		return "***"
	}
	b := []byte(phone)
	for i := 3; i < len(b)-2; i++ {
		b[i] = '*'
	}
	return string(b)
}

// Package memstore is an in-memory [signedcall.Store] for tests, demos and
// hosts that run a single process. It keeps every campaign and delivery in
// the process's memory behind one mutex: nothing survives a restart, and
// two processes never see each other's data, so it gives none of the
// crash or multi-process guarantees a database-backed Store gives.
//
// A Store is safe for concurrent use by many goroutines. It passes the
// conformance suite in store/storetest.
//
// Claim and Apply cost O(k log n) for k deliveries touched in a campaign of
// n: pending deliveries are kept in a heap by due time and leased ones in a
// heap by lease expiry, so a claim never scans the whole campaign.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

// Store is an in-memory [signedcall.Store]. Create one with [New]; the zero
// value is not usable.
type Store struct {
	mu        sync.Mutex
	campaigns map[uuid.UUID]*campaign
	// token is the last lease token issued. Tokens increase across the
	// whole store, so no two claims ever share one.
	token int64
	// byPhone holds the call starts of every campaign by number, for
	// per-person limits; entries older than MaxLimitWindow are dropped.
	byPhone map[string][]signedcall.CallStart
}

var _ signedcall.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{campaigns: make(map[uuid.UUID]*campaign), byPhone: map[string][]signedcall.CallStart{}}
}

// campaign is one stored campaign and its deliveries.
type campaign struct {
	// c is replaced, never modified, so a reader may clone it after
	// releasing the lock.
	c *signedcall.Campaign

	materialized bool
	byUser       map[string]*rec
	// sorted is every record in UserID order, fixed by Materialize.
	sorted []*rec

	// Every record that is not final is in exactly one heap. pending
	// holds pending records by due time; leased holds claimed and
	// dialling records by lease expiry. A claim moves records whose lease
	// has expired from leased to rescue, which is ordered by due time
	// like pending, so that both merge into the order Claim returns.
	pending, leased, rescue recHeap

	counts map[signedcall.Status]int

	// starts are the campaign's call starts in order of At, for its pace.
	starts []signedcall.CallStart
}

// rec is one delivery and its place in a heap.
type rec struct {
	d    signedcall.Delivery
	heap *recHeap // nil when final
	idx  int
}

// chunk is how many deliveries Deliveries copies per hold of the lock.
const chunk = 256

func newCampaign(c *signedcall.Campaign) *campaign {
	return &campaign{
		c:       c,
		byUser:  map[string]*rec{},
		pending: recHeap{less: byDue},
		leased:  recHeap{less: byExpiry},
		rescue:  recHeap{less: byDue},
		counts:  map[signedcall.Status]int{},
	}
}

// setStatus moves r to status st and keeps the counts.
func (c *campaign) setStatus(r *rec, st signedcall.Status) {
	if n := c.counts[r.d.Status] - 1; n > 0 {
		c.counts[r.d.Status] = n
	} else {
		delete(c.counts, r.d.Status)
	}
	c.counts[st]++
	r.d.Status = st
}

// finish gives r the final status st at instant at.
func (c *campaign) finish(r *rec, st signedcall.Status, reason string, at time.Time) {
	if r.heap != nil {
		r.heap.remove(r)
	}
	c.setStatus(r, st)
	r.d.Lease = signedcall.Lease{}
	r.d.Reason = reason
	r.d.UpdatedAt, r.d.FinishedAt = at, at
}

// campaign returns the stored campaign id. The caller holds s.mu.
func (s *Store) campaign(id uuid.UUID) (*campaign, error) {
	c, ok := s.campaigns[id]
	if !ok {
		return nil, fmt.Errorf("memstore: campaign %s: %w", id, signedcall.ErrNotFound)
	}
	return c, nil
}

// CreateCampaign stores a deep copy of c. It returns the error of
// c.Validate(time.Time{}) unchanged if c is invalid, and
// [signedcall.ErrCampaignExists] if the ID is taken.
func (s *Store) CreateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("memstore: create campaign: nil campaign: %w", signedcall.ErrInvalid)
	}
	if err := c.Validate(time.Time{}); err != nil {
		return err
	}
	cp, err := signedcall.CloneCampaign(c)
	if err != nil {
		return fmt.Errorf("memstore: create campaign %s: %w", c.ID, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.campaigns[c.ID]; ok {
		return fmt.Errorf("memstore: campaign %s: %w", c.ID, signedcall.ErrCampaignExists)
	}
	s.campaigns[c.ID] = newCampaign(cp)
	return nil
}

// Campaign returns a deep copy of the stored campaign, or
// [signedcall.ErrNotFound].
func (s *Store) Campaign(ctx context.Context, id uuid.UUID) (*signedcall.Campaign, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.campaign(id)
	var stored *signedcall.Campaign
	if err == nil {
		stored = c.c
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return signedcall.CloneCampaign(stored)
}

// UpdateCampaign replaces a draft's definition with a deep copy of c,
// keeping the stored CreatedAt. It returns [signedcall.ErrNotFound],
// [signedcall.ErrImmutable] if the stored campaign is no longer a draft,
// an error matching [signedcall.ErrInvalid] if c is not a draft (only
// PublishCampaign and TransitionCampaign move state), and the error of
// c.Validate(time.Time{}) unchanged if c is invalid.
func (s *Store) UpdateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("memstore: update campaign: nil campaign: %w", signedcall.ErrInvalid)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := s.campaign(c.ID)
	if err != nil {
		return err
	}
	if stored.c.State != signedcall.StateDraft {
		return fmt.Errorf("memstore: campaign %s is %s: %w", c.ID, stored.c.State, signedcall.ErrImmutable)
	}
	if c.State != signedcall.StateDraft {
		return fmt.Errorf("memstore: update campaign %s: state %q: only PublishCampaign "+
			"and TransitionCampaign change state: %w", c.ID, c.State, signedcall.ErrInvalid)
	}
	if err := c.Validate(time.Time{}); err != nil {
		return err
	}
	cp, err := signedcall.CloneCampaign(c)
	if err != nil {
		return fmt.Errorf("memstore: update campaign %s: %w", c.ID, err)
	}
	cp.CreatedAt = stored.c.CreatedAt
	stored.c = cp
	return nil
}

// PublishCampaign stores a deep copy of c as published with a copy of
// ack, in one step under the store's lock: it creates the campaign, or
// replaces a stored draft's definition (keeping its CreatedAt). State
// becomes scheduled and UpdatedAt ack.At. It returns
// [signedcall.ErrImmutable] if the stored campaign is no longer a draft,
// an error matching [signedcall.ErrInvalid] if c is not a draft, an error
// matching [signedcall.ErrNotAcknowledged] and [signedcall.ErrInvalid] if
// ack is incomplete, and the error of Validate if c breaks a rule.
func (s *Store) PublishCampaign(ctx context.Context, c *signedcall.Campaign, ack signedcall.Acknowledgement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next, err := signedcall.PublishedCopy(c, ack)
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := s.campaign(c.ID)
	switch {
	case err == nil && stored.c.State != signedcall.StateDraft:
		return fmt.Errorf("memstore: publish campaign %s: it is %s: %w", c.ID, stored.c.State, signedcall.ErrImmutable)
	case err == nil:
		next.CreatedAt = stored.c.CreatedAt
	case !errors.Is(err, signedcall.ErrNotFound):
		return err
	}
	if stored != nil {
		stored.c = next
		return nil
	}
	s.campaigns[c.ID] = newCampaign(next)
	return nil
}

// TransitionCampaign moves the campaign to state to, and UpdatedAt to at,
// if its state is one of from. It returns [signedcall.ErrNotFound],
// [signedcall.ErrStateConflict] if the state is not in from or is draft
// (a draft leaves that state only by PublishCampaign), and an error
// matching [signedcall.ErrInvalid] if to is draft or unknown.
func (s *Store) TransitionCampaign(ctx context.Context, id uuid.UUID, from []signedcall.CampaignState, to signedcall.CampaignState, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := signedcall.CheckTransitionTarget(to); err != nil {
		return fmt.Errorf("memstore: transition campaign %s: %w", id, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := s.campaign(id)
	if err != nil {
		return err
	}
	cur := stored.c.State
	if err := signedcall.CheckTransition(cur, from, to); err != nil {
		return fmt.Errorf("memstore: transition campaign %s: %w", id, err)
	}
	next := *stored.c
	next.State = to
	next.UpdatedAt = at
	stored.c = &next
	return nil
}

// Materialize stores copies of ds as the campaign's deliveries, all or
// none. Besides the errors documented on [signedcall.Store], it returns an
// error matching [signedcall.ErrInvalid] for a delivery with an empty
// UserID, a lease, or a status other than pending or final.
func (s *Store) Materialize(ctx context.Context, campaignID uuid.UUID, ds []signedcall.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}

	// Refuse early without building anything, then build outside the lock
	// (a campaign may have a million deliveries) and check again.
	if err := s.canMaterialize(campaignID); err != nil {
		return err
	}
	recs := make([]rec, len(ds))
	byUser := make(map[string]*rec, len(ds))
	sorted := make([]*rec, len(ds))
	var pending []*rec
	counts := map[signedcall.Status]int{}
	for i, d := range ds {
		if err := checkNew(campaignID, i, &d); err != nil {
			return err
		}
		if _, dup := byUser[d.UserID]; dup {
			return fmt.Errorf("memstore: materialize campaign %s: delivery %d: user %q appears twice: %w",
				campaignID, i, d.UserID, signedcall.ErrDuplicateDelivery)
		}
		r := &recs[i]
		r.d, r.idx = d, -1
		byUser[d.UserID] = r
		sorted[i] = r
		counts[d.Status]++
		if d.Status == signedcall.StatusPending {
			pending = append(pending, r)
		}
	}
	slices.SortFunc(sorted, func(a, b *rec) int { return strings.Compare(a.d.UserID, b.d.UserID) })

	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.materializable(campaignID)
	if err != nil {
		return err
	}
	c.materialized = true
	c.byUser, c.sorted, c.counts = byUser, sorted, counts
	c.pending.init(pending)
	return nil
}

func (s *Store) canMaterialize(id uuid.UUID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.materializable(id)
	return err
}

// materializable returns the campaign if it exists and has no deliveries
// yet. The caller holds s.mu.
func (s *Store) materializable(id uuid.UUID) (*campaign, error) {
	c, err := s.campaign(id)
	if err != nil {
		return nil, err
	}
	if c.materialized {
		return nil, fmt.Errorf("memstore: campaign %s: %w", id, signedcall.ErrAlreadyMaterialized)
	}
	return c, nil
}

// checkNew checks delivery i of a Materialize call for campaign id.
func checkNew(id uuid.UUID, i int, d *signedcall.Delivery) error {
	if err := signedcall.CheckNewDelivery(id, d); err != nil {
		return fmt.Errorf("memstore: materialize campaign %s: delivery %d: %w", id, i, err)
	}
	return nil
}

// Claim leases due deliveries as documented on [signedcall.Store]. Lease
// tokens increase across the whole Store. It returns an error matching
// [signedcall.ErrInvalid] if req.Limit or req.Lease is not positive or
// req.Owner is empty, and [signedcall.ErrNotFound] for an unknown campaign.
func (s *Store) Claim(ctx context.Context, req signedcall.ClaimRequest) ([]signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var problem string
	switch {
	case req.Limit <= 0:
		problem = fmt.Sprintf("limit %d is not positive", req.Limit)
	case req.Lease <= 0:
		problem = fmt.Sprintf("lease %v is not positive", req.Lease)
	case req.Owner == "":
		problem = "owner is empty"
	}
	if problem != "" {
		return nil, fmt.Errorf("memstore: claim: %s: %w", problem, signedcall.ErrInvalid)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.campaign(req.CampaignID)
	if err != nil {
		return nil, err
	}
	now := req.Now
	for r := c.leased.peek(); r != nil && !r.d.Lease.Expires.After(now); r = c.leased.peek() {
		c.leased.remove(r)
		c.rescue.push(r)
	}

	out := make([]signedcall.Delivery, 0, min(req.Limit, c.pending.len()+c.rescue.len()))
	lease := signedcall.Lease{Owner: req.Owner, Expires: now.Add(req.Lease)}
	for len(out) < req.Limit {
		r := c.rescue.peek()
		if r != nil && r.d.Lease.Expires.After(now) {
			// An earlier claim with a later Now moved it here.
			c.rescue.remove(r)
			c.leased.push(r)
			continue
		}
		p := c.pending.peek()
		if p != nil && p.d.DueAt.After(now) {
			p = nil
		}
		if r == nil || (p != nil && byDue(p, r)) {
			r = p
		}
		if r == nil {
			break
		}

		r.heap.remove(r)
		s.token++
		lease.Token = s.token
		r.d.Lease = lease
		if r.d.Status == signedcall.StatusPending {
			c.setStatus(r, signedcall.StatusClaimed)
		}
		r.d.UpdatedAt = now
		c.leased.push(r)
		out = append(out, r.d)
	}
	return out, nil
}

// Apply writes the transitions in order as documented on
// [signedcall.Store]. A transition whose To is not StatusDialling,
// StatusPending or a final status, or that moves a delivery to
// StatusDialling when it is not StatusClaimed, gets an error matching
// [signedcall.ErrInvalid]. A final status clears the lease.
func (s *Store) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, len(ts))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range ts {
		errs[i] = s.apply(&ts[i])
	}
	return errs, nil
}

// apply writes one transition. The caller holds s.mu.
func (s *Store) apply(t *signedcall.Transition) error {
	if t.To != signedcall.StatusDialling && t.To != signedcall.StatusPending && !t.To.Final() {
		return fmt.Errorf("memstore: delivery %s/%s: cannot move to status %q: %w",
			t.Key.CampaignID, t.Key.UserID, t.To, signedcall.ErrInvalid)
	}
	c, r, err := s.delivery(t.Key)
	if err != nil {
		return err
	}
	d := &r.d
	if d.Status.Final() || d.Status == signedcall.StatusPending ||
		d.Lease.Owner != t.Owner || d.Lease.Token != t.Token {
		return fmt.Errorf("memstore: delivery %s/%s is %s: %w",
			t.Key.CampaignID, t.Key.UserID, d.Status, signedcall.ErrLeaseLost)
	}

	switch {
	case t.To == signedcall.StatusDialling:
		if d.Status != signedcall.StatusClaimed {
			return fmt.Errorf("memstore: delivery %s/%s: cannot dial from %s: %w",
				t.Key.CampaignID, t.Key.UserID, d.Status, signedcall.ErrInvalid)
		}
		if c.c.State != signedcall.StateRunning {
			return fmt.Errorf("memstore: delivery %s/%s: campaign is %s: %w",
				t.Key.CampaignID, t.Key.UserID, c.c.State, signedcall.ErrNotRunning)
		}
		if err := s.checkLimits(c, d, t); err != nil {
			return fmt.Errorf("memstore: delivery %s/%s: %w", t.Key.CampaignID, t.Key.UserID, err)
		}
		c.setStatus(r, signedcall.StatusDialling)
		d.Attempt++
		s.recordStart(c, d, t.At)
	case t.To == signedcall.StatusPending:
		r.heap.remove(r)
		c.setStatus(r, signedcall.StatusPending)
		d.Lease = signedcall.Lease{}
		d.DueAt = t.DueAt
		c.pending.push(r)
	default:
		c.finish(r, t.To, t.Reason, t.At)
		return nil
	}
	d.Reason = t.Reason
	d.UpdatedAt = t.At
	return nil
}

// checkLimits applies t's limits and concurrency cap to a move of d to
// dialling. The caller holds s.mu, which makes check and record atomic.
func (s *Store) checkLimits(c *campaign, d *signedcall.Delivery, t *signedcall.Transition) error {
	if len(t.Limits) == 0 && t.MaxConcurrent == 0 {
		return nil
	}
	dialling := 0
	if t.MaxConcurrent > 0 {
		for _, x := range c.leased.items {
			if x.d.Status == signedcall.StatusDialling && x.d.Lease.Expires.After(t.At) {
				dialling++
			}
		}
	}
	// Only starts inside the longest campaign window can count.
	w := signedcall.LongestWindow(t.Limits, signedcall.ScopeCampaign)
	from := t.At.Add(-w)
	i, _ := slices.BinarySearchFunc(c.starts, from, func(cs signedcall.CallStart, t time.Time) int {
		return cs.At.Compare(t)
	})
	return signedcall.CheckLimits(*t, c.starts[i:], s.byPhone[d.Phone], dialling)
}

// recordStart keeps a call start for later limits. The caller holds s.mu.
func (s *Store) recordStart(c *campaign, d *signedcall.Delivery, at time.Time) {
	cs := signedcall.CallStart{CampaignID: c.c.ID.String(), Phone: d.Phone, At: at}
	i, _ := slices.BinarySearchFunc(c.starts, at, func(cs signedcall.CallStart, t time.Time) int {
		return cmpAfter(cs.At, t)
	})
	c.starts = slices.Insert(c.starts, i, cs)
	if d.Phone == "" {
		return
	}
	keep := at.Add(-signedcall.MaxLimitWindow)
	list := slices.DeleteFunc(s.byPhone[d.Phone], func(x signedcall.CallStart) bool { return !x.At.After(keep) })
	s.byPhone[d.Phone] = append(list, cs)
}

// cmpAfter orders equal instants before t, so an insert goes after them.
func cmpAfter(a, t time.Time) int {
	if a.After(t) {
		return 1
	}
	return -1
}

// delivery returns the record for key. The caller holds s.mu.
func (s *Store) delivery(key signedcall.Key) (*campaign, *rec, error) {
	if c, ok := s.campaigns[key.CampaignID]; ok {
		if r, ok := c.byUser[key.UserID]; ok {
			return c, r, nil
		}
	}
	return nil, nil, fmt.Errorf("memstore: delivery %s/%s: %w", key.CampaignID, key.UserID, signedcall.ErrNotFound)
}

// FinishRemaining finishes deliveries as documented on [signedcall.Store].
// Finished deliveries get reason, UpdatedAt and FinishedAt at, and no
// lease. It returns an error matching [signedcall.ErrInvalid] if status
// is not final.
func (s *Store) FinishRemaining(ctx context.Context, campaignID uuid.UUID, status signedcall.Status, reason string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !status.Final() {
		return 0, fmt.Errorf("memstore: finish campaign %s: status %q is not final: %w",
			campaignID, status, signedcall.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.campaign(campaignID)
	if err != nil {
		return 0, err
	}

	n := 0
	finish := func(r *rec) {
		st := status
		if r.d.Status == signedcall.StatusDialling {
			st = signedcall.StatusUnknown
		}
		c.finish(r, st, reason, at)
		n++
	}
	for _, r := range c.pending.take() {
		finish(r)
	}
	for r := c.leased.peek(); r != nil && !r.d.Lease.Expires.After(at); r = c.leased.peek() {
		finish(r)
	}
	items := c.rescue.take()
	held := items[:0]
	for _, r := range items {
		if r.d.Lease.Expires.After(at) {
			held = append(held, r)
		} else {
			finish(r)
		}
	}
	clear(items[len(held):])
	c.rescue.init(held)
	return n, nil
}

// Counts returns how many deliveries of the campaign are in each status.
// Statuses with no deliveries are absent from the map.
func (s *Store) Counts(ctx context.Context, campaignID uuid.UUID) (map[signedcall.Status]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.campaign(campaignID)
	if err != nil {
		return nil, err
	}
	return maps.Clone(c.counts), nil
}

// NextDue returns the earliest pending DueAt or lease expiry, as documented
// on [signedcall.Store].
func (s *Store) NextDue(ctx context.Context, campaignID uuid.UUID) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.campaign(campaignID)
	if err != nil {
		return time.Time{}, false, err
	}

	var next time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(next) {
			next, found = t, true
		}
	}
	if r := c.pending.peek(); r != nil {
		consider(r.d.DueAt)
	}
	if r := c.leased.peek(); r != nil {
		consider(r.d.Lease.Expires)
	}
	// rescue is ordered by due time, not expiry; it holds only the
	// expired leases a claim saw but did not take.
	for _, r := range c.rescue.items {
		consider(r.d.Lease.Expires)
	}
	return next, found, nil
}

// Delivery returns a copy of one delivery, or [signedcall.ErrNotFound].
func (s *Store) Delivery(ctx context.Context, key signedcall.Key) (signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return signedcall.Delivery{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.delivery(key)
	if err != nil {
		return signedcall.Delivery{}, err
	}
	return r.d, nil
}

// Deliveries calls fn with a copy of every delivery of the campaign in
// UserID order (byte-wise), and returns the first error fn returns. It
// does not hold the Store's lock while fn runs, so fn may call the Store;
// each delivery is read as it is when its turn comes, and the walk as a
// whole is not a snapshot.
func (s *Store) Deliveries(ctx context.Context, campaignID uuid.UUID, fn func(signedcall.Delivery) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	c, err := s.campaign(campaignID)
	var sorted []*rec
	if err == nil {
		sorted = c.sorted // never modified once set
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}

	buf := make([]signedcall.Delivery, 0, min(chunk, len(sorted)))
	for len(sorted) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(chunk, len(sorted))
		buf = buf[:0]
		s.mu.Lock()
		for _, r := range sorted[:n] {
			buf = append(buf, r.d)
		}
		s.mu.Unlock()
		sorted = sorted[n:]
		for _, d := range buf {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

package signedcall

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Status is the state of one delivery. A delivery starts as
// [StatusPending], is held as [StatusClaimed] while a dispatcher decides
// what to do with it, becomes [StatusDialling] just before the Caller is
// asked to place the call, and ends in exactly one final state.
type Status string

// Delivery states. Every status after StatusDialling is final: once a
// delivery reaches one, no Store accepts another change to it.
const (
	// StatusPending: waiting to be called at or after DueAt.
	StatusPending Status = "pending"
	// StatusClaimed: leased by a dispatcher deciding what to do; no call
	// has started.
	StatusClaimed Status = "claimed"
	// StatusDialling: the Caller was, or is about to be, asked to call.
	// A rescue of this state never redials on a guess.
	StatusDialling Status = "dialling"

	// StatusAnswered: the call was answered.
	StatusAnswered Status = "answered"
	// StatusDeclined: the person rejected the call.
	StatusDeclined Status = "declined"
	// StatusMissed: it rang out, or nobody picked up in time.
	StatusMissed Status = "missed"
	// StatusBusy: the line was busy.
	StatusBusy Status = "busy"
	// StatusFailed: the call could not be completed, or the Caller
	// promised it was never dialled (reason not_dialled).
	StatusFailed Status = "failed"
	// StatusControl: held out in the control group; never called.
	StatusControl Status = "control"
	// StatusCapped: qualified, but outside the cap's sample; never called.
	StatusCapped Status = "capped"
	// StatusDiscardedDND: under the discard policy, due when the person may
	// not be called: inside DND in their local time (reason dnd), outside a
	// rule pack's hours or on its holiday (rule_pack_hours,
	// rule_pack_holiday), or past a per-person limit (frequency_limit);
	// never called. A retry refused this way keeps the status of the call
	// it retried (busy, missed, failed) with that reason instead.
	StatusDiscardedDND Status = "discarded_dnd"
	// StatusExpired: not called before the cut-off, or deferred to a time
	// at or after it. A retry refused this way by the dispatcher keeps the
	// status of the call it retried.
	StatusExpired Status = "expired_cutoff"
	// StatusUnreachable: qualified, but without a dialable number.
	StatusUnreachable Status = "unreachable"
	// StatusUnknown: a call may have been placed but its outcome was lost
	// (a crash, a Caller error or panic); it is never redialled
	// automatically.
	StatusUnknown Status = "unknown"
	// StatusStopped: the campaign was stopped before this was called.
	StatusStopped Status = "stopped"
)

// FinalStatuses lists every final status in report order.
var FinalStatuses = []Status{
	StatusAnswered, StatusDeclined, StatusMissed, StatusBusy, StatusFailed,
	StatusControl, StatusCapped, StatusDiscardedDND, StatusExpired,
	StatusUnreachable, StatusUnknown, StatusStopped,
}

// Final reports whether s is a final state.
func (s Status) Final() bool {
	switch s {
	case StatusPending, StatusClaimed, StatusDialling:
		return false
	}
	return s.Valid()
}

// Valid reports whether s is one of the declared statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusClaimed, StatusDialling:
		return true
	}
	for _, f := range FinalStatuses {
		if s == f {
			return true
		}
	}
	return false
}

// ZoneSource says which input decided a recipient's time zone.
type ZoneSource string

// Time-zone sources, in the order they are tried.
const (
	// ZoneFromProfile: the profile named a zone this host knows.
	ZoneFromProfile ZoneSource = "profile"
	// ZoneFromPhone: the number's prefix, by the numbering plan.
	ZoneFromPhone ZoneSource = "phone"
	// ZoneFromCity: the profile's city and country, by a gazetteer.
	ZoneFromCity ZoneSource = "city"
	// ZoneFromCoordinates: the profile's location, by the nearest city.
	ZoneFromCoordinates ZoneSource = "coordinates"
	// ZoneFromCampaign: nothing else was known; the campaign's zone.
	ZoneFromCampaign ZoneSource = "campaign"
)

// Delivery is the record of one user in one campaign: a call to make, or
// the reason none is made. There is at most one per (CampaignID, UserID).
type Delivery struct {
	CampaignID uuid.UUID `json:"campaign_id"`
	UserID     string    `json:"user_id"`

	// Phone is the E.164 number to call; empty for control and
	// unreachable deliveries that will never be dialled.
	Phone string `json:"phone,omitempty"`

	// TimeZone is the IANA zone DND is read in, and ZoneSource says
	// where it came from.
	TimeZone   string     `json:"time_zone"`
	ZoneSource ZoneSource `json:"zone_source"`
	// OtherZones are further zones the person may be in (a number whose
	// range spans several): a call must be allowed in each of them too.
	OtherZones []string `json:"other_zones,omitempty"`

	// Packs are the IDs of the rule packs that apply to this person,
	// sorted; the dispatcher looks them up in Config.Rules before each
	// call and refuses to dial if one is missing.
	Packs []string `json:"packs,omitempty"`

	Status Status `json:"status"`

	// DueAt is the earliest instant the call may start. Deferral moves it.
	DueAt time.Time `json:"due_at"`

	// Attempt counts dial attempts started, so the first call has
	// Attempt 1 in its CallRequest.
	Attempt int `json:"attempt"`

	// Lease is the current claim; zero when nobody holds the delivery,
	// which is always the case once it is final.
	Lease Lease `json:"lease,omitzero"`

	// Reason is one of the Reason constants, saying why the delivery is
	// in its state (for example ReasonDND or ReasonNoPhone); empty for a
	// call with an outcome.
	Reason string `json:"reason,omitempty"`

	// UpdatedAt is when the delivery last changed; FinishedAt when it
	// reached its final state (zero until then).
	UpdatedAt  time.Time `json:"updated_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Key identifies a delivery: one per (campaign, user).
type Key struct {
	CampaignID uuid.UUID
	UserID     string
}

// Key returns the delivery's key.
func (d *Delivery) Key() Key { return Key{d.CampaignID, d.UserID} }

// IdempotencyKey is the key a Caller receives for the current attempt:
// the same for every retry of the same attempt, different across attempts.
func (d *Delivery) IdempotencyKey() string {
	return fmt.Sprintf("%s:%s:%d", d.CampaignID, d.UserID, d.Attempt)
}

// Lease is a time-bounded claim on a delivery. Token is a number the
// Store makes unique per claim of the delivery, so a holder whose lease
// was rescued and claimed again cannot write, even under the same Owner.
type Lease struct {
	// Owner is the holder's Config.Owner.
	Owner string `json:"owner,omitempty"`
	// Token is unique to this claim.
	Token int64 `json:"token,omitempty"`
	// Expires is when another owner may rescue the delivery.
	Expires time.Time `json:"expires,omitzero"`
}

// ClaimRequest asks a Store for due deliveries of one campaign.
type ClaimRequest struct {
	CampaignID uuid.UUID
	Owner      string
	// Now is the instant the claim is made; due and expiry tests use it.
	Now time.Time
	// Lease is how long the claim lasts from Now.
	Lease time.Duration
	// Limit is the most deliveries to return; it must be positive.
	Limit int
}

// Transition is a lease-checked write to one delivery. The Store applies it
// only if the delivery's lease still has the given Owner and Token and the
// delivery is not final; otherwise it returns [ErrLeaseLost] and changes
// nothing.
type Transition struct {
	// Key names the delivery; Owner and Token must be its current lease.
	Key   Key
	Owner string
	Token int64
	// To is the new status: StatusDialling, StatusPending (release, for
	// deferral) or a final status.
	To Status
	// DueAt is the new due time when To is StatusPending.
	DueAt time.Time
	// Reason is recorded on the delivery (a Reason constant or empty).
	Reason string
	// At is when the change happens; it becomes UpdatedAt.
	At time.Time

	// Limits and MaxConcurrent apply to a move to StatusDialling only,
	// and are checked in the same atomic step as the move (see
	// [CheckLimits]): every limit must allow one more call at At, and
	// when MaxConcurrent is positive, fewer than MaxConcurrent of the
	// campaign's deliveries may be dialling under a lease that expires
	// after At. A refusal is a [*LimitError] for this transition.
	Limits        []Limit
	MaxConcurrent int
}

// Store keeps campaigns and deliveries. Implementations must be safe for
// concurrent use by several goroutines and, for shared databases, by
// several processes. The conformance suite in store/storetest checks every
// rule documented here; run it against any new implementation.
//
// Rules that hold for every method:
//   - A request that breaks the documented rules (a Claim with no owner,
//     a Transition to a status it may not reach) returns an error
//     matching ErrInvalid and changes nothing.
//   - UserID order is byte order (C collation), whatever the database's
//     default.
//   - The Store enforces the lifecycle's edges that concern it: only a
//     draft's definition changes, only PublishCampaign leaves draft, and
//     no transition goes back to draft.
type Store interface {
	// CreateCampaign stores a new campaign. It returns ErrCampaignExists
	// if the ID is taken.
	CreateCampaign(ctx context.Context, c *Campaign) error

	// Campaign returns a copy of the stored campaign, or ErrNotFound.
	Campaign(ctx context.Context, id uuid.UUID) (*Campaign, error)

	// UpdateCampaign replaces a draft campaign's definition. It returns
	// ErrImmutable if the stored campaign is no longer a draft and
	// ErrNotFound if it does not exist.
	UpdateCampaign(ctx context.Context, c *Campaign) error

	// PublishCampaign stores c's definition as published, with ack as
	// its audit record, in one atomic step: it creates the campaign if no
	// campaign has c.ID, or replaces the stored draft's definition
	// (keeping CreatedAt). State becomes scheduled and UpdatedAt ack.At.
	// Because it is one step, the definition published is exactly the one
	// acknowledged, whatever other writers do. It returns ErrImmutable if
	// the stored campaign is no longer a draft, ErrNotAcknowledged if ack
	// is incomplete, and the validation errors of c.
	PublishCampaign(ctx context.Context, c *Campaign, ack Acknowledgement) error

	// TransitionCampaign moves a campaign to state to if its current state
	// is one of from, and sets UpdatedAt to at; otherwise it returns
	// ErrStateConflict and changes nothing. It never moves a campaign out
	// of or into draft (ErrStateConflict).
	TransitionCampaign(ctx context.Context, id uuid.UUID, from []CampaignState, to CampaignState, at time.Time) error

	// Materialize writes every delivery of a campaign in one atomic step
	// and marks the campaign materialized. Either all are written or none.
	// It returns ErrAlreadyMaterialized if that already happened, and
	// ErrDuplicateDelivery if two deliveries share a user, or a delivery
	// names another campaign.
	Materialize(ctx context.Context, campaignID uuid.UUID, ds []Delivery) error

	// Claim leases up to req.Limit deliveries of the campaign that are
	// either pending with DueAt <= req.Now, or claimed or dialling with a
	// lease that expired at or before req.Now. Each returned delivery has
	// its new Lease; its Status is StatusClaimed if it was pending or
	// claimed, and stays StatusDialling if the previous holder may have
	// placed the call, so the caller can decide what a rescue means.
	// The Limit earliest by (DueAt, UserID) are taken and returned in that
	// order. Selection and lease are one atomic step: two concurrent
	// claims never return the same delivery.
	Claim(ctx context.Context, req ClaimRequest) ([]Delivery, error)

	// Apply writes the transitions in order. Each is checked on its own;
	// the returned slice has one error per transition (nil when applied,
	// ErrLeaseLost when the lease was not held, ErrNotFound when the key
	// is unknown, ErrInvalid for a move the rules forbid). The error
	// result is for failures of the Store itself; after one, any prefix
	// of ts may have been applied, and callers re-read what they need.
	//
	// The moves allowed are: claimed to dialling (Attempt is incremented,
	// the lease kept), and only while the campaign is running, checked in
	// the same atomic step (ErrNotRunning otherwise), so no call starts
	// once a pause or stop has been written; claimed or dialling to pending (the lease is
	// released, DueAt set, Attempt kept); claimed or dialling to any final
	// status (the lease cleared, FinishedAt set to At). The lease's
	// expiry is not checked here: a holder whose lease ran out may still
	// write until another owner claims the delivery, which is what a
	// long call needs; a rescue changes the token and so ends that.
	//
	// Every successful move to dialling records a [CallStart] (campaign,
	// the delivery's Phone, At) that later limits count, whether or not
	// the transition carried limits. Starts are kept for at least
	// [MaxLimitWindow]. Two moves that a limit allows only one of never
	// both succeed, in one process or many.
	Apply(ctx context.Context, ts []Transition) ([]error, error)

	// FinishRemaining gives status to every delivery of the campaign that
	// is pending, or claimed or dialling with a lease that expired at or
	// before at; a delivery in StatusDialling whose lease expired gets
	// StatusUnknown instead, since its call may have been placed. Leases
	// still held are left alone. Every changed delivery gets reason, also
	// the unknown ones. It returns the number changed; status must be
	// final (ErrInvalid otherwise).
	FinishRemaining(ctx context.Context, campaignID uuid.UUID, status Status, reason string, at time.Time) (int, error)

	// Counts returns how many deliveries of the campaign are in each
	// status. Statuses with none may be absent.
	Counts(ctx context.Context, campaignID uuid.UUID) (map[Status]int, error)

	// NextDue returns the earliest DueAt among pending deliveries and the
	// earliest lease expiry among claimed or dialling ones, whichever is
	// sooner, and false when the campaign has neither.
	NextDue(ctx context.Context, campaignID uuid.UUID) (time.Time, bool, error)

	// Delivery returns one delivery, or ErrNotFound.
	Delivery(ctx context.Context, key Key) (Delivery, error)

	// Deliveries calls fn for every delivery of the campaign in UserID
	// order, stopping at the first error fn returns, which it returns.
	// fn must not call the Store: a single-connection store would wait
	// on itself. Each delivery is as it was when read; the walk as a
	// whole need not be one snapshot.
	Deliveries(ctx context.Context, campaignID uuid.UUID, fn func(Delivery) error) error
}

// CloneCampaign returns a deep copy of c by way of its JSON form, which is
// what Store implementations keep. It is exported for Store authors.
func CloneCampaign(c *Campaign) (*Campaign, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	out := new(Campaign)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

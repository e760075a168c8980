package signedcall

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CheckNewDelivery reports why d cannot be written by Store.Materialize
// for campaign campaignID: it names another campaign (ErrDuplicateDelivery,
// as the interface documents), or it has an empty user ID, a status other
// than pending or final, or a lease, which only Claim grants (ErrInvalid).
// It is for Store authors, so that every Store refuses the same inputs;
// the error does not name the Store or the delivery's place in the call.
func CheckNewDelivery(campaignID uuid.UUID, d *Delivery) error {
	switch {
	case d.CampaignID != campaignID:
		return fmt.Errorf("names campaign %s: %w", d.CampaignID, ErrDuplicateDelivery)
	case d.UserID == "":
		return fmt.Errorf("user ID is empty: %w", ErrInvalid)
	case d.Status != StatusPending && !d.Status.Final():
		return fmt.Errorf("status %q: want pending or a final status: %w", d.Status, ErrInvalid)
	case d.Lease.Owner != "" || d.Lease.Token != 0 || !d.Lease.Expires.IsZero():
		return fmt.Errorf("has a lease; only Claim grants leases: %w", ErrInvalid)
	}
	return nil
}

// PublishedCopy returns the campaign Store.PublishCampaign writes for c
// and ack: a deep copy in state scheduled, with ack and UpdatedAt ack.At,
// checked by Validate. Its errors are those the interface documents: an
// error matching ErrInvalid if c is nil or not a draft, one matching
// ErrNotAcknowledged (and ErrInvalid) if ack is incomplete, and the
// validation errors of c. A Store that replaces a stored draft keeps that
// draft's CreatedAt on the copy. It is for Store authors.
func PublishedCopy(c *Campaign, ack Acknowledgement) (*Campaign, error) {
	if c == nil {
		return nil, invalid("campaign", "is nil")
	}
	if c.State != StateDraft {
		return nil, fmt.Errorf("publish campaign %s: state %q: only a draft is published: %w", c.ID, c.State, ErrInvalid)
	}
	next, err := CloneCampaign(c)
	if err != nil {
		return nil, fmt.Errorf("publish campaign %s: %w", c.ID, err)
	}
	next.State = StateScheduled
	a := ack
	next.Acknowledgement = &a
	next.UpdatedAt = ack.At
	if err := next.Validate(time.Time{}); err != nil {
		for _, ve := range ValidationErrors(err) {
			if strings.HasPrefix(ve.Field, "acknowledgement") {
				return nil, fmt.Errorf("publish campaign %s: %w: %w", c.ID, ErrNotAcknowledged, err)
			}
		}
		return nil, err
	}
	return next, nil
}

// CheckTransitionTarget reports, with an error matching ErrInvalid, a
// Store.TransitionCampaign target no campaign may move to: draft (only
// PublishCampaign leaves it, and nothing returns to it) or an unknown
// state. Stores call it before reading the campaign.
func CheckTransitionTarget(to CampaignState) error {
	if to == StateDraft || !to.valid() {
		return fmt.Errorf("cannot move to state %q: %w", to, ErrInvalid)
	}
	return nil
}

// CheckTransition reports, with an error matching ErrStateConflict, a
// campaign in state cur that Store.TransitionCampaign may not move: cur
// is not one of from, or is draft. Stores call it on the state they read
// in the same atomic step as the write.
func CheckTransition(cur CampaignState, from []CampaignState, to CampaignState) error {
	if cur == StateDraft || !slices.Contains(from, cur) {
		return fmt.Errorf("from %s to %s: %w", cur, to, ErrStateConflict)
	}
	return nil
}

package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

// CreateCampaign stores c, as its JSON form. It returns the error of
// c.Validate(time.Time{}) unchanged if c is invalid, an error matching
// [signedcall.ErrInvalid] if c is nil, and [signedcall.ErrCampaignExists]
// if the ID is taken.
func (s *Store) CreateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("sqlitestore: create campaign: nil campaign: %w", signedcall.ErrInvalid)
	}
	if err := c.Validate(time.Time{}); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return insertCampaign(ctx, tx, c) })
	return wrapErr(ctx, err, "create campaign %s", c.ID)
}

// Campaign returns the stored campaign, decoded afresh from its JSON form,
// or [signedcall.ErrNotFound].
func (s *Store) Campaign(ctx context.Context, id uuid.UUID) (*signedcall.Campaign, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c *signedcall.Campaign
	err := s.read(ctx, func() error {
		var err error
		c, err = loadCampaign(ctx, s.r, id)
		return err
	})
	if err != nil {
		return nil, wrapErr(ctx, err, "read campaign %s", id)
	}
	return c, nil
}

// UpdateCampaign replaces a draft's definition with c, keeping the stored
// CreatedAt. It returns [signedcall.ErrNotFound], [signedcall.ErrImmutable]
// if the stored campaign is no longer a draft, an error matching
// [signedcall.ErrInvalid] if c is nil or not a draft (only PublishCampaign
// and TransitionCampaign move state), and the error of
// c.Validate(time.Time{}) unchanged if c is invalid.
func (s *Store) UpdateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("sqlitestore: update campaign: nil campaign: %w", signedcall.ErrInvalid)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		stored, err := loadCampaign(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if stored.State != signedcall.StateDraft {
			return fmt.Errorf("sqlitestore: campaign %s is %s: %w", c.ID, stored.State, signedcall.ErrImmutable)
		}
		if c.State != signedcall.StateDraft {
			return fmt.Errorf("sqlitestore: update campaign %s: state %q: only PublishCampaign "+
				"and TransitionCampaign change state: %w", c.ID, c.State, signedcall.ErrInvalid)
		}
		if err := c.Validate(time.Time{}); err != nil {
			return err
		}
		next := *c
		next.CreatedAt = stored.CreatedAt
		return saveCampaign(ctx, tx, &next)
	})
	return wrapErr(ctx, err, "update campaign %s", c.ID)
}

// PublishCampaign stores c as published with ack, in one transaction: it
// creates the campaign, or replaces a stored draft's definition (keeping
// its CreatedAt). State becomes scheduled and UpdatedAt ack.At. It returns
// [signedcall.ErrImmutable] if the stored campaign is no longer a draft,
// an error matching [signedcall.ErrInvalid] if c is nil or not a draft,
// an error matching [signedcall.ErrNotAcknowledged] and
// [signedcall.ErrInvalid] if ack is incomplete, and the error of Validate
// if c breaks a rule.
func (s *Store) PublishCampaign(ctx context.Context, c *signedcall.Campaign, ack signedcall.Acknowledgement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next, err := signedcall.PublishedCopy(c, ack)
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		stored, err := loadCampaign(ctx, tx, c.ID)
		switch {
		case err == nil && stored.State != signedcall.StateDraft:
			return fmt.Errorf("sqlitestore: publish campaign %s: it is %s: %w", c.ID, stored.State, signedcall.ErrImmutable)
		case err == nil:
			next.CreatedAt = stored.CreatedAt
		case !errors.Is(err, signedcall.ErrNotFound):
			return err
		}
		if stored != nil {
			return saveCampaign(ctx, tx, next)
		}
		return insertCampaign(ctx, tx, next)
	})
	return wrapErr(ctx, err, "publish campaign %s", c.ID)
}

// TransitionCampaign moves the campaign to state to, and UpdatedAt to at,
// if its state is one of from, in one transaction. It returns
// [signedcall.ErrNotFound], [signedcall.ErrStateConflict] if the state is
// not in from or is draft (a draft leaves that state only by
// PublishCampaign), and an error matching [signedcall.ErrInvalid] if to is
// draft or unknown.
func (s *Store) TransitionCampaign(ctx context.Context, id uuid.UUID, from []signedcall.CampaignState, to signedcall.CampaignState, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := signedcall.CheckTransitionTarget(to); err != nil {
		return fmt.Errorf("sqlitestore: transition campaign %s: %w", id, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := loadCampaign(ctx, tx, id)
		if err != nil {
			return err
		}
		cur := c.State
		if err := signedcall.CheckTransition(cur, from, to); err != nil {
			return fmt.Errorf("sqlitestore: transition campaign %s: %w", id, err)
		}
		c.State = to
		c.UpdatedAt = at
		return saveCampaign(ctx, tx, c)
	})
	return wrapErr(ctx, err, "transition campaign %s", id)
}

// loadCampaign reads and decodes campaign id, or returns ErrNotFound.
func loadCampaign(ctx context.Context, q queryer, id uuid.UUID) (*signedcall.Campaign, error) {
	var def []byte
	err := q.QueryRowContext(ctx, `SELECT definition FROM campaigns WHERE id = ?`, id.String()).Scan(&def)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlitestore: campaign %s: %w", id, signedcall.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	c := new(signedcall.Campaign)
	if err := json.Unmarshal(def, c); err != nil {
		return nil, fmt.Errorf("sqlitestore: campaign %s: decode stored definition: %w", id, err)
	}
	return c, nil
}

// insertCampaign stores c as a new campaign, or returns ErrCampaignExists.
func insertCampaign(ctx context.Context, tx *sql.Tx, c *signedcall.Campaign) error {
	def, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sqlitestore: campaign %s: encode definition: %w", c.ID, err)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO campaigns (id, state, definition, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		c.ID.String(), string(c.State), def, infoNanos(c.CreatedAt), infoNanos(c.UpdatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmpErr(err, fmt.Errorf("sqlitestore: campaign %s: %w", c.ID, signedcall.ErrCampaignExists))
	}
	return nil
}

// saveCampaign writes c over the stored campaign with its ID.
func saveCampaign(ctx context.Context, tx *sql.Tx, c *signedcall.Campaign) error {
	def, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sqlitestore: campaign %s: encode definition: %w", c.ID, err)
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE campaigns SET state = ?, definition = ?, created_at = ?, updated_at = ?
		WHERE id = ?`,
		string(c.State), def, infoNanos(c.CreatedAt), infoNanos(c.UpdatedAt), c.ID.String())
	return err
}

// cmpErr returns err if it is not nil, and otherwise alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// wrapErr returns err unchanged when it is nil, the error of ctx itself,
// or already names a rule of the Store (one of the signedcall sentinels,
// validation errors included); any other error, from the database, gets
// the operation's name.
func wrapErr(ctx context.Context, err error, format string, args ...any) error {
	if err == nil || err == ctx.Err() {
		return err
	}
	for _, known := range []error{
		signedcall.ErrInvalid, signedcall.ErrNotFound, signedcall.ErrCampaignExists,
		signedcall.ErrDuplicateDelivery, signedcall.ErrAlreadyMaterialized,
		signedcall.ErrLeaseLost, signedcall.ErrStateConflict, signedcall.ErrImmutable,
		signedcall.ErrNotAcknowledged, signedcall.ErrNotRunning, ErrSchemaTooNew, ErrNotDatabase,
	} {
		if errors.Is(err, known) {
			return err
		}
	}
	return fmt.Errorf("sqlitestore: %s: %w", fmt.Sprintf(format, args...), err)
}

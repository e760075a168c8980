package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/signedcall/signedcall"
)

// CreateCampaign stores c's JSON form. It returns the error of
// c.Validate(time.Time{}) unchanged if c is invalid, and
// [signedcall.ErrCampaignExists] if the ID is taken.
func (s *Store) CreateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("pgstore: create campaign: nil campaign: %w", signedcall.ErrInvalid)
	}
	if err := c.Validate(time.Time{}); err != nil {
		return err
	}
	def, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("pgstore: create campaign %s: %w", c.ID, err)
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO campaigns (id, state, definition, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`,
		c.ID, string(c.State), def, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("pgstore: create campaign %s: %w", c.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: campaign %s: %w", c.ID, signedcall.ErrCampaignExists)
	}
	return nil
}

// Campaign returns the stored campaign, decoded afresh from its JSON form,
// or [signedcall.ErrNotFound].
func (s *Store) Campaign(ctx context.Context, id uuid.UUID) (*signedcall.Campaign, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var def []byte
	err := s.pool.QueryRow(ctx, "SELECT definition FROM campaigns WHERE id = $1", id).Scan(&def)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: campaign %s: %w", id, err)
	}
	return decodeCampaign(id, def)
}

// UpdateCampaign replaces a draft's definition with c's, keeping the stored
// CreatedAt. It returns [signedcall.ErrNotFound], [signedcall.ErrImmutable]
// if the stored campaign is no longer a draft, an error matching
// [signedcall.ErrInvalid] if c is not a draft (only PublishCampaign and
// TransitionCampaign move state), and the error of c.Validate(time.Time{})
// unchanged if c is invalid.
func (s *Store) UpdateCampaign(ctx context.Context, c *signedcall.Campaign) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("pgstore: update campaign: nil campaign: %w", signedcall.ErrInvalid)
	}
	return s.changeCampaign(ctx, c.ID, func(stored *signedcall.Campaign) (*signedcall.Campaign, error) {
		if stored.State != signedcall.StateDraft {
			return nil, fmt.Errorf("pgstore: campaign %s is %s: %w", c.ID, stored.State, signedcall.ErrImmutable)
		}
		if c.State != signedcall.StateDraft {
			return nil, fmt.Errorf("pgstore: update campaign %s: state %q: only PublishCampaign "+
				"and TransitionCampaign change state: %w", c.ID, c.State, signedcall.ErrInvalid)
		}
		if err := c.Validate(time.Time{}); err != nil {
			return nil, err
		}
		next, err := signedcall.CloneCampaign(c)
		if err != nil {
			return nil, fmt.Errorf("pgstore: update campaign %s: %w", c.ID, err)
		}
		next.CreatedAt = stored.CreatedAt
		return next, nil
	})
}

// PublishCampaign stores c as published with ack, in one transaction that
// locks the campaign's row: it inserts the campaign, or replaces the
// stored draft's definition (keeping its CreatedAt). State becomes
// scheduled and UpdatedAt ack.At. It returns [signedcall.ErrImmutable] if
// the stored campaign is no longer a draft (also when another process
// publishes the same ID at the same moment), an error matching
// [signedcall.ErrInvalid] if c is not a draft, an error matching
// [signedcall.ErrNotAcknowledged] and [signedcall.ErrInvalid] if ack is
// incomplete, and the error of Validate if c breaks a rule.
func (s *Store) PublishCampaign(ctx context.Context, c *signedcall.Campaign, ack signedcall.Acknowledgement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next, err := signedcall.PublishedCopy(c, ack)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	id := c.ID

	return s.inTx(ctx, "publish campaign "+id.String(), func(tx pgx.Tx) error {
		var def []byte
		err := tx.QueryRow(ctx, "SELECT definition FROM campaigns WHERE id = $1 FOR UPDATE", id).Scan(&def)
		exists := err == nil
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		default:
			stored, err := decodeCampaign(id, def)
			if err != nil {
				return err
			}
			if stored.State != signedcall.StateDraft {
				return fmt.Errorf("pgstore: publish campaign %s: it is %s: %w", id, stored.State, signedcall.ErrImmutable)
			}
			next.CreatedAt = stored.CreatedAt
		}
		b, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		}
		if exists {
			_, err = tx.Exec(ctx, `UPDATE campaigns SET state = $2, definition = $3, updated_at = $4 WHERE id = $1`,
				id, string(next.State), b, next.UpdatedAt)
		} else {
			var tag pgconn.CommandTag
			tag, err = tx.Exec(ctx, `
				INSERT INTO campaigns (id, state, definition, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (id) DO NOTHING`,
				id, string(next.State), b, next.CreatedAt, next.UpdatedAt)
			if err == nil && tag.RowsAffected() == 0 {
				return fmt.Errorf("pgstore: publish campaign %s: created meanwhile by another writer: %w", id, signedcall.ErrImmutable)
			}
		}
		if err != nil {
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		}
		return nil
	})
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
		return fmt.Errorf("pgstore: transition campaign %s: %w", id, err)
	}
	return s.changeCampaign(ctx, id, func(stored *signedcall.Campaign) (*signedcall.Campaign, error) {
		cur := stored.State
		if err := signedcall.CheckTransition(cur, from, to); err != nil {
			return nil, fmt.Errorf("pgstore: transition campaign %s: %w", id, err)
		}
		stored.State = to
		stored.UpdatedAt = at
		return stored, nil
	})
}

// changeCampaign reads campaign id with its row locked, passes it to
// change, and stores what change returns, in one transaction. When change
// returns an error nothing is written and the error is returned as is.
func (s *Store) changeCampaign(ctx context.Context, id uuid.UUID, change func(*signedcall.Campaign) (*signedcall.Campaign, error)) error {
	return s.inTx(ctx, "campaign "+id.String(), func(tx pgx.Tx) error {
		var def []byte
		err := tx.QueryRow(ctx, "SELECT definition FROM campaigns WHERE id = $1 FOR UPDATE", id).Scan(&def)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		}
		stored, err := decodeCampaign(id, def)
		if err != nil {
			return err
		}
		next, err := change(stored)
		if err != nil {
			return err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		}
		_, err = tx.Exec(ctx, `
			UPDATE campaigns SET state = $2, definition = $3, updated_at = $4
			WHERE id = $1`,
			id, string(next.State), b, next.UpdatedAt)
		if err != nil {
			return fmt.Errorf("pgstore: campaign %s: %w", id, err)
		}
		return nil
	})
}

// inTx runs fn in a transaction, committing if it returns nil. Errors of
// fn are returned as they are; those of BEGIN and COMMIT name what.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: %s: begin: %w", what, err)
	}
	defer func() {
		if err != nil {
			// The error that matters is fn's. A rollback that fails
			// closes the connection, which ends the transaction too.
			_ = tx.Rollback(ctx)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: %s: commit: %w", what, err)
	}
	return nil
}

func decodeCampaign(id uuid.UUID, def []byte) (*signedcall.Campaign, error) {
	c := new(signedcall.Campaign)
	if err := json.Unmarshal(def, c); err != nil {
		return nil, fmt.Errorf("pgstore: campaign %s: decode stored definition: %w", id, err)
	}
	return c, nil
}

func notFound(id uuid.UUID) error {
	return fmt.Errorf("pgstore: campaign %s: %w", id, signedcall.ErrNotFound)
}

package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
)

// MaxBodyBytes is the largest request body Verify reads: 1 MiB.
const MaxBodyBytes = 1 << 20

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify and DecodeRequest. Match them with errors.Is.
var (
	// ErrMalformed is a request that is not a call request: a missing or
	// unreadable header, or a body that is not the JSON object described
	// in the package documentation.
	ErrMalformed = errors.New("webhook: malformed call request")
	// ErrTooLarge is a request body over MaxBodyBytes.
	ErrTooLarge = errors.New("webhook: call request body is too large")
	// ErrBadSignature is a request whose HMAC signature does not match its
	// timestamp and body under the secret.
	ErrBadSignature = errors.New("webhook: call request signature does not verify")
	// ErrStale is a correctly signed request whose timestamp is further
	// than the tolerance from the receiver's clock, in the past or the
	// future.
	ErrStale = errors.New("webhook: call request timestamp is outside the tolerance")
)

// Verify checks a call request as the package documentation describes
// and returns its body. It reads at most MaxBodyBytes, checks the HMAC
// signature over the timestamp and body with secret, then that the
// timestamp is within tolerance of now (DefaultTolerance when tolerance
// is not positive). On success r.Body is replaced by a reader of the
// returned bytes, so a handler after it can read the body again.
//
// Errors match ErrMalformed, ErrTooLarge, ErrBadSignature or ErrStale; a
// secret shorter than MinSecretBytes is an error matching
// signedcall.ErrInvalid, and nothing verifies under it.
func Verify(r *http.Request, secret []byte, now time.Time, tolerance time.Duration) ([]byte, error) {
	if len(secret) < MinSecretBytes {
		return nil, invalid("secret", "is %d bytes, want at least %d", len(secret), MinSecretBytes)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := r.Header.Get(HeaderTimestamp)
	sec, ok := parseTimestamp(ts)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not decimal Unix seconds", ErrMalformed, HeaderTimestamp)
	}
	sigs, ok := v1Signatures(r.Header.Values(HeaderSignature))
	if !ok {
		return nil, fmt.Errorf("%w: %s has no v1 entry", ErrMalformed, HeaderSignature)
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", ErrMalformed, err)
	}
	if len(body) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	want := mac(secret, ts, body)
	match := false
	for _, s := range sigs {
		// Compare every entry, so timing says nothing about which one.
		match = hmac.Equal(s, want) || match
	}
	if !match {
		return nil, ErrBadSignature
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > tolerance || skew < -tolerance {
		return nil, fmt.Errorf("%w: timestamp is %s from now, tolerance %s", ErrStale, skew.Round(time.Second), tolerance)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// parseTimestamp reads decimal Unix seconds: 1 to 18 ASCII digits, so
// that the value and its conversion to a time cannot overflow.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// v1Signatures returns the decoded v1 entries of the signature header's
// values; ok is false when there are none. An entry that is not hex
// cannot match and is dropped.
func v1Signatures(values []string) (sigs [][]byte, ok bool) {
	for _, v := range values {
		for entry := range strings.SplitSeq(v, ",") {
			scheme, val, _ := strings.Cut(strings.TrimSpace(entry), "=")
			if scheme != "v1" {
				continue
			}
			ok = true
			if b, err := hex.DecodeString(val); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	return sigs, ok
}

// DecodeRequest parses a verified body into the call request it
// carries. It ignores fields it does not know and returns an error
// matching ErrMalformed when the body is not a JSON object or lacks
// idempotency_key, campaign_id, user_id, phone or a positive attempt.
func DecodeRequest(body []byte) (signedcall.CallRequest, error) {
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return signedcall.CallRequest{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"idempotency_key", p.IdempotencyKey != ""},
		{"campaign_id", p.CampaignID != uuid.Nil},
		{"user_id", p.UserID != ""},
		{"phone", p.Phone != ""},
		{"attempt", p.Attempt > 0},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return signedcall.CallRequest{}, fmt.Errorf("%w: %s missing or empty", ErrMalformed, strings.Join(missing, ", "))
	}
	return signedcall.CallRequest{
		IdempotencyKey: p.IdempotencyKey, CampaignID: p.CampaignID, UserID: p.UserID,
		Phone: p.Phone, CallContext: p.CallContext, Attempt: p.Attempt, Signature: p.Signature,
	}, nil
}

// PlaceFunc places the call a verified request asks for and returns its
// outcome. It must place at most one call per idempotency key, returning
// the first outcome again for a key it has seen. An error wrapping
// signedcall.ErrNotDialled promises the call was not started.
type PlaceFunc func(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error)

// NewHandler returns the receiving side of a Caller as an http.Handler:
// it accepts only POST (405 otherwise), verifies each request with
// Verify against secret, clk's time and tolerance, decodes it, asks
// place for the outcome and answers 200 {"outcome":"..."}. It answers
// 400 for ErrMalformed or an Idempotency-Key header that differs from
// the body's, 401 for ErrBadSignature and ErrStale, 413 for
// ErrTooLarge, 503 when place returns an error wrapping
// signedcall.ErrNotDialled, and 500 for any other error of place or an
// outcome that is not one of the five. A nil clk means the system clock.
//
// It returns an error matching signedcall.ErrInvalid when secret is
// shorter than MinSecretBytes or place is nil.
func NewHandler(secret []byte, tolerance time.Duration, clk clock.Clock, place PlaceFunc) (http.Handler, error) {
	var errs []error
	if len(secret) < MinSecretBytes {
		errs = append(errs, invalid("secret", "is %d bytes, want at least %d", len(secret), MinSecretBytes))
	}
	if place == nil {
		errs = append(errs, invalid("place", "is required"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if clk == nil {
		clk = clock.New()
	}
	secret = bytes.Clone(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := Verify(r, secret, clk.Now(), tolerance)
		switch {
		case errors.Is(err, ErrTooLarge):
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		case errors.Is(err, ErrBadSignature), errors.Is(err, ErrStale):
			http.Error(w, "signature does not verify", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "malformed call request", http.StatusBadRequest)
			return
		}
		req, err := DecodeRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Header.Get(HeaderIdempotencyKey) != req.IdempotencyKey {
			http.Error(w, "Idempotency-Key header differs from the body", http.StatusBadRequest)
			return
		}
		o, err := place(r.Context(), req)
		switch {
		case errors.Is(err, signedcall.ErrNotDialled):
			http.Error(w, "call not placed", http.StatusServiceUnavailable)
			return
		case err != nil || !knownOutcome(o):
			http.Error(w, "call failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer{o})
	}), nil
}

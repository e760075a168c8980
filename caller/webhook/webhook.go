package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
)

// Header names of a call request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Signedcall-Timestamp"
	HeaderSignature      = "X-Signedcall-Signature"
)

// DefaultTimeout is the Timeout of a Config that leaves it zero.
const DefaultTimeout = 30 * time.Second

// MinSecretBytes is the shortest Secret accepted, the size of an
// HMAC-SHA256 output.
const MinSecretBytes = 32

// maxResponseBytes bounds how much of a response body Call reads.
const maxResponseBytes = 64 << 10

// Config configures a [Caller]. URL and Secret are required; every other
// field has the default its comment gives when left zero.
type Config struct {
	// URL is the call service's endpoint, an absolute http or https URL.
	// Required.
	URL string
	// Secret is the key, shared with the call service, of the request
	// signature; at least MinSecretBytes, best random. It is never sent.
	// Required.
	Secret []byte
	// Client sends the requests. Its Transport, Timeout and Jar are used,
	// but never its CheckRedirect: redirects are not followed. Default: a
	// client on a clone of http.DefaultTransport that keeps up to 64 idle
	// connections to the service.
	Client *http.Client
	// Timeout bounds one request, from connecting to reading the
	// response, in real time (not on Clock). It must not be negative.
	// Default: DefaultTimeout, 30 seconds.
	Timeout time.Duration
	// Clock gives the time written in X-Signedcall-Timestamp. Default:
	// the system clock, clock.New().
	Clock clock.Clock
}

// Caller is a [signedcall.Caller] that sends each call to a call service
// as described in the package documentation. Create one with [New]. It is
// safe for concurrent use.
type Caller struct {
	url     string
	secret  []byte
	client  *http.Client
	timeout time.Duration
	clk     clock.Clock
}

var _ signedcall.Caller = (*Caller)(nil)

// New checks cfg, fills in defaults and returns a Caller. A broken rule
// is an error matching [signedcall.ErrInvalid] that names the field;
// several are joined.
func New(cfg Config) (*Caller, error) {
	var errs []error
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.URL == "":
		errs = append(errs, invalid("config.url", "is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, invalid("config.url", "must be an absolute http or https URL"))
	}
	if len(cfg.Secret) < MinSecretBytes {
		errs = append(errs, invalid("config.secret", "is %d bytes, want at least %d", len(cfg.Secret), MinSecretBytes))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, invalid("config.timeout", "must not be negative, got %s", cfg.Timeout))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	var client http.Client
	if cfg.Client != nil {
		client = *cfg.Client
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		client.Transport = t
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Caller{
		url: u.String(), secret: bytes.Clone(cfg.Secret), client: &client,
		timeout: cfg.Timeout, clk: cfg.Clock,
	}, nil
}

// invalidError is a broken Config rule: its message carries this
// package's prefix, and it unwraps to the root package's error so that
// errors.Is(err, signedcall.ErrInvalid) and errors.As work.
type invalidError struct{ ve *signedcall.ValidationError }

func (e invalidError) Error() string { return "webhook: " + e.ve.Field + ": " + e.ve.Rule }
func (e invalidError) Unwrap() error { return e.ve }

func invalid(field, format string, args ...any) error {
	return invalidError{&signedcall.ValidationError{Field: field, Rule: fmt.Sprintf(format, args...)}}
}

// Payload is the JSON body of a call request. Every field is always
// present except signature, which is left out of an unsigned request.
type Payload struct {
	// IdempotencyKey is the same for every try of one attempt; a service
	// places at most one call per key.
	IdempotencyKey string `json:"idempotency_key"`
	// CampaignID is the campaign's UUID in canonical text form.
	CampaignID uuid.UUID `json:"campaign_id"`
	// UserID is the host's identifier of the person called.
	UserID string `json:"user_id"`
	// Phone is the E.164 number to dial.
	Phone string `json:"phone"`
	// CallContext is the reason shown to the person called.
	CallContext string `json:"call_context"`
	// Attempt is 1 for the first call of a delivery.
	Attempt int `json:"attempt"`
	// Signature is the request's Ed25519 signature (see
	// signedcall.CallRequest.SigningPayload), in standard base64 with
	// padding.
	Signature []byte `json:"signature,omitempty"`
}

// Sign returns the X-Signedcall-Signature value of a body sent with
// X-Signedcall-Timestamp set to the decimal text of timestamp:
// "v1=" and the lowercase hex HMAC-SHA256, keyed with secret, of that
// text, "." and body.
func Sign(secret []byte, timestamp int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// StatusError is the error of a response whose HTTP status is not 200.
type StatusError struct {
	// StatusCode is the status the call service answered.
	StatusCode int
	// NotDialled reports that the status means the call was not placed
	// (see the package documentation); the error then matches
	// signedcall.ErrNotDialled.
	NotDialled bool
}

// Error describes the status and what it means for the call.
func (e *StatusError) Error() string {
	what := "the call may have been placed"
	if e.NotDialled {
		what = "the call was not placed"
	}
	return fmt.Sprintf("webhook: call service answered %d %s; %s", e.StatusCode, http.StatusText(e.StatusCode), what)
}

// Is reports whether target is signedcall.ErrNotDialled and the status
// means the call was not placed.
func (e *StatusError) Is(target error) bool {
	return e.NotDialled && target == signedcall.ErrNotDialled
}

// notDialledStatus reports whether a status says the service did not act
// on the request. Keep in step with the package documentation.
func notDialledStatus(code int) bool {
	switch code {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestTimeout,
		http.StatusGone, http.StatusLengthRequired, http.StatusRequestEntityTooLarge,
		http.StatusRequestURITooLong, http.StatusUnsupportedMediaType,
		http.StatusMisdirectedRequest, http.StatusUnprocessableEntity, http.StatusTooEarly,
		http.StatusTooManyRequests, http.StatusRequestHeaderFieldsTooLarge,
		http.StatusUnavailableForLegalReasons, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// sendTrace watches one request's progress through the transport, to
// tell an error before the request was written from one after.
type sendTrace struct {
	connecting atomic.Bool // the transport began looking for a connection
	written    atomic.Bool // some try wrote the whole request
}

func (t *sendTrace) hooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { t.connecting.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { t.connecting.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				t.written.Store(true)
			}
		},
	}
}

// Call implements [signedcall.Caller]: it sends req to the call service
// and maps the answer as the package documentation describes.
func (c *Caller) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("webhook: request not sent: %w: %w", signedcall.ErrNotDialled, err)
	}
	body, err := json.Marshal(Payload{
		IdempotencyKey: req.IdempotencyKey, CampaignID: req.CampaignID, UserID: req.UserID,
		Phone: req.Phone, CallContext: req.CallContext, Attempt: req.Attempt, Signature: req.Signature,
	})
	if err != nil {
		return "", fmt.Errorf("webhook: encoding the request: %w: %w", signedcall.ErrNotDialled, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var tr sendTrace
	ctx = httptrace.WithClientTrace(ctx, tr.hooks())
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("webhook: building the request: %w: %w", signedcall.ErrNotDialled, err)
	}
	ts := strconv.FormatInt(c.clk.Now().Unix(), 10)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "signedcall-webhook/1")
	hr.Header.Set(HeaderIdempotencyKey, req.IdempotencyKey)
	hr.Header.Set(HeaderTimestamp, ts)
	hr.Header.Set(HeaderSignature, "v1="+hex.EncodeToString(mac(c.secret, ts, body)))

	resp, err := c.client.Do(hr)
	if err != nil {
		// A transport that reports no progress at all leaves both false:
		// then nothing is promised.
		if tr.connecting.Load() && !tr.written.Load() {
			return "", fmt.Errorf("webhook: request not sent: %w: %w", signedcall.ErrNotDialled, err)
		}
		return "", fmt.Errorf("webhook: no answer after the request was sent; the call may have been placed: %w", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{StatusCode: resp.StatusCode, NotDialled: notDialledStatus(resp.StatusCode)}
	}
	return readOutcome(resp.Body)
}

// readOutcome reads a 200 answer. Every failure is unknown: the service
// said it handled the request.
func readOutcome(r io.Reader) (signedcall.Outcome, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return "", fmt.Errorf("webhook: reading the 200 answer; the call may have been placed: %w", err)
	}
	if len(b) > maxResponseBytes {
		return "", fmt.Errorf("webhook: 200 answer is over %d bytes; the call may have been placed", maxResponseBytes)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return "", fmt.Errorf("webhook: 200 answer is not a JSON object; the call may have been placed: %w", err)
	}
	if !knownOutcome(a.Outcome) {
		s := string(a.Outcome)
		if len(s) > 32 {
			s = s[:32] + "..."
		}
		return "", fmt.Errorf("webhook: 200 answer has unknown outcome %q; the call may have been placed", s)
	}
	return a.Outcome, nil
}

// answer is the JSON body of a 200 response.
type answer struct {
	Outcome signedcall.Outcome `json:"outcome"`
}

func knownOutcome(o signedcall.Outcome) bool {
	switch o {
	case signedcall.OutcomeAnswered, signedcall.OutcomeDeclined, signedcall.OutcomeMissed,
		signedcall.OutcomeBusy, signedcall.OutcomeFailed:
		return true
	}
	return false
}

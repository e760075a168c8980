package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/webhook"
)

var (
	secret     = []byte("0123456789abcdef0123456789abcdef")
	campaignID = uuid.MustParse("0193a0e0-3c00-7000-8000-00000000a11c")
	// epoch is Saturday 5 December 2026, 11:30 UTC: far from the wall
	// clock, so a timestamp taken from it proves Config.Clock is used.
	epoch = time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
)

func mockClock() *clock.Mock {
	m := clock.NewMock()
	m.Set(epoch)
	return m
}

func callReq(user string) signedcall.CallRequest {
	return signedcall.CallRequest{
		IdempotencyKey: campaignID.String() + ":" + user + ":1", CampaignID: campaignID,
		UserID: user, Phone: "+12125550101", CallContext: "Your order is ready", Attempt: 1,
	}
}

// newCaller returns a Caller of url on a mock clock at epoch; edit, if
// set, changes the Config first.
func newCaller(t *testing.T, url string, edit func(*webhook.Config)) *webhook.Caller {
	t.Helper()
	cfg := webhook.Config{URL: url, Secret: secret, Clock: mockClock(), Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	c, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// answer replies 200 with the given outcome.
func answer(o string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"outcome":%q}`, o)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    webhook.Config
		fields []string
	}{
		{"no url", webhook.Config{Secret: secret}, []string{"config.url"}},
		{"relative url", webhook.Config{URL: "/calls", Secret: secret}, []string{"config.url"}},
		{"ftp url", webhook.Config{URL: "ftp://calls.example.com/", Secret: secret}, []string{"config.url"}},
		{"no host", webhook.Config{URL: "https://", Secret: secret}, []string{"config.url"}},
		{"opaque", webhook.Config{URL: "http:calls", Secret: secret}, []string{"config.url"}},
		{"bad escape", webhook.Config{URL: "https://calls.example.com/%zz", Secret: secret}, []string{"config.url"}},
		{"no secret", webhook.Config{URL: "https://calls.example.com/"}, []string{"config.secret"}},
		{"short secret", webhook.Config{URL: "https://calls.example.com/", Secret: secret[:31]}, []string{"config.secret"}},
		{"negative timeout", webhook.Config{URL: "https://calls.example.com/", Secret: secret, Timeout: -time.Second}, []string{"config.timeout"}},
		{"all three", webhook.Config{Timeout: -1}, []string{"config.url", "config.secret", "config.timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := webhook.New(tc.cfg)
			if c != nil || !errors.Is(err, signedcall.ErrInvalid) {
				t.Fatalf("New = %v, %v; want an error matching ErrInvalid", c, err)
			}
			var got []string
			for _, ve := range signedcall.ValidationErrors(err) {
				got = append(got, ve.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %v, want %v (error %q)", got, tc.fields, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "webhook: ") {
					t.Errorf("error line %q lacks the webhook: prefix", line)
				}
			}
		})
	}
	if _, err := webhook.New(webhook.Config{URL: "HTTPS://calls.example.com/v1/calls?x=1", Secret: secret}); err != nil {
		t.Errorf("a valid config: %v", err)
	}
}

func TestEveryOutcome(t *testing.T) {
	outcomes := []signedcall.Outcome{signedcall.OutcomeAnswered, signedcall.OutcomeDeclined,
		signedcall.OutcomeMissed, signedcall.OutcomeBusy, signedcall.OutcomeFailed}
	h, err := webhook.NewHandler(secret, 0, mockClock(), func(_ context.Context, r signedcall.CallRequest) (signedcall.Outcome, error) {
		return signedcall.Outcome(strings.TrimPrefix(r.UserID, "user-")), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newCaller(t, srv.URL, nil)
	for _, want := range outcomes {
		got, err := c.Call(context.Background(), callReq("user-"+string(want)))
		if got != want || err != nil {
			t.Errorf("Call = %q, %v; want %q, nil", got, err, want)
		}
	}
}

func TestRequestOnTheWire(t *testing.T) {
	clk := mockClock()
	type seen struct {
		r    *http.Request
		body []byte
		err  error
	}
	got := make(chan seen, 1)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.Verify(r, secret, clk.Now(), time.Minute)
		again, _ := io.ReadAll(r.Body)
		if !bytes.Equal(again, body) {
			t.Errorf("r.Body after Verify = %q, want the body %q", again, body)
		}
		got <- seen{r, body, err}
		answer("answered")(w, r)
	})
	c := newCaller(t, srv.URL+"/v1/calls", func(cfg *webhook.Config) { cfg.Clock = clk })

	req := callReq("user-1")
	req.Signature = []byte{1, 2, 3}
	if o, err := c.Call(context.Background(), req); o != signedcall.OutcomeAnswered || err != nil {
		t.Fatalf("Call = %q, %v", o, err)
	}
	s := <-got
	if s.err != nil {
		t.Fatalf("Verify on the server: %v", s.err)
	}
	ts := strconv.FormatInt(epoch.Unix(), 10)
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"Idempotency-Key", req.IdempotencyKey},
		{"X-Signedcall-Timestamp", ts},
		{"X-Signedcall-Signature", webhook.Sign(secret, epoch.Unix(), s.body)},
	} {
		if v := s.r.Header.Get(h.name); v != h.want {
			t.Errorf("header %s = %q, want %q", h.name, v, h.want)
		}
	}
	if s.r.Method != http.MethodPost || s.r.URL.Path != "/v1/calls" {
		t.Errorf("request is %s %s, want POST /v1/calls", s.r.Method, s.r.URL.Path)
	}
	want := `{"idempotency_key":"0193a0e0-3c00-7000-8000-00000000a11c:user-1:1",` +
		`"campaign_id":"0193a0e0-3c00-7000-8000-00000000a11c","user_id":"user-1",` +
		`"phone":"+12125550101","call_context":"Your order is ready","attempt":1,"signature":"AQID"}`
	if string(s.body) != want {
		t.Errorf("body\n%s\nwant\n%s", s.body, want)
	}
	back, err := webhook.DecodeRequest(s.body)
	if err != nil || fmt.Sprint(back) != fmt.Sprint(req) {
		t.Errorf("DecodeRequest = %+v, %v; want %+v", back, err, req)
	}

	// Unsigned: no signature field at all.
	clk.Add(90 * time.Second)
	if _, err := c.Call(context.Background(), callReq("user-2")); err != nil {
		t.Fatal(err)
	}
	s = <-got
	if s.err != nil || bytes.Contains(s.body, []byte("signature")) {
		t.Errorf("unsigned request: Verify %v, body %s; want no signature field", s.err, s.body)
	}
	if v := s.r.Header.Get("X-Signedcall-Timestamp"); v != strconv.FormatInt(epoch.Add(90*time.Second).Unix(), 10) {
		t.Errorf("timestamp %s does not follow the clock", v)
	}
}

func TestSlowFarEndWithinTimeout(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		answer("missed")(w, r)
	})
	c := newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Timeout = 5 * time.Second })
	if o, err := c.Call(context.Background(), callReq("user-1")); o != signedcall.OutcomeMissed || err != nil {
		t.Errorf("Call = %q, %v; want missed", o, err)
	}
}

func TestDeadFarEndIsNotDialled(t *testing.T) {
	srv := httptest.NewServer(answer("answered"))
	srv.Close() // nothing listens on its address any more
	c := newCaller(t, srv.URL, nil)
	_, err := c.Call(context.Background(), callReq("user-1"))
	if !errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call to a closed listener: %v; want ErrNotDialled", err)
	}
}

func TestUnresolvableHostIsNotDialled(t *testing.T) {
	c := newCaller(t, "http://calls.invalid/", nil) // .invalid never resolves
	_, err := c.Call(context.Background(), callReq("user-1"))
	if !errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call to an unresolvable host: %v; want ErrNotDialled", err)
	}
}

func TestTLSFailureIsNotDialled(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		answer("answered")(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake
	srv.StartTLS()
	defer srv.Close()
	// The default client does not trust the test server's certificate.
	c := newCaller(t, srv.URL, nil)
	_, err := c.Call(context.Background(), callReq("user-1"))
	if !errors.Is(err, signedcall.ErrNotDialled) || hits.Load() != 0 {
		t.Errorf("Call with an untrusted certificate: %v, %d requests served; want ErrNotDialled, 0", err, hits.Load())
	}
	// With the server's own client it goes through.
	c = newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Client = srv.Client() })
	if o, err := c.Call(context.Background(), callReq("user-1")); o != signedcall.OutcomeAnswered || err != nil {
		t.Errorf("Call over TLS = %q, %v", o, err)
	}
}

// hang returns a handler that reads the request, reports it on got and
// answers nothing until the client goes away or the test ends.
func hang(t *testing.T, got chan<- struct{}) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

func TestTimeoutAfterRequestReceivedIsUnknown(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := server(t, hang(t, got))
	c := newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Timeout = 200 * time.Millisecond })
	_, err := c.Call(context.Background(), callReq("user-1"))
	select {
	case <-got:
	default:
		t.Fatal("the server never received the request")
	}
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call timing out after sending: %v; want an error that is not ErrNotDialled", err)
	}
	var se *webhook.StatusError
	if errors.As(err, &se) {
		t.Errorf("error %v is a StatusError; no status was received", err)
	}
}

func TestContextEndingAfterRequestReceivedIsUnknown(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := server(t, hang(t, got))
	c := newCaller(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-got
		cancel()
	}()
	_, err := c.Call(ctx, callReq("user-1"))
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Call cancelled after sending: %v; want context.Canceled, not ErrNotDialled", err)
	}
}

func TestConnectionResetWhileWaitingIsUnknown(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	})
	c := newCaller(t, srv.URL, nil)
	_, err := c.Call(context.Background(), callReq("user-1"))
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) || hits.Load() == 0 {
		t.Errorf("Call whose connection closed unanswered: %v after %d requests; want unknown", err, hits.Load())
	}
}

func TestCancelledBeforeSendingIsNotDialled(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		answer("answered")(w, r)
	})
	c := newCaller(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Call(ctx, callReq("user-1"))
	if !errors.Is(err, signedcall.ErrNotDialled) || !errors.Is(err, context.Canceled) || hits.Load() != 0 {
		t.Errorf("Call with a cancelled ctx: %v, %d requests; want ErrNotDialled and context.Canceled, none sent", err, hits.Load())
	}
}

func TestStatuses(t *testing.T) {
	notDialled := []int{400, 401, 403, 404, 405, 408, 410, 411, 413, 414, 415, 421, 422, 425, 429, 431, 451, 503}
	unknown := []int{201, 202, 204, 301, 302, 303, 307, 308, 402, 409, 412, 418, 424, 500, 501, 502, 504, 507}
	var code atomic.Int32
	var redirected atomic.Int32
	elsewhere := server(t, func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		answer("answered")(w, r)
	})
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if c := int(code.Load()); c >= 300 && c < 400 {
			w.Header().Set("Location", elsewhere.URL)
		}
		w.WriteHeader(int(code.Load()))
		if code.Load() != 204 {
			fmt.Fprint(w, `{"outcome":"answered"}`)
		}
	})
	c := newCaller(t, srv.URL, nil)
	for _, cs := range []struct {
		codes []int
		safe  bool
	}{{notDialled, true}, {unknown, false}} {
		for _, n := range cs.codes {
			code.Store(int32(n))
			o, err := c.Call(context.Background(), callReq("user-1"))
			var se *webhook.StatusError
			if !errors.As(err, &se) || se.StatusCode != n || se.NotDialled != cs.safe {
				t.Errorf("status %d: Call = %q, %v; want a StatusError{%d, NotDialled: %v}", n, o, err, n, cs.safe)
				continue
			}
			if errors.Is(err, signedcall.ErrNotDialled) != cs.safe {
				t.Errorf("status %d: errors.Is(err, ErrNotDialled) = %v, want %v", n, !cs.safe, cs.safe)
			}
			if !strings.HasPrefix(err.Error(), "webhook: ") || !strings.Contains(err.Error(), strconv.Itoa(n)) {
				t.Errorf("status %d: error %q", n, err)
			}
		}
	}
	if n := redirected.Load(); n != 0 {
		t.Errorf("redirects were followed %d times", n)
	}
}

func TestMalformed200IsUnknown(t *testing.T) {
	for _, body := range []string{
		"", "answered", "not json", `{"outcome":"voicemail"}`, `{"outcome":"ANSWERED"}`,
		`{}`, `null`, `[]`, `{"outcome":1}`, `{"outcome":"answered"} trailing`,
		`{"outcome":"answered","pad":"` + strings.Repeat("x", 70<<10) + `"}`,
	} {
		srv := server(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			fmt.Fprint(w, body)
		})
		c := newCaller(t, srv.URL, nil)
		o, err := c.Call(context.Background(), callReq("user-1"))
		var se *webhook.StatusError
		if err == nil || errors.Is(err, signedcall.ErrNotDialled) || errors.As(err, &se) || o != "" {
			short := body
			if len(short) > 40 {
				short = short[:40] + "..."
			}
			t.Errorf("200 %q: Call = %q, %v; want no outcome and an unknown error", short, o, err)
		}
	}
	// Fields beyond outcome are ignored.
	srv := server(t, answer("busy"))
	if o, err := newCaller(t, srv.URL, nil).Call(context.Background(), callReq("user-1")); o != signedcall.OutcomeBusy || err != nil {
		t.Errorf("Call = %q, %v", o, err)
	}
}

// silentTransport fails without reporting any progress through
// httptrace, as a transport that is not net/http's may.
type silentTransport struct{}

func (silentTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no route")
}

func TestSilentTransportErrorIsUnknown(t *testing.T) {
	c := newCaller(t, "http://calls.example.com/", func(cfg *webhook.Config) {
		cfg.Client = &http.Client{Transport: silentTransport{}}
	})
	_, err := c.Call(context.Background(), callReq("user-1"))
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call = %v; an error with no sign of where it happened must be unknown", err)
	}
}

func TestClientIsCopiedAndNeverRedirects(t *testing.T) {
	followed := errors.New("followed")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return followed }}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	c := newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Client = client })
	_, err := c.Call(context.Background(), callReq("user-1"))
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != 307 || errors.Is(err, followed) {
		t.Errorf("Call = %v; want StatusError 307 without consulting CheckRedirect", err)
	}
	if err := client.CheckRedirect(nil, nil); err != followed {
		t.Error("New changed the Client it was given")
	}
}

func TestSecretIsCopied(t *testing.T) {
	clk := mockClock()
	s := bytes.Clone(secret)
	var verr atomic.Value
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := webhook.Verify(r, secret, clk.Now(), 0)
		verr.Store(fmt.Sprint(err))
		answer("answered")(w, r)
	})
	c := newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Secret = s; cfg.Clock = clk })
	s[0] ^= 0xff
	if _, err := c.Call(context.Background(), callReq("user-1")); err != nil || verr.Load() != "<nil>" {
		t.Errorf("after the caller's copy of the secret changed: Call %v, Verify %v", err, verr.Load())
	}
}

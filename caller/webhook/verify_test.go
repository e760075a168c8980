package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/webhook"
)

var body = []byte(`{"idempotency_key":"0193a0e0-3c00-7000-8000-00000000a11c:user-1:1",` +
	`"campaign_id":"0193a0e0-3c00-7000-8000-00000000a11c","user_id":"user-1",` +
	`"phone":"+12125550101","call_context":"Your order is ready","attempt":1}`)

// signed returns a call request as a Caller sends it, timestamped ts.
func signed(ts int64, b []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/calls", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.HeaderIdempotencyKey, "0193a0e0-3c00-7000-8000-00000000a11c:user-1:1")
	r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	r.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, b))
	return r
}

func TestSignMatchesTheDocumentedScheme(t *testing.T) {
	// Worked out outside Go, from the scheme in the package doc:
	// printf '1796470200.{}' |
	//   openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
	const want = "v1=639bd7fb29566c2d2bd01ab5e30bf5b9268674abd091e624e75c2b88c6f355d4"
	if epoch.Unix() != 1796470200 {
		t.Fatalf("epoch is %d", epoch.Unix())
	}
	if got := webhook.Sign(secret, epoch.Unix(), []byte("{}")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := epoch
	ts := now.Unix()
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		now  time.Time
		tol  time.Duration
		want error // nil: accepted
	}{
		{"as sent", func() *http.Request { return signed(ts, body) }, now, time.Minute, nil},
		{"at the tolerance, past", func() *http.Request { return signed(ts-60, body) }, now, time.Minute, nil},
		{"at the tolerance, future", func() *http.Request { return signed(ts+60, body) }, now, time.Minute, nil},
		{"default tolerance", func() *http.Request { return signed(ts-299, body) }, now, 0, nil},
		{"key rotation list", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderSignature, "v0=abc, v1=00ff,"+r.Header.Get(webhook.HeaderSignature))
			return r
		}, now, time.Minute, nil},
		{"altered body", func() *http.Request {
			r := signed(ts, body)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("0101"), []byte("0199"), 1)))
			return r
		}, now, time.Minute, webhook.ErrBadSignature},
		{"altered timestamp", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
			return r
		}, now, time.Minute, webhook.ErrBadSignature},
		{"timestamp with a leading zero", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderTimestamp, "0"+strconv.FormatInt(ts, 10))
			return r
		}, now, time.Minute, webhook.ErrBadSignature},
		{"wrong secret", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderSignature, webhook.Sign(bytes.Repeat([]byte("x"), 32), ts, body))
			return r
		}, now, time.Minute, webhook.ErrBadSignature},
		{"signature not hex", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderSignature, "v1=zz")
			return r
		}, now, time.Minute, webhook.ErrBadSignature},
		{"stale", func() *http.Request { return signed(ts-61, body) }, now, time.Minute, webhook.ErrStale},
		{"stale by default", func() *http.Request { return signed(ts-301, body) }, now, 0, webhook.ErrStale},
		{"far future", func() *http.Request { return signed(ts+61, body) }, now, time.Minute, webhook.ErrStale},
		{"replayed an hour later", func() *http.Request { return signed(ts, body) }, now.Add(time.Hour), time.Minute, webhook.ErrStale},
		{"no timestamp", func() *http.Request {
			r := signed(ts, body)
			r.Header.Del(webhook.HeaderTimestamp)
			return r
		}, now, time.Minute, webhook.ErrMalformed},
		{"signed timestamp not digits", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderTimestamp, "+"+strconv.FormatInt(ts, 10))
			return r
		}, now, time.Minute, webhook.ErrMalformed},
		{"huge timestamp", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderTimestamp, strings.Repeat("9", 19))
			return r
		}, now, time.Minute, webhook.ErrMalformed},
		{"no signature", func() *http.Request {
			r := signed(ts, body)
			r.Header.Del(webhook.HeaderSignature)
			return r
		}, now, time.Minute, webhook.ErrMalformed},
		{"only unknown schemes", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderSignature, "v2="+strings.TrimPrefix(r.Header.Get(webhook.HeaderSignature), "v1="))
			return r
		}, now, time.Minute, webhook.ErrMalformed},
		{"body over 1 MiB", func() *http.Request {
			return signed(ts, bytes.Repeat([]byte(" "), webhook.MaxBodyBytes+1))
		}, now, time.Minute, webhook.ErrTooLarge},
		{"body over 1 MiB, no length", func() *http.Request {
			b := bytes.Repeat([]byte(" "), webhook.MaxBodyBytes+1)
			r := signed(ts, b)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(b))
			return r
		}, now, time.Minute, webhook.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			got, err := webhook.Verify(r, secret, tc.now, tc.tol)
			if tc.want == nil {
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("Verify = %.40q, %v; want the body", got, err)
				}
				again, _ := io.ReadAll(r.Body)
				if !bytes.Equal(again, body) {
					t.Errorf("r.Body after Verify reads %.40q, want the body", again)
				}
				return
			}
			if !errors.Is(err, tc.want) || got != nil {
				t.Errorf("Verify = %.40q, %v; want %v", got, err, tc.want)
			}
			for _, other := range []error{webhook.ErrMalformed, webhook.ErrTooLarge, webhook.ErrBadSignature, webhook.ErrStale} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
		})
	}
	if _, err := webhook.Verify(signed(ts, body), secret[:16], now, 0); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Verify with a 16-byte secret: %v; want ErrInvalid", err)
	}
}

func TestDecodeRequest(t *testing.T) {
	req, err := webhook.DecodeRequest(slices.Concat(body[:len(body)-1], []byte(`,"new_field":[1,2]}`)))
	if err != nil || req.UserID != "user-1" || req.CampaignID != campaignID || req.Attempt != 1 || req.Signature != nil {
		t.Errorf("DecodeRequest = %+v, %v", req, err)
	}
	for _, b := range []string{"", "[]", "nope", `{"idempotency_key":"k"}`,
		`{"idempotency_key":"k","campaign_id":"not-a-uuid","user_id":"u","phone":"+1","attempt":1}`,
		`{"idempotency_key":"k","campaign_id":"0193a0e0-3c00-7000-8000-00000000a11c","user_id":"u","phone":"+1","attempt":0}`,
		`{"idempotency_key":"k","campaign_id":"0193a0e0-3c00-7000-8000-00000000a11c","user_id":"u","phone":"+1","attempt":1,"signature":"!!"}`,
	} {
		if _, err := webhook.DecodeRequest([]byte(b)); !errors.Is(err, webhook.ErrMalformed) {
			t.Errorf("DecodeRequest(%s) = %v; want ErrMalformed", b, err)
		}
	}
}

func TestHandler(t *testing.T) {
	clk := mockClock()
	place := func(_ context.Context, r signedcall.CallRequest) (signedcall.Outcome, error) {
		switch r.Phone {
		case "+12125550101":
			return signedcall.OutcomeAnswered, nil
		case "+12125550102":
			return "", errors.New("webhook test: line dropped")
		case "+12125550103":
			return "", signedcall.ErrNotDialled
		}
		return "voicemail", nil
	}
	h, err := webhook.NewHandler(secret, time.Minute, clk, place)
	if err != nil {
		t.Fatal(err)
	}
	withPhone := func(p string) []byte { return bytes.Replace(body, []byte("+12125550101"), []byte(p), 1) }
	ts := epoch.Unix()
	for _, tc := range []struct {
		name string
		req  *http.Request
		code int
		body string
	}{
		{"answered", signed(ts, body), 200, `{"outcome":"answered"}` + "\n"},
		{"place fails", signed(ts, withPhone("+12125550102")), 500, ""},
		{"place did not dial", signed(ts, withPhone("+12125550103")), 503, ""},
		{"unknown outcome", signed(ts, withPhone("+12125550104")), 500, ""},
		{"GET", httptest.NewRequest(http.MethodGet, "/calls", nil), 405, ""},
		{"bad signature", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
			return r
		}(), 401, ""},
		{"stale", signed(ts-120, body), 401, ""},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/calls", bytes.NewReader(body)), 400, ""},
		{"signed but not a call request", signed(ts, []byte(`{"hello":1}`)), 400, ""},
		{"header key differs", func() *http.Request {
			r := signed(ts, body)
			r.Header.Set(webhook.HeaderIdempotencyKey, "other")
			return r
		}(), 400, ""},
		{"too large", signed(ts, bytes.Repeat([]byte(" "), webhook.MaxBodyBytes+1)), 413, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tc.req)
		if w.Code != tc.code || (tc.body != "" && w.Body.String() != tc.body) {
			t.Errorf("%s: %d %q; want %d %q", tc.name, w.Code, w.Body.String(), tc.code, tc.body)
		}
		if strings.Contains(w.Body.String(), "555") {
			t.Errorf("%s: answer %q shows the phone number", tc.name, w.Body.String())
		}
	}

	// Through a Caller, 503 is not dialled and 500 is unknown.
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newCaller(t, srv.URL, func(cfg *webhook.Config) { cfg.Clock = clk })
	r := callReq("user-1")
	r.Phone = "+12125550103"
	if _, err := c.Call(context.Background(), r); !errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("handler's 503: %v; want ErrNotDialled", err)
	}
	r.Phone = "+12125550102"
	if _, err := c.Call(context.Background(), r); err == nil || errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("handler's 500: %v; want unknown", err)
	}

	for _, bad := range []struct {
		secret []byte
		place  webhook.PlaceFunc
	}{{secret[:31], place}, {secret, nil}} {
		if h, err := webhook.NewHandler(bad.secret, 0, nil, bad.place); h != nil || !errors.Is(err, signedcall.ErrInvalid) {
			t.Errorf("NewHandler(%d-byte secret, place %v) = %v, %v; want ErrInvalid", len(bad.secret), bad.place != nil, h, err)
		}
	}
}

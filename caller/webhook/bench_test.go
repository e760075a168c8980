package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/webhook"
)

// BenchmarkWebhook places calls through a Caller on a loopback server
// that answers at once, so what is measured is what the webhook adds:
// encoding, signing, HTTP over a kept-alive connection and reading the
// answer. "serial" places one call at a time; "parallel" keeps 16 in
// flight, as the dispatcher's default Concurrency does. "verified"
// serves with NewHandler, adding the receiver's Verify and decoding.
// Each reports calls/s and the 99th percentile of one call's duration.
func BenchmarkWebhook(b *testing.B) {
	fast := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"outcome":"answered"}`)
	})
	verified, err := webhook.NewHandler(secret, time.Minute, nil, func(context.Context, signedcall.CallRequest) (signedcall.Outcome, error) {
		return signedcall.OutcomeAnswered, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		h        http.Handler
		inFlight int
	}{
		{"serial", fast, 1},
		{"parallel", fast, 16},
		{"verified", verified, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			c, err := webhook.New(webhook.Config{URL: srv.URL, Secret: secret})
			if err != nil {
				b.Fatal(err)
			}
			req := callReq("user-1")
			req.Signature = make([]byte, 64)
			ctx := context.Background()
			if _, err := c.Call(ctx, req); err != nil { // open the connection
				b.Fatal(err)
			}
			var (
				mu   sync.Mutex
				durs = make([]time.Duration, 0, b.N)
				wg   sync.WaitGroup
				next = make(chan struct{})
			)
			b.ResetTimer()
			begin := time.Now()
			for range bc.inFlight {
				wg.Go(func() {
					local := make([]time.Duration, 0, b.N/bc.inFlight+1)
					for range next {
						t0 := time.Now()
						if o, err := c.Call(ctx, req); err != nil || o != signedcall.OutcomeAnswered {
							b.Error(o, err)
							return
						}
						local = append(local, time.Since(t0))
					}
					mu.Lock()
					durs = append(durs, local...)
					mu.Unlock()
				})
			}
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(begin)
			b.StopTimer()
			slices.Sort(durs)
			if len(durs) > 0 {
				p99 := durs[min(len(durs)-1, len(durs)*99/100)]
				b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
		})
	}
}

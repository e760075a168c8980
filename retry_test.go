package signedcall_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

// flaky answers each idempotency key from its hash: 10% refused before
// dialling, 25% busy, 20% missed, 5% failed after dialling, the rest
// answered. It counts every call it receives.
type flaky struct {
	mu    sync.Mutex
	calls map[string]int // user -> calls received
}

func flakyResult(key string) (signedcall.Outcome, error) {
	h := sha256.Sum256([]byte(key))
	switch r := binary.BigEndian.Uint64(h[:8]) % 100; {
	case r < 10:
		return "", fmt.Errorf("trunk refused: %w", signedcall.ErrNotDialled)
	case r < 35:
		return signedcall.OutcomeBusy, nil
	case r < 55:
		return signedcall.OutcomeMissed, nil
	case r < 60:
		return signedcall.OutcomeFailed, nil
	}
	return signedcall.OutcomeAnswered, nil
}

func (f *flaky) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	f.mu.Lock()
	f.calls[req.UserID]++
	f.mu.Unlock()
	return flakyResult(req.IdempotencyKey)
}

func TestRetriesGiveExactCounts(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // Monday
	clk := fixedClock(start.Add(-time.Hour))
	st := memstore.New()
	f := &flaky{calls: map[string]int{}}
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: f, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c, err := signedcall.NewCampaign("retries").WithClock(clk).
		Audience(signedcall.Flag(signedcall.HasPhone)).TimeZone("UTC").
		Start(start).CutOff(start.Add(6*time.Hour)).DNDHours("21:00", "09:00").
		Retry(3, 10*time.Minute, signedcall.RetryBusy, signedcall.RetryMissed, signedcall.RetryNotDialled).
		CallContext("retries").Build()
	if err != nil {
		t.Fatal(err)
	}
	publish(t, d, clk, c)
	src := population(2000, 10)
	for i := range src {
		src[i].TimeZone = "UTC"
	}
	drive(t, d, clk, c.ID, src)

	// Expected, attempt by attempt, from the caller's rule alone: busy,
	// missed and not-dialled are called again, up to three calls.
	want := map[string]int{}
	wantCalls := 0
	for _, p := range src {
		for attempt := 1; attempt <= 3; attempt++ {
			wantCalls++
			o, err := flakyResult(fmt.Sprintf("%s:%s:%d", c.ID, p.ID, attempt))
			retried := errors.Is(err, signedcall.ErrNotDialled) || o == signedcall.OutcomeBusy || o == signedcall.OutcomeMissed
			if retried && attempt < 3 {
				continue
			}
			switch {
			case err != nil:
				want["failed/not_dialled"]++
			default:
				want[string(o)]++
			}
			break
		}
	}
	got := map[string]int{}
	gotCalls := 0
	err = st.Deliveries(ctx, c.ID, func(dl signedcall.Delivery) error {
		key := string(dl.Status)
		if dl.Reason == signedcall.ReasonNotDialled {
			key += "/not_dialled"
		}
		got[key]++
		gotCalls += dl.Attempt
		if n := f.calls[dl.UserID]; n != dl.Attempt {
			t.Errorf("user %s: %d calls received, delivery says %d attempts", dl.UserID, n, dl.Attempt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || gotCalls != wantCalls {
		t.Errorf("final states %v after %d calls, want %v after %d", got, gotCalls, want, wantCalls)
	}
}

func TestRetryNeverPastCutOff(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clk := fixedClock(start.Add(-time.Hour))
	st := memstore.New()
	busy := signedcall.CallerFunc(func(context.Context, signedcall.CallRequest) (signedcall.Outcome, error) {
		return signedcall.OutcomeBusy, nil
	})
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: busy, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	// Backoff 30m then 60m: the third attempt would fall at 11:30, after
	// the 11:00 cut-off, so each person is called twice.
	c, err := signedcall.NewCampaign("retries").WithClock(clk).
		Audience(signedcall.Flag(signedcall.HasPhone)).TimeZone("UTC").
		Start(start).CutOff(start.Add(time.Hour)).DNDHours("21:00", "09:00").
		Retry(5, 30*time.Minute, signedcall.RetryBusy).CallContext("retries").Build()
	if err != nil {
		t.Fatal(err)
	}
	publish(t, d, clk, c)
	src := population(50, 11)
	for i := range src {
		src[i].TimeZone = "UTC"
	}
	drive(t, d, clk, c.ID, src)
	err = st.Deliveries(ctx, c.ID, func(dl signedcall.Delivery) error {
		if dl.Status != signedcall.StatusBusy || dl.Attempt != 2 {
			t.Errorf("user %s: %s after %d attempts, want busy after 2", dl.UserID, dl.Status, dl.Attempt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetryPolicyValidation(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	base := func() *signedcall.Builder {
		return signedcall.NewCampaign("r").WithClock(fixedClock(start.Add(-time.Hour))).
			Audience(signedcall.Flag(signedcall.HasPhone)).TimeZone("UTC").
			Start(start).CutOff(start.Add(time.Hour)).DNDHours("21:00", "09:00").CallContext("r")
	}
	for _, tc := range []struct {
		name  string
		b     *signedcall.Builder
		field string
	}{
		{"too many attempts", base().Retry(11, time.Hour, signedcall.RetryBusy), "delivery.retry.max_attempts"},
		{"backoff under a minute", base().Retry(2, 30*time.Second, signedcall.RetryBusy), "delivery.retry.backoff"},
		{"nothing to retry", base().Retry(2, time.Hour), "delivery.retry.on"},
		{"unknown result", base().Retry(2, time.Hour, "answered"), "delivery.retry.on[0]"},
	} {
		_, err := tc.b.Build()
		found := false
		for _, ve := range signedcall.ValidationErrors(err) {
			found = found || ve.Field == tc.field
		}
		if !found {
			t.Errorf("%s: Build = %v, want a field error on %s", tc.name, err, tc.field)
		}
	}
	c, err := base().Retry(3, 15*time.Minute, signedcall.RetryBusy, signedcall.RetryMissed).Build()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back signedcall.Campaign
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if r := back.Delivery.Retry; r == nil || r.MaxAttempts != 3 || time.Duration(r.Backoff) != 15*time.Minute || len(r.On) != 2 {
		t.Errorf("retry policy after a JSON round trip = %+v", back.Delivery.Retry)
	}
}

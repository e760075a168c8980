package webhook_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/webhook"
	"github.com/signedcall/signedcall/store/memstore"
)

// callService is a tiny call service: it checks each request's Ed25519
// signature, places at most one call per idempotency key and answers by
// the user's number: every tenth refuses (503), every tenth after that
// fails after dialling (500), the rest get one of the five outcomes.
type callService struct {
	pub    ed25519.PublicKey
	phones map[string]string // user ID to phone

	mu       sync.Mutex
	keys     map[string]bool
	answered map[string]int // what the service told the Caller
	problems []string
}

var outcomes = []signedcall.Outcome{signedcall.OutcomeAnswered, signedcall.OutcomeDeclined,
	signedcall.OutcomeMissed, signedcall.OutcomeBusy, signedcall.OutcomeFailed}

func (s *callService) place(_ context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := signedcall.VerifyCallRequest(s.pub, req); err != nil {
		s.problems = append(s.problems, fmt.Sprintf("%s: %v", req.UserID, err))
		return "", err
	}
	if s.keys[req.IdempotencyKey] {
		s.problems = append(s.problems, "key sent twice: "+req.IdempotencyKey)
		return "", errors.New("webhook test: duplicate")
	}
	s.keys[req.IdempotencyKey] = true
	if req.Phone != s.phones[req.UserID] || req.Attempt != 1 || req.CallContext != "Your cart is waiting" {
		s.problems = append(s.problems, fmt.Sprintf("request for %s carries the wrong fields", req.UserID))
	}
	var n int
	fmt.Sscanf(req.UserID, "user-%d", &n)
	switch n % 10 {
	case 0:
		s.answered["503"]++
		return "", fmt.Errorf("webhook test: no free line: %w", signedcall.ErrNotDialled)
	case 1:
		s.answered["500"]++
		return "", errors.New("webhook test: switch crashed mid-call")
	}
	o := outcomes[(n/10)%len(outcomes)]
	s.answered[string(o)]++
	return o, nil
}

func TestDispatcherThroughWebhook(t *testing.T) {
	ctx := context.Background()
	// Saturday 5 December 2026, 17:00 in Kolkata; everyone is there, so
	// no one is in DND before the cut-off at 20:00.
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := clock.NewMock()
	clk.Set(start.Add(-time.Hour))

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	src := make(signedcall.SliceSource, 300)
	svc := &callService{pub: pub, phones: map[string]string{}, keys: map[string]bool{}, answered: map[string]int{}}
	for i := range src {
		plan := "free"
		if i%7 == 3 {
			plan = "pro" // outside the audience
		}
		src[i] = signedcall.Profile{
			ID: fmt.Sprintf("user-%03d", i), Phone: fmt.Sprintf("+1212555%04d", i),
			TimeZone: "Asia/Kolkata", Reach: signedcall.Reachability{HasPhone: true},
			Properties: map[string]any{"plan": plan},
		}
		svc.phones[src[i].ID] = src[i].Phone
	}
	h, err := webhook.NewHandler(secret, time.Minute, clk, svc.place)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	caller, err := webhook.New(webhook.Config{URL: srv.URL, Secret: secret, Clock: clk, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	d, err := signedcall.NewDispatcher(signedcall.Config{
		Store: st, Caller: caller, Clock: clk, SigningKey: priv, Concurrency: 8, MaxCallsPerMinute: 40,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := signedcall.NewCampaign("webhook end to end").WithClock(clk).
		Audience(signedcall.All(signedcall.Flag(signedcall.HasPhone), signedcall.Prop("plan", signedcall.Ne, "pro"))).
		ControlPercent(10).TimeZone("Asia/Kolkata").Start(start).CutOff(start.Add(3*time.Hour)).
		DNDDays(time.Sunday).DNDHours("21:00", "09:00").Policy(signedcall.PolicyDiscard).
		CallContext("Your cart is waiting").Build()
	if err != nil {
		t.Fatal(err)
	}
	err = d.Publish(ctx, c, signedcall.Acknowledgement{By: "ops@example.com", At: clk.Now(), Statement: signedcall.DefaultStatement})
	if err != nil {
		t.Fatal(err)
	}
	drive(t, d, clk, c.ID, src)

	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	for _, p := range svc.problems {
		t.Error(p)
	}
	control, qualified := 0, 0
	for _, p := range src {
		if p.Properties["plan"] != "pro" {
			qualified++
			if signedcall.InControl(c.ID, p.ID, 10) {
				control++
			}
		}
	}
	a := svc.answered
	want := map[signedcall.Status]int{
		signedcall.StatusAnswered: a["answered"], signedcall.StatusDeclined: a["declined"],
		signedcall.StatusMissed: a["missed"], signedcall.StatusBusy: a["busy"],
		signedcall.StatusFailed:  a["failed"] + a["503"],
		signedcall.StatusUnknown: a["500"], signedcall.StatusControl: control,
	}
	for s, n := range want {
		if n == 0 {
			delete(want, s)
		}
	}
	if rep.State != signedcall.StateCompleted || fmt.Sprint(rep.Counts) != fmt.Sprint(want) {
		t.Errorf("report %s %v\nwant completed %v (the service answered %v)", rep.State, rep.Counts, want, a)
	}
	if len(svc.keys) != qualified-control || a["503"] == 0 || a["500"] == 0 || a["busy"] == 0 {
		t.Errorf("the service placed %d calls (answers %v), want %d with every kind of answer",
			len(svc.keys), a, qualified-control)
	}
}

// drive runs Tick until the campaign is done, moving the mock clock to
// each Next.
func drive(t *testing.T, d *signedcall.Dispatcher, clk *clock.Mock, id uuid.UUID, src signedcall.ProfileSource) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("campaign did not finish in 10,000 ticks")
		}
		step, err := d.Tick(context.Background(), id, src)
		if err != nil {
			t.Fatal(err)
		}
		if step.Done {
			return
		}
		next := step.Next
		if !next.After(clk.Now()) {
			next = clk.Now().Add(time.Second)
		}
		clk.Set(next)
	}
}

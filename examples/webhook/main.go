// Command webhook runs a small campaign through the webhook Caller and a
// call service started in the same process, then prints what the
// service received and the campaign's report:
//
//	go run ./examples/webhook
//
// The service listens on 127.0.0.1 on a free port and checks each
// request as a real one would: the HMAC signature and timestamp with
// webhook.Verify, then the dispatcher's Ed25519 signature with
// signedcall.VerifyCallRequest. It places no calls; outcomes come from
// the seeded simulated caller, so they are the same on every run (the
// keys, and so the signatures, are new each time). The clock is a mock:
// the hour of calling passes at once.
package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/simulated"
	"github.com/signedcall/signedcall/caller/webhook"
	"github.com/signedcall/signedcall/store/memstore"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		return err
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, chicago)) // a Tuesday

	// The secret shared by the dispatcher's side and the call service,
	// and the brand's signing key, whose public half the called app
	// would hold.
	secret := make([]byte, webhook.MinSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}

	sim, err := simulated.New(1, simulated.DefaultOdds)
	if err != nil {
		return err
	}
	svc := &service{secret: secret, pub: pub, clk: clk, sim: sim}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: svc, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Shutdown(ctx)
	url := "http://" + ln.Addr().String() + "/calls"
	fmt.Fprintf(out, "Call service listening at %s\n\n", url)

	caller, err := webhook.New(webhook.Config{URL: url, Secret: secret, Clock: clk})
	if err != nil {
		return err
	}
	st := memstore.New()
	d, err := signedcall.NewDispatcher(signedcall.Config{
		Store: st, Caller: caller, Clock: clk, SigningKey: priv, MaxCallsPerMinute: 4,
	})
	if err != nil {
		return err
	}
	c, err := signedcall.NewCampaign("Prescription ready").WithClock(clk).
		ID(uuid.MustParse("0193a0e0-3c00-7000-8000-0000000000c1")).
		Audience(signedcall.Flag(signedcall.HasPhone)).ControlPercent(10).
		TimeZone("America/Chicago").
		StartLocal(2026, time.December, 1, 10, 0).CutOffLocal(2026, time.December, 1, 12, 0).
		DNDDays(time.Sunday).DNDHours("21:00", "09:00").
		CallContext("Your prescription is ready for pickup").Build()
	if err != nil {
		return err
	}
	err = d.Publish(ctx, c, signedcall.Acknowledgement{
		By: "pharmacy-ops@example.com", At: clk.Now(), Statement: signedcall.DefaultStatement,
	})
	if err != nil {
		return err
	}

	// Drive the campaign: do what is due, then move the mock clock to
	// the next moment anything is.
	src := profiles()
	for {
		step, err := d.Tick(ctx, c.ID, src)
		if err != nil {
			return err
		}
		if step.Done {
			break
		}
		if !step.Next.After(clk.Now()) {
			return errors.New("dispatcher asked to run again without time passing")
		}
		clk.Set(step.Next)
	}

	svc.print(out, chicago)
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nReport:\n%s", rep)
	return nil
}

// profiles are 36 invented patients with numbers from the 555-0100 to
// 555-0199 range, kept for fiction.
func profiles() signedcall.SliceSource {
	names := strings.Fields("Ada Ben Cleo Dev Esme Finn Gia Hal Ines Jon Kai Lena " +
		"Milo Nia Omar Pia Quin Rosa Sami Tess Uma Vic Wren Xavi Yara Zed " +
		"Abe Bea Cal Dina Eli Fay Gus Hana Ivo Juno")
	src := make(signedcall.SliceSource, len(names))
	for i, n := range names {
		src[i] = signedcall.Profile{
			ID: fmt.Sprintf("patient-%02d", i+1), Phone: fmt.Sprintf("+1312555%04d", 100+i),
			TimeZone: "America/Chicago", Reach: signedcall.Reachability{HasPhone: true},
			Properties: map[string]any{"first_name": n},
		}
	}
	return src
}

// service is the host's call service as a webhook Caller sees it.
type service struct {
	secret []byte
	pub    ed25519.PublicKey
	clk    clock.Clock
	sim    *simulated.Caller // stands in for the phone network

	mu  sync.Mutex
	got []received
}

type received struct {
	at      time.Time
	req     signedcall.CallRequest
	outcome signedcall.Outcome
	wire    string // the request as it arrived, phone masked
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := webhook.Verify(r, s.secret, s.clk.Now(), time.Minute)
	if err != nil {
		http.Error(w, "request does not verify", http.StatusUnauthorized)
		return
	}
	req, err := webhook.DecodeRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := signedcall.VerifyCallRequest(s.pub, req); err != nil {
		http.Error(w, "not signed by the brand", http.StatusForbidden)
		return
	}
	// The simulated caller answers a repeated idempotency key with its
	// first outcome, as a real service must.
	o, err := s.sim.Call(r.Context(), req)
	if err != nil {
		http.Error(w, "call not placed", http.StatusServiceUnavailable)
		return
	}
	ts := r.Header.Get(webhook.HeaderTimestamp)
	sec, _ := strconv.ParseInt(ts, 10, 64)
	var shown bytes.Buffer
	_ = json.Indent(&shown, body, "  ", "  ")
	wire := fmt.Sprintf("  POST %s\n  %s: %s\n  %s: %s\n  %s: %.20s...\n\n  %s\n",
		r.URL.Path, webhook.HeaderIdempotencyKey, r.Header.Get(webhook.HeaderIdempotencyKey),
		webhook.HeaderTimestamp, ts, webhook.HeaderSignature, r.Header.Get(webhook.HeaderSignature),
		strings.Replace(shown.String(), req.Phone, signedcall.MaskPhone(req.Phone), 1))
	s.mu.Lock()
	s.got = append(s.got, received{time.Unix(sec, 0), req, o, wire})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"outcome":%q}`, o)
}

func (s *service) print(out io.Writer, loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.SortFunc(s.got, func(a, b received) int {
		return cmp.Or(a.at.Compare(b.at), strings.Compare(a.req.UserID, b.req.UserID))
	})
	if len(s.got) > 0 {
		fmt.Fprintf(out, "The first request (body indented, phone masked):\n%s\n", s.got[0].wire)
	}
	fmt.Fprintf(out, "The service checked the HMAC, the timestamp and the brand's Ed25519\n"+
		"signature of %d requests and answered each:\n", len(s.got))
	for _, g := range s.got {
		fmt.Fprintf(out, "  %s  %s  %s  attempt %d  %s\n", g.at.In(loc).Format("15:04"),
			g.req.UserID, signedcall.MaskPhone(g.req.Phone), g.req.Attempt, g.outcome)
	}
}

package sip_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/sip"
)

// These tests run sipp (https://sipp.sourceforge.net) as the far end on
// 127.0.0.1, one process per test on a free port, with the scenarios in
// testdata. sipp exits 0 only when its scenario ran to the end, so a
// clean exit proves the ACK, BYE or CANCEL it waits for arrived.

const phone = "+12125550123"

// far is one sipp process.
type far struct {
	port     int
	dir      string
	done     chan struct{}
	err      error
	out      bytes.Buffer
	messages string // sipp's -message_file
}

// sippPath returns sipp's path or skips the test.
func sippPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed; install it with: apt-get install sip-tester")
	}
	return p
}

// freePort returns a port nothing listens on for network ("udp" or
// "tcp") on 127.0.0.1, as the system hands them out.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "tcp" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startSipp runs scenario for calls calls over network ("udp" or "tcp")
// and waits until it listens. It is killed when the test ends. A free
// port may be taken by another test before sipp binds it, so sipp is
// tried on up to three ports.
func startSipp(t *testing.T, scenario string, calls int, network string) *far {
	t.Helper()
	bin := sippPath(t)
	scenario, err := filepath.Abs(scenario)
	if err != nil {
		t.Fatal(err)
	}
	for try := 1; ; try++ {
		f, err := runSipp(t, bin, scenario, calls, network)
		if err == nil {
			return f
		}
		if try == 3 {
			t.Fatal(err)
		}
		t.Logf("retrying on another port: %v", err)
	}
}

func runSipp(t *testing.T, bin, scenario string, calls int, network string) (*far, error) {
	f := &far{port: freePort(t, network), dir: t.TempDir(), done: make(chan struct{})}
	f.messages = filepath.Join(f.dir, "messages.log")
	mode := "u1"
	if network == "tcp" {
		mode = "t1"
	}
	cmd := exec.Command(bin,
		"-sf", scenario, "-t", mode, "-i", "127.0.0.1", "-p", strconv.Itoa(f.port),
		"-m", strconv.Itoa(calls), "-nostdin",
		"-timeout", "20", "-timeout_error",
		"-trace_msg", "-message_file", f.messages,
		"-trace_err", "-error_file", filepath.Join(f.dir, "errors.log"),
		"-trace_logs", "-log_file", filepath.Join(f.dir, "logs.log"),
	)
	cmd.Dir = f.dir
	cmd.Stdout, cmd.Stderr = &f.out, &f.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sipp: %v", err)
	}
	go func() {
		f.err = cmd.Wait()
		close(f.done)
	}()
	t.Cleanup(func() {
		select {
		case <-f.done:
		default:
			_ = cmd.Process.Kill()
			<-f.done
		}
	})
	// sipp listens once the port can no longer be bound here.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var err error
		if network == "tcp" {
			var l net.Listener
			if l, err = net.Listen("tcp", f.addr()); err == nil {
				l.Close()
			}
		} else {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", f.addr()); err == nil {
				c.Close()
			}
		}
		if err != nil {
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("sipp exited before listening on %s: %v\n%s", f.addr(), f.err, f.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sipp is not listening on %s after 5s", f.addr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *far) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port)) }

// tail returns the end of sipp's screen and its error log, for failures.
func (f *far) tail() string {
	out := f.out.String()
	if len(out) > 3000 {
		out = out[len(out)-3000:]
	}
	errs, _ := os.ReadFile(filepath.Join(f.dir, "errors.log"))
	return out + "\n" + string(errs)
}

// completed waits for sipp to exit and fails the test unless every call
// ran its scenario to the end (exit status 0).
func (f *far) completed(t *testing.T) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("sipp still running 15s after the call\n%s", f.tail())
	}
	if f.err != nil {
		t.Fatalf("sipp did not complete its scenario: %v\n%s", f.err, f.tail())
	}
}

// requests returns the SIP requests sipp received, in order, each as its
// start line and headers (name to values).
func (f *far) requests(t *testing.T) []message {
	t.Helper()
	b, err := os.ReadFile(f.messages)
	if err != nil {
		t.Fatal(err)
	}
	var out []message
	var cur *message
	inReceived := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "----------------"):
			cur, inReceived = nil, false
		case strings.Contains(line, "message received"):
			inReceived = true
		case !inReceived:
		case cur == nil && line != "" && !strings.HasPrefix(line, "SIP/2.0"):
			out = append(out, message{start: line, headers: map[string][]string{}})
			cur = &out[len(out)-1]
		case cur != nil && line == "":
			inReceived = false // the body follows
		case cur != nil:
			if name, value, ok := strings.Cut(line, ":"); ok {
				cur.headers[strings.ToLower(name)] = append(cur.headers[strings.ToLower(name)], strings.TrimSpace(value))
			}
		}
	}
	return out
}

type message struct {
	start   string
	headers map[string][]string
}

func (m message) method() string { return strings.Fields(m.start)[0] }

func (m message) header(name string) string {
	vs := m.headers[strings.ToLower(name)]
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func methods(ms []message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.method())
	}
	return strings.Join(s, " ")
}

// newCaller returns a Caller for f, closed when the test ends.
func newCaller(t *testing.T, proxy string, cfg sip.Config) *sip.Caller {
	t.Helper()
	cfg.Proxy = proxy
	if cfg.From == "" {
		cfg.From = "sip:+15550100@brand.example"
	}
	if cfg.LocalIP == "" {
		cfg.LocalIP = "127.0.0.1"
	}
	c, err := sip.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func request(i int) signedcall.CallRequest {
	return signedcall.CallRequest{
		IdempotencyKey: fmt.Sprintf("0193a0e0-3c00-7000-8000-00000000a11c:user %d:1", i),
		CampaignID:     uuid.MustParse("0193a0e0-3c00-7000-8000-00000000a11c"),
		UserID:         fmt.Sprintf("user %d", i),
		Phone:          phone,
		CallContext:    "About your order",
		Attempt:        1,
	}
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAnsweredCallIsAcknowledgedAndHungUp(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/answer.xml", 1, "udp")
	var logs logBuffer
	c := newCaller(t, f.addr(), sip.Config{
		DisplayName: "Brand",
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})

	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 42
	key := ed25519.NewKeyFromSeed(seed)
	req := request(1)
	req.CallContext = "Your order #1234 is ready.\r\nX-Injected: yes\r\n\r\nÀ bientôt ✓"
	req.Signature = signedcall.SignCallRequest(key, req)

	o, err := c.Call(context.Background(), req)
	if err != nil || o != signedcall.OutcomeAnswered {
		t.Fatalf("Call = %q, %v; want answered, nil", o, err)
	}
	f.completed(t)

	got := f.requests(t)
	if m := methods(got); m != "INVITE ACK BYE" {
		t.Fatalf("sipp received %q, want INVITE ACK BYE", m)
	}
	inv := got[0]
	if want := "INVITE sip:12125550123@" + f.addr() + " SIP/2.0"; inv.start != want {
		t.Errorf("start line = %q, want %q", inv.start, want)
	}
	if h := inv.header("From"); !strings.HasPrefix(h, `"Brand" <sip:+15550100@brand.example>;tag=`) {
		t.Errorf("From = %q", h)
	}
	if h := inv.header("X-Injected"); h != "" {
		t.Errorf("the call context injected a header: X-Injected: %s", h)
	}
	for name, want := range map[string]string{
		sip.HeaderIdempotencyKey: "0193a0e0-3c00-7000-8000-00000000a11c:user%201:1",
		sip.HeaderCampaign:       "0193a0e0-3c00-7000-8000-00000000a11c",
		sip.HeaderUserID:         "user%201",
		sip.HeaderAttempt:        "1",
		sip.HeaderContext:        sip.EncodeHeader(req.CallContext),
		sip.HeaderSignature:      base64.StdEncoding.EncodeToString(req.Signature),
		"User-Agent":             sip.DefaultUserAgent,
		"Content-Type":           "application/sdp",
	} {
		if got := inv.header(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	// The far end can verify the call from what it received.
	received := signedcall.CallRequest{Phone: "+" + strings.TrimPrefix(strings.SplitN(inv.start, "@", 2)[0], "INVITE sip:")}
	var decodeErr error
	decode := func(name string) string {
		s, err := sip.DecodeHeader(inv.header(name))
		decodeErr = errors.Join(decodeErr, err)
		return s
	}
	received.IdempotencyKey = decode(sip.HeaderIdempotencyKey)
	received.UserID = decode(sip.HeaderUserID)
	received.CallContext = decode(sip.HeaderContext)
	received.CampaignID, err = uuid.Parse(inv.header(sip.HeaderCampaign))
	decodeErr = errors.Join(decodeErr, err)
	received.Attempt, err = strconv.Atoi(inv.header(sip.HeaderAttempt))
	decodeErr = errors.Join(decodeErr, err)
	received.Signature, err = base64.StdEncoding.DecodeString(inv.header(sip.HeaderSignature))
	decodeErr = errors.Join(decodeErr, err)
	if decodeErr != nil {
		t.Fatal(decodeErr)
	}
	if received.CallContext != req.CallContext {
		t.Errorf("decoded context = %q, want %q", received.CallContext, req.CallContext)
	}
	if err := signedcall.VerifyCallRequest(key.Public().(ed25519.PublicKey), received); err != nil {
		t.Errorf("far end cannot verify the call: %v", err)
	}

	// The BYE is in the dialog the 200 set up.
	bye := got[2]
	if bye.header("Call-ID") != inv.header("Call-ID") || !strings.Contains(bye.header("To"), "tag=") {
		t.Errorf("BYE Call-ID %q To %q, want the INVITE's Call-ID %q and the far end's tag",
			bye.header("Call-ID"), bye.header("To"), inv.header("Call-ID"))
	}

	if l := logs.String(); strings.Contains(l, "2125550123") {
		t.Errorf("logs hold the full phone number:\n%s", l)
	} else if !strings.Contains(l, "+12*******23") {
		t.Errorf("logs do not name the masked number:\n%s", l)
	}
}

func TestRefusedCallsMapToOutcomes(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile("testdata/reject.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status string
		want   signedcall.Outcome
	}{
		{"486 Busy Here", signedcall.OutcomeBusy},
		{"600 Busy Everywhere", signedcall.OutcomeBusy},
		{"603 Decline", signedcall.OutcomeDeclined},
		{"480 Temporarily Unavailable", signedcall.OutcomeMissed},
		{"408 Request Timeout", signedcall.OutcomeMissed},
		{"500 Server Internal Error", signedcall.OutcomeFailed},
		{"404 Not Found", signedcall.OutcomeFailed},
		{"302 Moved Temporarily", signedcall.OutcomeFailed},
	} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			scenario := filepath.Join(t.TempDir(), "reject.xml")
			xml := bytes.ReplaceAll(tmpl, []byte("SIP/2.0 486 Busy Here"), []byte("SIP/2.0 "+tc.status))
			if err := os.WriteFile(scenario, xml, 0o644); err != nil {
				t.Fatal(err)
			}
			f := startSipp(t, scenario, 1, "udp")
			c := newCaller(t, f.addr(), sip.Config{})
			o, err := c.Call(context.Background(), request(1))
			if err != nil || o != tc.want {
				t.Fatalf("Call = %q, %v; want %s, nil", o, err, tc.want)
			}
			f.completed(t)
			if m := methods(f.requests(t)); m != "INVITE ACK" {
				t.Errorf("sipp received %q, want INVITE ACK", m)
			}
		})
	}
}

func TestUnansweredCallIsCancelledAfterRingTimeout(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/noanswer.xml", 1, "udp")
	const ring = 2 * time.Second
	c := newCaller(t, f.addr(), sip.Config{RingTimeout: ring})
	start := time.Now()
	o, err := c.Call(context.Background(), request(1))
	took := time.Since(start)
	if err != nil || o != signedcall.OutcomeMissed {
		t.Fatalf("Call = %q, %v; want missed, nil", o, err)
	}
	if took < ring || took > ring+3*time.Second {
		t.Errorf("Call took %s, want a little over the ring timeout of %s", took, ring)
	}
	f.completed(t)
	got := f.requests(t)
	if m := methods(got); m != "INVITE CANCEL ACK" {
		t.Fatalf("sipp received %q, want INVITE CANCEL ACK", m)
	}
	if got[1].header("Via") != got[0].header("Via") || got[1].header("CSeq") != strings.Replace(got[0].header("CSeq"), "INVITE", "CANCEL", 1) {
		t.Errorf("CANCEL Via %q CSeq %q do not match the INVITE's %q %q",
			got[1].header("Via"), got[1].header("CSeq"), got[0].header("Via"), got[0].header("CSeq"))
	}
}

func TestContextEndCancelsTheCall(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/noanswer.xml", 1, "udp")
	c := newCaller(t, f.addr(), sip.Config{RingTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	o, err := c.Call(ctx, request(1))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Call returned %s after its context ended", took-time.Second)
	}
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Call = %q, %v; want an error (outcome unknown) wrapping the context's", o, err)
	}
	if strings.Contains(err.Error(), "2125550123") {
		t.Errorf("error names the full number: %v", err)
	}
	// The CANCEL goes out in the background.
	f.completed(t)
	if m := methods(f.requests(t)); m != "INVITE CANCEL ACK" {
		t.Errorf("sipp received %q, want INVITE CANCEL ACK", m)
	}
}

func TestAnsweredCallOverTCP(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/answer.xml", 1, "tcp")
	c := newCaller(t, f.addr(), sip.Config{Transport: "tcp"})
	o, err := c.Call(context.Background(), request(1))
	if err != nil || o != signedcall.OutcomeAnswered {
		t.Fatalf("Call = %q, %v; want answered, nil", o, err)
	}
	f.completed(t)
	got := f.requests(t)
	if m := methods(got); m != "INVITE ACK BYE" {
		t.Fatalf("sipp received %q, want INVITE ACK BYE", m)
	}
	if want := "INVITE sip:12125550123@" + f.addr() + ";transport=tcp SIP/2.0"; got[0].start != want {
		t.Errorf("start line = %q, want %q", got[0].start, want)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	const n = 4
	f := startSipp(t, "testdata/answer.xml", n, "udp")
	c := newCaller(t, f.addr(), sip.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if o, err := c.Call(context.Background(), request(i)); err != nil || o != signedcall.OutcomeAnswered {
				errs <- fmt.Errorf("call %d = %q, %v; want answered, nil", i, o, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f.completed(t)
	keys := map[string]bool{}
	for _, m := range f.requests(t) {
		if m.method() == "INVITE" {
			keys[m.header(sip.HeaderIdempotencyKey)] = true
		}
	}
	if len(keys) != n {
		t.Errorf("sipp saw %d distinct idempotency keys, want %d", len(keys), n)
	}
}

func TestSameIdempotencyKeyDialsOnce(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/answer.xml", 1, "udp")
	c := newCaller(t, f.addr(), sip.Config{})
	req := request(1)
	if o, err := c.Call(context.Background(), req); err != nil || o != signedcall.OutcomeAnswered {
		t.Fatalf("first Call = %q, %v; want answered, nil", o, err)
	}
	f.completed(t)
	// sipp has exited: a second INVITE would go unanswered.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if o, err := c.Call(ctx, req); err != nil || o != signedcall.OutcomeAnswered {
		t.Fatalf("second Call = %q, %v; want the first call's answered, nil", o, err)
	}
	if m := methods(f.requests(t)); m != "INVITE ACK BYE" {
		t.Errorf("sipp received %q, want one INVITE ACK BYE", m)
	}
}

// Over UDP, an INVITE to a port nobody listens on gets no response: the
// ICMP "port unreachable" does not reach sipgo's unconnected socket. The
// INVITE was sent, so the error is the unknown kind; without the context
// deadline it would come when the transaction times out, after 32s.
func TestNobodyListeningOverUDPIsUnknown(t *testing.T) {
	t.Parallel()
	c := newCaller(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "udp"))), sip.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	o, err := c.Call(ctx, request(1))
	if err == nil || errors.Is(err, signedcall.ErrNotDialled) {
		t.Fatalf("Call = %q, %v; want an error not wrapping ErrNotDialled", o, err)
	}
}

func TestNobodyListeningOverTCPIsNotDialled(t *testing.T) {
	t.Parallel()
	c := newCaller(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "tcp"))), sip.Config{Transport: "tcp"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := c.Call(ctx, request(1))
	if !errors.Is(err, signedcall.ErrNotDialled) {
		t.Fatalf("Call = %q, %v; want an error wrapping ErrNotDialled", o, err)
	}
	if strings.Contains(err.Error(), "2125550123") {
		t.Errorf("error names the full number: %v", err)
	}
}

func TestCloseCancelsCallsInProgress(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/noanswer.xml", 1, "udp")
	var logs logBuffer
	c, err := sip.New(context.Background(), sip.Config{
		Proxy: f.addr(), From: "sip:brand@brand.example", LocalIP: "127.0.0.1", RingTimeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		o   signedcall.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := c.Call(context.Background(), request(1))
		done <- result{o, err}
	}()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "provisional response"); {
		if time.Now().After(deadline) {
			t.Fatalf("no provisional response after 5s; logs:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := <-done
	if r.err == nil || errors.Is(r.err, signedcall.ErrNotDialled) {
		t.Fatalf("Call = %q, %v; want an error (outcome unknown)", r.o, r.err)
	}
	f.completed(t)
	if m := methods(f.requests(t)); m != "INVITE CANCEL ACK" {
		t.Errorf("sipp received %q, want INVITE CANCEL ACK", m)
	}
	if _, err := c.Call(context.Background(), request(2)); !errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call after Close = %v, want an error wrapping ErrNotDialled", err)
	}
}

func TestContextEndAfterAnswerStillReportsAnswered(t *testing.T) {
	t.Parallel()
	f := startSipp(t, "testdata/answer_ignore_bye.xml", 1, "udp")
	c := newCaller(t, f.addr(), sip.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	o, err := c.Call(ctx, request(1))
	if err != nil || o != signedcall.OutcomeAnswered {
		t.Fatalf("Call = %q, %v; want answered, nil", o, err)
	}
	if took := time.Since(start); took < 900*time.Millisecond || took > 2*time.Second {
		t.Errorf("Call took %s, want it to wait for the BYE's 200 until its context ended (1s)", took)
	}
	f.completed(t)
	if m := methods(f.requests(t)); m != "INVITE ACK BYE" {
		t.Errorf("sipp received %q, want INVITE ACK BYE", m)
	}
	start = time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s with a BYE unanswered, want about a second", took)
	}
}

package proctest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/pgstore"
	"github.com/signedcall/signedcall/store/sqlitestore"
)

// The child side. The test binary re-runs itself with SC_CHILD=1 and the
// settings below in its environment; TestMain then runs one dispatcher
// to the end of the campaign and exits.
func TestMain(m *testing.M) {
	if os.Getenv("SC_CHILD") == "1" {
		if err := child(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func env(name string) string { return os.Getenv(name) }

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

func child() error {
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, env("SC_STORE"))
	if err != nil {
		return err
	}
	defer closeStore()
	id, err := uuid.Parse(env("SC_CAMPAIGN"))
	if err != nil {
		return err
	}
	log, err := os.OpenFile(env("SC_DIALLOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	caller := &dialLog{f: log, ring: time.Duration(envInt("SC_CALL_MS")) * time.Millisecond}
	d, err := signedcall.NewDispatcher(signedcall.Config{
		Store: st, Caller: caller, Owner: env("SC_OWNER"),
		Concurrency: envInt("SC_CONCURRENCY"), ClaimBatch: 64,
		Lease: 2 * time.Second, CallTimeout: time.Second, PollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	var src signedcall.ProfileSource = population(envInt("SC_USERS"))
	if env("SC_SLOW_SOURCE") == "1" {
		src = slowSource{population(envInt("SC_USERS"))}
	}
	if _, err := d.Run(ctx, id, src); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

// dialLog is the far end: it writes "start KEY" before a call rings and
// "end KEY" after, each synced to disk, so the parent knows exactly which
// calls a killed process had placed.
type dialLog struct {
	mu   sync.Mutex
	f    *os.File
	ring time.Duration
}

func (l *dialLog) line(s string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(s + "\n"); err != nil {
		return err
	}
	return l.f.Sync()
}

func (l *dialLog) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	if err := l.line(fmt.Sprintf("start %s %d", req.IdempotencyKey, time.Now().UnixNano())); err != nil {
		return "", fmt.Errorf("%w: %w", signedcall.ErrNotDialled, err)
	}
	time.Sleep(l.ring)
	if err := l.line(fmt.Sprintf("end %s %d", req.IdempotencyKey, time.Now().UnixNano())); err != nil {
		return "", err
	}
	return signedcall.OutcomeAnswered, nil
}

// slowSource announces that it is half-way through the profiles and then
// waits, so the parent can kill the process during materialization.
type slowSource struct{ signedcall.SliceSource }

func (s slowSource) Each(ctx context.Context, fn func(*signedcall.Profile) error) error {
	for i := range s.SliceSource {
		if i == len(s.SliceSource)/2 {
			fmt.Println("materializing")
			time.Sleep(2 * time.Second)
		}
		if err := fn(&s.SliceSource[i]); err != nil {
			return err
		}
	}
	return nil
}

// population is n reachable users in UTC.
func population(n int) signedcall.SliceSource {
	ps := make(signedcall.SliceSource, n)
	for i := range ps {
		ps[i] = signedcall.Profile{
			ID:       fmt.Sprintf("u%06d", i),
			Phone:    fmt.Sprintf("+1%03d555%04d", 201+i/10000, i%10000),
			TimeZone: "UTC",
			Reach:    signedcall.Reachability{HasPhone: true},
		}
	}
	return ps
}

func openStore(ctx context.Context, spec string) (signedcall.Store, func(), error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "sqlite":
		s, err := sqlitestore.Open(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "postgres":
		s, err := pgstore.Open(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown store %q", spec)
}

// ---- the parent side ----

type world struct {
	t       *testing.T
	store   string // the SC_STORE spec
	id      uuid.UUID
	dialLog string
	users   int
	cap     int
	control float64
}

// newWorld publishes a campaign that starts now and has ten minutes to
// run, with DND on a weekday that is neither today nor tomorrow in UTC.
func newWorld(t *testing.T, store string, users, cap int, control float64) *world {
	t.Helper()
	return newWorldWith(t, store, users, cap, control, nil)
}

// newWorldWith is newWorld with more settings for the campaign.
func newWorldWith(t *testing.T, store string, users, cap int, control float64, more func(*signedcall.Builder)) *world {
	t.Helper()
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	now := time.Now()
	b := signedcall.NewCampaign("crash test").
		Audience(signedcall.Flag(signedcall.HasPhone)).
		ControlPercent(control).Cap(cap).
		TimeZone("UTC").StartNow().CutOff(now.Add(10 * time.Minute)).
		DNDDays(now.UTC().AddDate(0, 0, 3).Weekday()).
		CallContext("crash test")
	if more != nil {
		more(b)
	}
	c, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: signedcall.CallerFunc(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, c, signedcall.Acknowledgement{By: "test", At: now, Statement: signedcall.DefaultStatement}); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, store: store, id: c.ID, dialLog: filepath.Join(t.TempDir(), "dials.log"),
		users: users, cap: cap, control: control}
}

type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
}

// spawn starts a child dispatcher named owner.
func (w *world) spawn(owner string, extra ...string) *proc {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SC_CHILD=1", "SC_STORE="+w.store, "SC_CAMPAIGN="+w.id.String(),
		"SC_DIALLOG="+w.dialLog, "SC_OWNER="+owner, "SC_USERS="+strconv.Itoa(w.users),
		"SC_CALL_MS=300", "SC_CONCURRENCY=4")
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 16), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	return p
}

func (p *proc) waitLine(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("child exited before printing %q", want)
			}
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("child did not print %q within a minute", want)
		}
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range p.lines {
	}
	<-p.done
}

func (p *proc) wait(t *testing.T) {
	t.Helper()
	for range p.lines {
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("child dispatcher failed: %v", err)
		}
	case <-time.After(3 * time.Minute):
		p.cmd.Process.Kill()
		t.Fatal("child dispatcher did not finish within 3 minutes")
	}
}

// starts reads the dial log: keys started, and keys that also ended.
func (w *world) starts() (started []string, ended map[string]bool) {
	calls, _ := w.calls()
	ended = map[string]bool{}
	for _, c := range calls {
		started = append(started, c.key)
		if !c.end.IsZero() {
			ended[c.key] = true
		}
	}
	return started, ended
}

// call is one call in the dial log, with the far end's clock.
type call struct {
	key        string
	start, end time.Time
}

// calls reads the dial log in order of start.
func (w *world) calls() ([]call, error) {
	b, err := os.ReadFile(w.dialLog)
	if err != nil && !os.IsNotExist(err) {
		w.t.Fatal(err)
	}
	var out []call
	at := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		ns, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("dial log line %q: %w", l, err)
		}
		switch f[0] {
		case "start":
			at[f[1]] = len(out)
			out = append(out, call{key: f[1], start: time.Unix(0, ns)})
		case "end":
			if i, ok := at[f[1]]; ok {
				out[i].end = time.Unix(0, ns)
			}
		}
	}
	return out, nil
}

// waitStarts blocks until at least n calls have started.
func (w *world) waitStarts(n int) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if s, _ := w.starts(); len(s) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.t.Fatalf("fewer than %d calls started within a minute", n)
}

// check verifies the end state against the dial log: every delivery is
// final, no key or user was dialled twice, every call that started but did
// not end is unknown, and targets are exactly the cap (or all).
func (w *world) check() map[signedcall.Status]int {
	w.t.Helper()
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, w.store)
	if err != nil {
		w.t.Fatal(err)
	}
	defer closeStore()
	started, ended := w.starts()
	users := map[string]int{}
	for _, k := range started {
		parts := strings.Split(k, ":")
		users[parts[1]]++
	}
	for u, n := range users {
		if n > 1 {
			w.t.Errorf("user %s dialled %d times", u, n)
		}
	}
	counts := map[signedcall.Status]int{}
	control := 0
	err = st.Deliveries(ctx, w.id, func(d signedcall.Delivery) error {
		counts[d.Status]++
		if !d.Status.Final() {
			w.t.Errorf("delivery %s ended %s, want a final state", d.UserID, d.Status)
		}
		dialled := users[d.UserID] > 0
		key := d.CampaignID.String() + ":" + d.UserID + ":" + strconv.Itoa(d.Attempt)
		switch {
		case d.Status == signedcall.StatusAnswered && (!dialled || !ended[key]):
			w.t.Errorf("delivery %s answered but its call %s did not run to the end", d.UserID, key)
		case d.Status == signedcall.StatusControl:
			control++
			if !signedcall.InControl(w.id, d.UserID, w.control) || dialled {
				w.t.Errorf("delivery %s in control: bucket says %v, dialled %v", d.UserID, signedcall.InControl(w.id, d.UserID, w.control), dialled)
			}
		case dialled && !ended[key] && d.Status != signedcall.StatusUnknown:
			w.t.Errorf("delivery %s: its call started and never ended, yet it is %s, want unknown", d.UserID, d.Status)
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	wantControl := 0
	for _, p := range population(w.users) {
		if signedcall.InControl(w.id, p.ID, w.control) {
			wantControl++
		}
	}
	if control != wantControl {
		w.t.Errorf("control = %d, want %d by the bucket rule", control, wantControl)
	}
	targets := w.users - wantControl
	if w.cap > 0 && targets > w.cap {
		targets = w.cap
	}
	if got := counts[signedcall.StatusAnswered] + counts[signedcall.StatusUnknown]; got != targets {
		w.t.Errorf("answered %d + unknown %d = %d, want the %d targets", counts[signedcall.StatusAnswered], counts[signedcall.StatusUnknown], got, targets)
	}
	if len(started) > targets {
		w.t.Errorf("%d calls started for %d targets", len(started), targets)
	}
	rep, err := signedcall.ReportOf(ctx, st, w.id)
	if err != nil {
		w.t.Fatal(err)
	}
	if rep.State != signedcall.StateCompleted {
		w.t.Errorf("campaign is %s, want completed", rep.State)
	}
	return counts
}

// stores lists the durable stores to run against: SQLite always,
// PostgreSQL when SIGNEDCALL_TEST_POSTGRES is set, each test in a schema of
// its own.
func stores(t *testing.T) map[string]func(t *testing.T) string {
	out := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "sc.db") },
	}
	dsn := os.Getenv("SIGNEDCALL_TEST_POSTGRES")
	if dsn == "" {
		t.Log("PostgreSQL cases skipped: set SIGNEDCALL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
		return out
	}
	out["postgres"] = func(t *testing.T) string { return "postgres:" + schemaDSN(t, dsn) }
	return out
}

// schemaDSN creates a schema for this test, dropped at cleanup, and
// returns dsn with its search_path set to it.
func schemaDSN(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sc_proc_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// TestCrashAndResume kills a dispatcher with SIGKILL during
// materialization, mid-campaign with calls in flight, and again after
// restarting, then lets a fresh process finish.
func TestCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, newStore(t), 300, 0, 10)

			p := w.spawn("first", "SC_SLOW_SOURCE=1")
			p.waitLine(t, "materializing")
			p.kill(t)
			if s, _ := w.starts(); len(s) != 0 {
				t.Fatalf("%d calls before materialization finished", len(s))
			}

			p = w.spawn("second")
			w.waitStarts(40)
			p.kill(t) // calls take 300 ms, so several are ringing now

			p = w.spawn("third")
			w.waitStarts(120)
			p.kill(t)

			w.spawn("fourth").wait(t)
			counts := w.check()
			started, ended := w.starts()
			inFlight := 0
			for _, k := range started {
				if !ended[k] {
					inFlight++
				}
			}
			if inFlight == 0 || counts[signedcall.StatusUnknown] < inFlight {
				t.Errorf("%d calls were ringing when their process died, %d deliveries unknown; want some, all unknown", inFlight, counts[signedcall.StatusUnknown])
			}
			t.Logf("%s: %d calls, %d in flight at a kill, counts %v", name, len(started), inFlight, counts)
		})
	}
}

// TestManyProcesses runs four dispatcher processes on one PostgreSQL
// database over 10,000 qualified users with a cap of 5,000, then again
// with one of the four killed half-way.
func TestManyProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	dsn := os.Getenv("SIGNEDCALL_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set SIGNEDCALL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	for _, killOne := range []bool{false, true} {
		t.Run(fmt.Sprintf("kill one %v", killOne), func(t *testing.T) {
			// 10% control leaves about 9,000 targets for a cap of 5,000;
			// check compares the control group with the bucket rule, which
			// is what a single process computes.
			w := newWorld(t, "postgres:"+schemaDSN(t, dsn), 10000, 5000, 10)
			var ps []*proc
			for i := range 4 {
				ps = append(ps, w.spawn(fmt.Sprintf("p%d", i), "SC_CALL_MS=5", "SC_CONCURRENCY=8"))
			}
			if killOne {
				w.waitStarts(2500)
				ps[0].kill(t)
				ps = ps[1:]
			}
			for _, p := range ps {
				p.wait(t)
			}
			counts := w.check()
			started, _ := w.starts()
			if !killOne && len(started) != 5000 {
				t.Errorf("%d calls by four processes, want exactly 5,000", len(started))
			}
			t.Logf("%d calls, counts %v", len(started), counts)
		})
	}
}

// TestPacingAcrossProcesses runs three dispatcher processes, each allowed
// 8 calls at once, on one campaign paced at 40 calls a second with at
// most 5 in progress, and checks both limits on the far end's clock.
//
// The far end logs a call a little after the Store recorded its start,
// so a window of the log shorter than the pace's by that slack (200 ms
// allowed here) holds only starts the Store saw within one pace window.
// Calls in progress at the far end are a subset of those the Store
// counts, so that bound needs no slack.
func TestPacingAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	const (
		users    = 240
		pace     = 40
		inFlight = 5
		slack    = 200 * time.Millisecond
	)
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorldWith(t, newStore(t), users, 0, 0, func(b *signedcall.Builder) {
				b.Pace(pace, time.Second).MaxConcurrent(inFlight)
			})
			var ps []*proc
			for i := range 3 {
				ps = append(ps, w.spawn(fmt.Sprintf("p%d", i), "SC_CALL_MS=30", "SC_CONCURRENCY=8"))
			}
			for _, p := range ps {
				p.wait(t)
			}
			w.check()
			calls, err := w.calls()
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != users {
				t.Fatalf("%d calls, want %d", len(calls), users)
			}
			most, busiest := 0, 0
			for i, c := range calls {
				n := 0
				for _, d := range calls[i:] {
					if d.start.Sub(c.start) < time.Second-slack {
						n++
					}
				}
				most = max(most, n)
				open := 0
				for _, d := range calls {
					if !d.start.After(c.start) && d.end.After(c.start) {
						open++
					}
				}
				busiest = max(busiest, open)
			}
			if most > pace {
				t.Errorf("%d calls started within %s, want at most the pace of %d a second", most, time.Second-slack, pace)
			}
			if busiest > inFlight {
				t.Errorf("%d calls in progress at once, want at most %d", busiest, inFlight)
			}
			span := calls[len(calls)-1].start.Sub(calls[0].start)
			t.Logf("%s: %d calls over %s; at most %d within %s, at most %d at once", name, len(calls), span.Round(time.Millisecond), most, time.Second-slack, busiest)
		})
	}
}

// Command gen writes a synthetic profile data set as JSON Lines. The
// quickstart's data set is made with:
//
//	go run ./internal/synth/cmd/gen -seed 20261205 -n 4000 \
//		-now 2026-12-05T00:00:00Z \
//		-o examples/quickstart/testdata/profiles.jsonl
//
// See package synth for what the profiles contain.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/signedcall/signedcall/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "data set seed")
	n := fs.Int("n", 1000, "number of profiles")
	nowFlag := fs.String("now", "", "generation instant, RFC 3339 (required)")
	days := fs.Int("days", 60, "days of events before -now")
	out := fs.String("o", "-", "output file, - for standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *nowFlag == "" {
		return fmt.Errorf("-now is required, for example -now 2026-12-05T00:00:00Z")
	}
	now, err := time.Parse(time.RFC3339, *nowFlag)
	if err != nil {
		return fmt.Errorf("-now: %w", err)
	}
	ps, err := synth.Generate(synth.Options{
		Seed: *seed, Profiles: *n, Now: now, Days: *days,
	})
	if err != nil {
		return err
	}

	if *out == "-" {
		return synth.WriteJSONL(stdout, ps)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := synth.WriteJSONL(f, ps); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	events := 0
	for i := range ps {
		events += len(ps[i].Events)
	}
	fmt.Fprintf(stderr, "wrote %d profiles with %d events to %s\n",
		len(ps), events, *out)
	return nil
}

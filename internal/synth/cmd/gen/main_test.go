package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedcall/signedcall/internal/synth"
)

func TestRun(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	ps, err := synth.Generate(synth.Options{Seed: 42, Profiles: 50, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := synth.WriteJSONL(&want, ps); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	args := []string{"-seed", "42", "-n", "50", "-now", "2026-12-05T00:00:00Z"}
	if err := run(args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), want.Bytes()) {
		t.Error("standard output differs from Generate and WriteJSONL")
	}

	path := filepath.Join(t.TempDir(), "a", "b", "profiles.jsonl")
	stderr.Reset()
	if err := run(append(args, "-o", path), &stdout, &stderr); err != nil {
		t.Fatalf("run -o: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("file differs from Generate and WriteJSONL")
	}
	if !strings.Contains(stderr.String(), "wrote 50 profiles") {
		t.Errorf("summary %q", stderr.String())
	}
}

func TestRunRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "3"},
		{"-n", "3", "-now", "yesterday"},
		{"-n", "-3", "-now", "2026-12-05T00:00:00Z"},
		{"-now", "2026-12-05T00:00:00Z", "extra"},
	} {
		var out, errs bytes.Buffer
		if err := run(args, &out, &errs); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) wrote output", args)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// report cuts the final report table out of the quickstart's output.
func report(t *testing.T, out string) string {
	t.Helper()
	_, after, ok := strings.Cut(out, "\nReport (")
	if !ok {
		t.Fatalf("no report in output:\n%s", out)
	}
	_, table, _ := strings.Cut(after, "\n")
	table, _, _ = strings.Cut(table, "\nBy the called")
	return table
}

func TestQuickstartRunsTheDay(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{seed: 1, pace: 1, store: "memory"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"discarded_dnd", "expired_cutoff", "0 people called twice"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestQuickstartResumesOnSQLite stops a run at 15:00 and starts it again
// on the same file: the day ends exactly as an uninterrupted one does.
func TestQuickstartResumesOnSQLite(t *testing.T) {
	ctx := context.Background()
	var whole bytes.Buffer
	if err := run(ctx, &whole, options{seed: 1, pace: 1, store: "memory"}); err != nil {
		t.Fatal(err)
	}
	store := "sqlite:" + filepath.Join(t.TempDir(), "day.db")
	var first, second bytes.Buffer
	if err := run(ctx, &first, options{seed: 1, pace: 1, store: store, stopAt: "15:00"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "Stopped at 15:00") {
		t.Fatalf("first run did not stop at 15:00:\n%s", first.String())
	}
	if err := run(ctx, &second, options{seed: 1, pace: 1, store: store}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(second.String(), "Resuming campaign") {
		t.Errorf("second run did not resume:\n%s", second.String())
	}
	if got, want := report(t, second.String()), report(t, whole.String()); got != want {
		t.Errorf("report after stop and resume:\n%s\nwant, as in one uninterrupted run:\n%s", got, want)
	}
}

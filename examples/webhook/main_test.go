package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// varying matches the lines of run's output that change between runs:
// the listening address and the first request's two signatures.
var varying = regexp.MustCompile(`(?m)^.*(listening at|X-Signedcall-Signature|"signature").*\n`)

func TestRunIsReproducible(t *testing.T) {
	var a, b bytes.Buffer
	if err := run(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	out := a.String()
	for _, want := range []string{
		"completed, 36 deliveries",
		"signature of 29 requests and answered each",
		"  10:00  patient-01  +13*******00  attempt 1  busy\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "+1312555") {
		t.Errorf("output shows a full phone number:\n%s", out)
	}
	if x, y := varying.ReplaceAllString(out, ""), varying.ReplaceAllString(b.String(), ""); x != y {
		t.Errorf("two runs differ:\n%s\n---\n%s", x, y)
	}
}

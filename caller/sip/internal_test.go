package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/signedcall/signedcall"
)

func TestOutcomeOf(t *testing.T) {
	for code, want := range map[int]signedcall.Outcome{
		486: signedcall.OutcomeBusy, 600: signedcall.OutcomeBusy,
		603: signedcall.OutcomeDeclined,
		480: signedcall.OutcomeMissed, 408: signedcall.OutcomeMissed, 487: signedcall.OutcomeMissed,
		300: signedcall.OutcomeFailed, 401: signedcall.OutcomeFailed, 404: signedcall.OutcomeFailed,
		500: signedcall.OutcomeFailed, 503: signedcall.OutcomeFailed, 604: signedcall.OutcomeFailed,
	} {
		if got := outcomeOf(code); got != want {
			t.Errorf("outcomeOf(%d) = %s, want %s", code, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"INVITE sip:12125550123@10.0.0.1:5060 SIP/2.0": "INVITE sip:12*******23@10.0.0.1:5060 SIP/2.0",
		"To: <sip:+12125550123@proxy>":                 "To: <sip:+12*******23@proxy>",
		"short 123456 stays":                           "short 123456 stays",
		"1234567":                                      "12***67",
		"uuid 0193a0e0-3c00-7000-8000-00000000a11c":    "uuid 0193a0e0-3c00-7000-8000-00000000a11c",
		"branch z9hG4bK12345678 stays":                 "branch z9hG4bK12345678 stays",
		"two 4915112345678,33612345678":                "two 49*********78,33*******78",
		"":                                             "",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactHandlerMasksMessagesAndAttributes(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(redactHandler{slog.NewTextHandler(&buf, nil)}).With("req", "INVITE sip:12125550123@x")
	log.WithGroup("g").Info("calling 12125550123", "err", errors.New("to +12125550123 failed"),
		"n", 12125550123, slog.Group("inner", "uri", "sip:12125550123@x"))
	if s := buf.String(); strings.Contains(s, "2125550123") {
		t.Errorf("log holds the number: %s", s)
	}
	err := fmt.Errorf("sip: %w", redactErr(errors.New("req=INVITE sip:12125550123@x")))
	if strings.Contains(err.Error(), "2125550123") {
		t.Errorf("error holds the number: %v", err)
	}
}

func TestSplitAddresses(t *testing.T) {
	got := splitAddresses(`<sip:a@p1;lr>, "x,y" <sip:b@p2;lr>,<sip:c@p3>`)
	want := []string{`<sip:a@p1;lr>`, `"x,y" <sip:b@p2;lr>`, `<sip:c@p3>`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("splitAddresses = %q, want %q", got, want)
	}
}

func TestMemoForgetsNotDialledAndBoundsFinished(t *testing.T) {
	m := memo{max: 2}
	e, first := m.begin("a")
	if !first {
		t.Fatal("new key not first")
	}
	if _, again := m.begin("a"); again {
		t.Fatal("key in progress begun twice")
	}
	m.finish("a", e, "", fmt.Errorf("x: %w", signedcall.ErrNotDialled))
	if _, first := m.begin("a"); !first {
		t.Error("a not-dialled key is still remembered")
	}
	for _, k := range []string{"b", "c", "d"} {
		e, _ := m.begin(k)
		m.finish(k, e, signedcall.OutcomeAnswered, nil)
	}
	if _, first := m.begin("b"); !first {
		t.Error("the oldest finished key outlived the bound")
	}
	if e, first := m.begin("d"); first || e.outcome != signedcall.OutcomeAnswered {
		t.Errorf("recent key d: first=%v outcome=%q", first, e.outcome)
	}
}

func TestInDialogRequestsFollowTheRouteSet(t *testing.T) {
	c, err := New(context.Background(), Config{Proxy: "192.0.2.1:5060", From: "sip:brand@brand.example", LocalIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inv := c.newInvite(signedcall.CallRequest{IdempotencyKey: "k"}, "12125550123")
	inv.Via().Host, inv.Via().Port = "127.0.0.1", 40000
	c.finishInvite(inv)

	res := sipmsg.NewResponseFromRequest(inv, 200, "OK", nil)
	res.To().Params.Add("tag", "far")
	res.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "far", Host: "198.51.100.7", Port: 5070}})
	res.AppendHeader(sipmsg.NewHeader("Record-Route", "<sip:p1.example;lr>, <sip:p2.example;lr>"))
	res.AppendHeader(sipmsg.NewHeader("Record-Route", "<sip:p3.example;lr>"))

	bye := c.inDialog(inv, res, sipmsg.BYE, 2)
	if got := bye.Recipient.String(); got != "sip:far@198.51.100.7:5070" {
		t.Errorf("BYE Request-URI = %s, want the 200's Contact", got)
	}
	var routes []string
	for _, h := range bye.GetHeaders("Route") {
		routes = append(routes, h.Value())
	}
	if got := strings.Join(routes, " "); got != "<sip:p3.example;lr> <sip:p2.example;lr> <sip:p1.example;lr>" {
		t.Errorf("BYE routes = %s, want the Record-Route reversed", got)
	}
	if got := bye.Destination(); got != "p3.example:5060" {
		t.Errorf("BYE goes to %s, want the first route", got)
	}
	if tag, _ := bye.To().Params.Get("tag"); tag != "far" || bye.CSeq().SeqNo != 2 || bye.CSeq().MethodName != sipmsg.BYE {
		t.Errorf("BYE To tag %q CSeq %v", tag, bye.CSeq())
	}
	if bye.Via().Params.GetOr("branch", "") == inv.Via().Params.GetOr("branch", "") {
		t.Error("BYE reuses the INVITE's branch")
	}

	// A strict router (no lr) becomes the Request-URI.
	strict := sipmsg.NewResponseFromRequest(inv, 200, "OK", nil)
	strict.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "far", Host: "198.51.100.7"}})
	strict.AppendHeader(sipmsg.NewHeader("Record-Route", "<sip:p1.example;lr>, <sip:strict.example>"))
	ack := c.inDialog(inv, strict, sipmsg.ACK, 1)
	routes = routes[:0]
	for _, h := range ack.GetHeaders("Route") {
		routes = append(routes, h.Value())
	}
	if ack.Recipient.Host != "strict.example" || strings.Join(routes, " ") != "<sip:p1.example;lr> <sip:far@198.51.100.7>" {
		t.Errorf("strict routing: Request-URI %s routes %q", ack.Recipient.String(), routes)
	}

	cancel := c.newCancel(inv)
	if cancel.Via().Value() != inv.Via().Value() || cancel.CSeq().SeqNo != inv.CSeq().SeqNo ||
		cancel.CSeq().MethodName != sipmsg.CANCEL || cancel.Recipient.String() != inv.Recipient.String() {
		t.Errorf("CANCEL does not match its INVITE:\n%s\n%s", cancel, inv)
	}
}

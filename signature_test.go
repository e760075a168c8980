package signedcall_test

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

func TestSigningPayloadLayout(t *testing.T) {
	r := signedcall.CallRequest{
		IdempotencyKey: "k", CampaignID: uuid.MustParse("0193a0e0-3c00-7000-8000-00000000a11c"),
		UserID: "u1", Phone: "+12125550100", CallContext: "Your order", Attempt: 2,
	}
	// Written out by hand from the documented layout.
	var want []byte
	for _, f := range []string{"signedcall-call-v1", "k", "0193a0e0-3c00-7000-8000-00000000a11c", "u1", "+12125550100", "Your order", "2"} {
		want = binary.BigEndian.AppendUint32(want, uint32(len(f)))
		want = append(want, f...)
	}
	if got := r.SigningPayload(); string(got) != string(want) {
		t.Errorf("SigningPayload = %q, want %q", got, want)
	}
}

func TestDispatcherSignsEveryCall(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 7
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	otherPub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)

	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: memstore.New(), Caller: rec, Clock: clk, SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	src := population(20, 9)
	for i := range src {
		src[i].TimeZone = "Asia/Kolkata"
	}
	if _, err := d.Tick(context.Background(), c.ID, src); err != nil {
		t.Fatal(err)
	}
	dials := rec.dials()
	if len(dials) == 0 {
		t.Fatal("no calls placed")
	}
	for _, dl := range dials {
		if err := signedcall.VerifyCallRequest(pub, dl.req); err != nil {
			t.Errorf("call to %s: VerifyCallRequest = %v, want nil", dl.req.UserID, err)
		}
		if err := signedcall.VerifyCallRequest(otherPub, dl.req); !errors.Is(err, signedcall.ErrBadSignature) {
			t.Errorf("call to %s verified with another key: %v, want ErrBadSignature", dl.req.UserID, err)
		}
		tampered := dl.req
		tampered.CallContext = "Your prize is waiting"
		if err := signedcall.VerifyCallRequest(pub, tampered); !errors.Is(err, signedcall.ErrBadSignature) {
			t.Errorf("call to %s with a changed context: %v, want ErrBadSignature", dl.req.UserID, err)
		}
	}
	if _, err := signedcall.NewDispatcher(signedcall.Config{Store: memstore.New(), Caller: rec, SigningKey: key[:10]}); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("NewDispatcher with a short key = %v, want ErrInvalid", err)
	}
}

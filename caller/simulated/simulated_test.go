package simulated_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/simulated"
)

func req(i int) signedcall.CallRequest {
	return signedcall.CallRequest{IdempotencyKey: fmt.Sprintf("c:u%05d:1", i), UserID: fmt.Sprintf("u%05d", i), Attempt: 1}
}

func TestOutcomesFollowTheOddsAndTheSeed(t *testing.T) {
	ctx := context.Background()
	odds := simulated.Odds{Answered: 50, Declined: 10, Missed: 30, Busy: 5, Failed: 5}
	a, _ := simulated.New(1, odds)
	b, _ := simulated.New(1, odds)
	other, _ := simulated.New(2, odds)
	const n = 20000
	counts := map[signedcall.Outcome]int{}
	differ := 0
	// Call b in reverse order: outcomes depend on the key, not the order.
	for i := n - 1; i >= 0; i-- {
		if _, err := b.Call(ctx, req(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		o, err := a.Call(ctx, req(i))
		if err != nil {
			t.Fatal(err)
		}
		counts[o]++
		if want := b.Outcome(req(i).IdempotencyKey); o != want {
			t.Errorf("seed 1 outcome of %s = %s in one caller and %s in another", req(i).IdempotencyKey, o, want)
		}
		if other.Outcome(req(i).IdempotencyKey) != o {
			differ++
		}
	}
	for o, w := range map[signedcall.Outcome]int{
		signedcall.OutcomeAnswered: 50, signedcall.OutcomeDeclined: 10, signedcall.OutcomeMissed: 30,
		signedcall.OutcomeBusy: 5, signedcall.OutcomeFailed: 5,
	} {
		// 20,000 draws: a share is within 1.5 points of its weight far
		// beyond four standard deviations.
		if share := 100 * float64(counts[o]) / n; share < float64(w)-1.5 || share > float64(w)+1.5 {
			t.Errorf("%s share = %.2f%%, want about %d%%", o, share, w)
		}
	}
	if differ < n/3 {
		t.Errorf("seeds 1 and 2 agree on %d of %d calls, want them to differ on many", n-differ, n)
	}
	if len(a.Calls()) != n {
		t.Errorf("Calls() has %d, want %d", len(a.Calls()), n)
	}
}

func TestSameKeyPlacesOneCall(t *testing.T) {
	ctx := context.Background()
	c, _ := simulated.New(3, simulated.DefaultOdds)
	first, _ := c.Call(ctx, req(1))
	again, _ := c.Call(ctx, req(1))
	if first != again || len(c.Calls()) != 1 {
		t.Errorf("two calls with one key: outcomes %s and %s, %d placed; want one call, the same outcome", first, again, len(c.Calls()))
	}
	if placed, _ := c.Placed(ctx, req(1).IdempotencyKey); !placed {
		t.Error("Placed(called key) = false, want true")
	}
	if placed, _ := c.Placed(ctx, req(2).IdempotencyKey); placed {
		t.Error("Placed(never called) = true, want false")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Call(cancelled, req(3)); !errors.Is(err, signedcall.ErrNotDialled) {
		t.Errorf("Call after cancel = %v, want ErrNotDialled", err)
	}
}

func TestNewRejectsBadOdds(t *testing.T) {
	for _, odds := range []simulated.Odds{{}, {Answered: -1, Missed: 2}} {
		if _, err := simulated.New(1, odds); err == nil {
			t.Errorf("New(%+v) = nil error, want one", odds)
		}
	}
}

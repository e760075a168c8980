package memstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestRecHeap runs random pushes, pops and removals from the middle
// against a plain slice. Pushes are twice as likely as the others, so
// the heap grows deep enough for a removal to need sifting up.
func TestRecHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	h := recHeap{less: byDue}
	var model []*rec
	for i := range 10000 {
		switch op := rng.IntN(4); {
		case op < 2 || len(model) == 0:
			r := &rec{}
			r.d.UserID = fmt.Sprintf("u%05d", i)
			r.d.DueAt = base.Add(time.Duration(rng.IntN(50)) * time.Second)
			h.push(r)
			model = append(model, r)
		case op == 2:
			min := slices.MinFunc(model, cmpRec)
			if got := h.peek(); got != min {
				t.Fatalf("op %d: peek = %s, want %s", i, got.d.UserID, min.d.UserID)
			}
			h.remove(min)
			model = slices.DeleteFunc(model, func(r *rec) bool { return r == min })
		default:
			r := model[rng.IntN(len(model))]
			h.remove(r)
			model = slices.DeleteFunc(model, func(x *rec) bool { return x == r })
		}
		if h.len() != len(model) {
			t.Fatalf("op %d: len = %d, want %d", i, h.len(), len(model))
		}
	}
	for len(model) > 0 {
		min := slices.MinFunc(model, cmpRec)
		if got := h.peek(); got != min {
			t.Fatalf("drain: peek = %s, want %s", got.d.UserID, min.d.UserID)
		}
		h.remove(min)
		model = slices.DeleteFunc(model, func(r *rec) bool { return r == min })
	}
}

func cmpRec(a, b *rec) int {
	switch {
	case byDue(a, b):
		return -1
	case byDue(b, a):
		return 1
	}
	return 0
}

package sqlitestore_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/sqlitestore"
)

// BenchmarkMaterialize writes the deliveries of one campaign of a million
// users per round, into a file that grows by a million rows each round.
func BenchmarkMaterialize(b *testing.B) {
	const n = 1_000_000
	s := open(b, dbPath(b))
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c := created(b, s)
		ds := dueDeliveries(c.ID, n)
		b.StartTimer()
		if err := s.Materialize(ctx, c.ID, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkClaimApply measures one dispatcher round: claim 100 deliveries
// of a large campaign, then apply dialling and a final status to each.
func BenchmarkClaimApply(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("deliveries=%d", size), func(b *testing.B) {
			const batch = 100
			s := open(b, dbPath(b))
			cid := withDue(b, s, size)
			left := size
			ts := make([]signedcall.Transition, 0, 2*batch)
			req := signedcall.ClaimRequest{
				CampaignID: cid, Owner: "bench", Now: base, Lease: time.Minute, Limit: batch,
			}
			ctx := b.Context()

			b.ReportAllocs()
			for b.Loop() {
				if left < batch {
					b.StopTimer()
					cid, left = withDue(b, s, size), size
					req.CampaignID = cid
					b.StartTimer()
				}
				ds, err := s.Claim(ctx, req)
				if err != nil || len(ds) != batch {
					b.Fatalf("Claim = %d deliveries, %v; want %d", len(ds), err, batch)
				}
				left -= batch
				ts = ts[:0]
				for _, d := range ds {
					tr := signedcall.Transition{
						Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token,
						To: signedcall.StatusDialling, At: base,
					}
					ts = append(ts, tr)
					tr.To = signedcall.StatusAnswered
					ts = append(ts, tr)
				}
				errs, err := s.Apply(ctx, ts)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range errs {
					if e != nil {
						b.Fatal(e)
					}
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkClaimApplyLimited is BenchmarkClaimApply with every delivery
// its own number and every move to dialling under limits, 10ms after the
// one before: person limits only (3 a day in the campaign, 4 in 30 days
// from any); those and at most 64 calls in progress, counted among the
// 100 leased deliveries; and all of it with a campaign pace of 200 a
// second too, so that each check also reads about 100 starts.
func BenchmarkClaimApplyLimited(b *testing.B) {
	day := signedcall.Duration(24 * time.Hour)
	person := []signedcall.Limit{
		{Max: 3, Window: day, Scope: signedcall.ScopePersonCampaign},
		{Max: 4, Window: 30 * day, Scope: signedcall.ScopePerson},
	}
	for _, bc := range []struct {
		name          string
		limits        []signedcall.Limit
		maxConcurrent int
	}{
		{"person", person, 0},
		{"concurrent", person, 64},
		{"all", append(person[:2:2], signedcall.Limit{Max: 200, Window: signedcall.Duration(time.Second),
			Scope: signedcall.ScopeCampaign}), 64},
	} {
		b.Run("limits="+bc.name, func(b *testing.B) {
			const size, batch = 10_000, 100
			s := open(b, dbPath(b))
			ctx := b.Context()
			newCampaign := func() uuid.UUID {
				c := created(b, s)
				ds := dueDeliveries(c.ID, size)
				for i := range ds {
					ds[i].Phone = fmt.Sprintf("+4477%08d", i)
				}
				if err := s.Materialize(ctx, c.ID, ds); err != nil {
					b.Fatal(err)
				}
				start(b, s, c)
				return c.ID
			}
			cid, left := newCampaign(), size
			at := base
			ts := make([]signedcall.Transition, 0, 2*batch)
			req := signedcall.ClaimRequest{CampaignID: cid, Owner: "bench", Now: base, Lease: time.Hour, Limit: batch}

			b.ReportAllocs()
			for b.Loop() {
				if left < batch {
					b.StopTimer()
					cid, left = newCampaign(), size
					req.CampaignID = cid
					b.StartTimer()
				}
				ds, err := s.Claim(ctx, req)
				if err != nil || len(ds) != batch {
					b.Fatalf("Claim = %d deliveries, %v; want %d", len(ds), err, batch)
				}
				left -= batch
				ts = ts[:0]
				for _, d := range ds {
					at = at.Add(10 * time.Millisecond)
					tr := signedcall.Transition{
						Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token,
						To: signedcall.StatusDialling, At: at, Limits: bc.limits, MaxConcurrent: bc.maxConcurrent,
					}
					ts = append(ts, tr)
					tr.To, tr.Limits, tr.MaxConcurrent = signedcall.StatusAnswered, nil, 0
					ts = append(ts, tr)
				}
				errs, err := s.Apply(ctx, ts)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range errs {
					if e != nil {
						b.Fatal(e)
					}
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkReadsDuringWrites measures Delivery reads from parallel
// goroutines while one goroutine claims and applies without pause, with
// the default read pool and with reads sent through the writer; it is the
// measurement behind DefaultReadConns.
func BenchmarkReadsDuringWrites(b *testing.B) {
	for _, conns := range []int{0, 1, sqlitestore.DefaultReadConns} {
		b.Run(fmt.Sprintf("readconns=%d", conns), func(b *testing.B) {
			s := open(b, dbPath(b), sqlitestore.WithReadConns(conns))
			const size = 200_000
			cid := withDue(b, s, size)
			ctx := b.Context()

			var stop atomic.Bool
			var rounds atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				req := signedcall.ClaimRequest{CampaignID: cid, Owner: "w", Now: base, Lease: time.Minute, Limit: 50}
				for !stop.Load() {
					ds, err := s.Claim(ctx, req)
					if err != nil || len(ds) == 0 {
						return
					}
					ts := make([]signedcall.Transition, len(ds))
					for i, d := range ds {
						ts[i] = signedcall.Transition{Key: d.Key(), Owner: "w", Token: d.Lease.Token,
							To: signedcall.StatusAnswered, At: base}
					}
					if _, err := s.Apply(ctx, ts); err != nil {
						return
					}
					rounds.Add(1)
				}
			}()

			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) % size
					k := signedcall.Key{CampaignID: cid, UserID: fmt.Sprintf("u%07d", i)}
					if _, err := s.Delivery(ctx, k); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			stop.Store(true)
			<-done
			b.ReportMetric(float64(rounds.Load()*50)/b.Elapsed().Seconds(), "written/s")
		})
	}
}

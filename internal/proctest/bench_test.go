package proctest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
)

// BenchmarkDispatchDurable runs a campaign of 20,000 pending deliveries to
// completion with a caller that answers at once, on SQLite and, when
// SIGNEDCALL_TEST_POSTGRES is set, on PostgreSQL, with one and with four
// dispatchers (each with its own connection pool, as processes have).
func BenchmarkDispatchDurable(b *testing.B) {
	const n = 20000
	kinds := []string{"sqlite"}
	dsn := os.Getenv("SIGNEDCALL_TEST_POSTGRES")
	if dsn != "" {
		kinds = append(kinds, "postgres")
	}
	for _, kind := range kinds {
		for _, dispatchers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/dispatchers=%d", kind, dispatchers), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					var spec string
					switch kind {
					case "sqlite":
						spec = "sqlite:" + filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i))
					default:
						spec = "postgres:" + schemaDSN(b, dsn)
					}
					id := setupBench(b, spec, n)
					var ds []*signedcall.Dispatcher
					var closers []func()
					for j := range dispatchers {
						st, closeStore, err := openStore(context.Background(), spec)
						if err != nil {
							b.Fatal(err)
						}
						closers = append(closers, closeStore)
						d, err := signedcall.NewDispatcher(signedcall.Config{
							Store: st, Caller: answer, Owner: fmt.Sprintf("b%d", j),
							Concurrency: 64, ClaimBatch: 256, PollInterval: 10 * time.Millisecond,
						})
						if err != nil {
							b.Fatal(err)
						}
						ds = append(ds, d)
					}
					b.StartTimer()
					var wg sync.WaitGroup
					errs := make([]error, len(ds))
					for j, d := range ds {
						wg.Go(func() { _, errs[j] = d.Run(context.Background(), id, signedcall.SliceSource(nil)) })
					}
					wg.Wait()
					b.StopTimer()
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
					for _, c := range closers {
						c()
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
		}
	}
}

var answer = signedcall.CallerFunc(func(context.Context, signedcall.CallRequest) (signedcall.Outcome, error) {
	return signedcall.OutcomeAnswered, nil
})

// setupBench publishes a campaign that starts now with n pending
// deliveries already materialized.
func setupBench(b *testing.B, spec string, n int) uuid.UUID {
	b.Helper()
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	defer closeStore()
	now := time.Now()
	c, err := signedcall.NewCampaign("bench").Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").StartNow().CutOff(now.Add(time.Hour)).
		DNDDays(now.UTC().AddDate(0, 0, 3).Weekday()).CallContext("bench").Build()
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	dl := make([]signedcall.Delivery, n)
	for i := range dl {
		dl[i] = signedcall.Delivery{
			CampaignID: c.ID, UserID: fmt.Sprintf("u%07d", i), Phone: fmt.Sprintf("+1212555%04d", i%10000),
			TimeZone: "UTC", ZoneSource: signedcall.ZoneFromProfile, Status: signedcall.StatusPending,
			DueAt: c.Schedule.Start, UpdatedAt: now,
		}
	}
	if err := st.Materialize(ctx, c.ID, dl); err != nil {
		b.Fatal(err)
	}
	if err := st.PublishCampaign(ctx, c, signedcall.Acknowledgement{By: "bench", At: now, Statement: "bench"}); err != nil {
		b.Fatal(err)
	}
	return c.ID
}

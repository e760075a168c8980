package signedcall

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Report is a campaign's state and the count of its deliveries in each
// status.
type Report struct {
	CampaignID uuid.UUID
	State      CampaignState
	// Counts has an entry for every status with at least one delivery.
	Counts map[Status]int
	// Total is the number of deliveries.
	Total int
}

// ReportOf builds the report of a campaign from a Store.
func ReportOf(ctx context.Context, st Store, id uuid.UUID) (Report, error) {
	c, err := st.Campaign(ctx, id)
	if err != nil {
		return Report{}, err
	}
	counts, err := st.Counts(ctx, id)
	if err != nil {
		return Report{}, err
	}
	r := Report{CampaignID: id, State: c.State, Counts: map[Status]int{}}
	for s, n := range counts {
		if n > 0 {
			r.Counts[s] = n
			r.Total += n
		}
	}
	return r, nil
}

// Called is the number of deliveries that reached the Caller and have an
// outcome: answered, declined, missed, busy and failed (failed includes
// calls the Caller promised were never dialled).
func (r Report) Called() int {
	return r.Counts[StatusAnswered] + r.Counts[StatusDeclined] + r.Counts[StatusMissed] +
		r.Counts[StatusBusy] + r.Counts[StatusFailed]
}

// String renders the report as an aligned table with every final status.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "campaign %s: %s, %d deliveries\n", r.CampaignID, r.State, r.Total)
	for _, s := range append([]Status{StatusPending, StatusClaimed, StatusDialling}, FinalStatuses...) {
		n := r.Counts[s]
		if !s.Final() && n == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-16s %7d\n", s, n)
	}
	return b.String()
}

// ReasonsOf counts the campaign's deliveries by status and reason (see
// the Reason constants): why people were unreachable (no_phone,
// invalid_phone), which rule discarded or expired a call (dnd,
// rule_pack_hours, frequency_limit). It reads every delivery, so it
// costs a walk of the campaign where [ReportOf] costs a count.
func ReasonsOf(ctx context.Context, st Store, id uuid.UUID) (map[Status]map[string]int, error) {
	out := map[Status]map[string]int{}
	err := st.Deliveries(ctx, id, func(d Delivery) error {
		m := out[d.Status]
		if m == nil {
			m = map[string]int{}
			out[d.Status] = m
		}
		m[d.Reason]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

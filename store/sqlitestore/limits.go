package sqlitestore

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signedcall/signedcall"
)

// ---- lists ----

// encodeList returns the stored form of a delivery's other zones or
// packs: "" for none, otherwise a JSON array of the strings in order. It
// returns false if one of them is not valid UTF-8, which JSON cannot
// keep as it is.
func encodeList(l []string) (string, bool) {
	if len(l) == 0 {
		return "", true
	}
	n, plain := 1, true
	for _, s := range l {
		n += len(s) + 3
		for i := 0; i < len(s) && plain; i++ {
			plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
		}
	}
	if !plain {
		for _, s := range l {
			if !utf8.ValidString(s) {
				return "", false
			}
		}
		b, err := json.Marshal(l)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	// Printable ASCII other than a quote or a backslash is its own JSON
	// string body, as IANA zone names and pack IDs always are.
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	b = append(b, ']')
	return string(b), true
}

// decodeList reads what encodeList wrote: nil for "".
func decodeList(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	// Without a backslash no element holds a quote, so in the compact
	// form every `","` separates two elements.
	if len(s) >= 4 && strings.HasPrefix(s, `["`) && strings.HasSuffix(s, `"]`) && !strings.Contains(s, `\`) {
		l := strings.Split(s[2:len(s)-2], `","`)
		plain := true
		for _, e := range l {
			if strings.Contains(e, `"`) {
				plain = false
				break
			}
		}
		if plain {
			return l, nil
		}
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode stored list %q: %w", s, err)
	}
	return l, nil
}

// ---- call starts and limits ----

// Statements prepared on the writer by Open for the call starts and
// limits, besides those of startInsertSQL.
const (
	// The reads take the starts after a cut-off, later than the move's
	// own instant included, as CheckLimits expects. A campaign limit of
	// Max calls decides on the Max latest starts in its window, and each
	// of those is among the K latest in the longest window, for K the
	// largest Max: so the campaign read takes only those K, however many
	// calls the campaign made. A number's starts are few, and the
	// per-campaign limits filter them after, so they are read whole.
	sqlStartsCampaign = `
		SELECT at FROM call_starts WHERE campaign_id = ? AND at > ?
		ORDER BY at DESC LIMIT ?`
	sqlStartsPerson = `SELECT campaign_id, at FROM call_starts WHERE phone = ? AND at > ?`

	sqlDialling = `
		SELECT count(*) FROM deliveries
		WHERE campaign_id = ? AND lease_expires > ? AND status = 'dialling'`

	// sqlPruneStarts deletes the starts at or before a cut-off. Starting
	// from the campaigns lets it find them through call_starts_campaign,
	// one short range per campaign, instead of reading the whole table.
	sqlPruneStarts = `
		DELETE FROM call_starts
		WHERE campaign_id IN (SELECT id FROM campaigns) AND at <= ?`
)

// startChunks are the numbers of starts the prepared INSERTs of starts
// write, largest first. Writing n starts takes n/64 statements of the
// largest and one for each bit set in n%64.
var startChunks = [...]int{64, 32, 16, 8, 4, 2, 1}

// startInsertSQL returns the INSERT of n call starts, each given as
// (campaign, user, at) and written with the number of the delivery, read
// from its row: that costs less than having each move return it.
func startInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO call_starts (campaign_id, phone, at)
		SELECT d.campaign_id, d.phone, v.column3 FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
	}
	b.WriteString(`) AS v
		JOIN deliveries d ON d.campaign_id = v.column1 AND d.user_id = v.column2`)
	return b.String()
}

// pruneEvery is how often starts are pruned: in the transaction that
// writes a start whose rowid is a multiple of it. Rowids are shared by
// every Store on the file, so the pace does not depend on how many
// processes write or how long they live.
//
// TODO(retention): pruning is off (0) outside tests. Its cut-off comes
// from the transitions' At, so one process with a clock far ahead would
// delete starts that other numbers' limits still count. Until it takes
// a clock it can trust, every start is kept: about 60 bytes of file per
// call.
var pruneEvery int64 = 0

// pruneSlack is how much longer than MaxLimitWindow a start is kept, so
// that a process whose clock is behind the one that pruned still finds
// every start its limits count.
const pruneSlack = 24 * time.Hour

// recordStart notes the start, at at, of the call to the delivery of
// user in campaign cid. The starts noted are written together by
// flushStarts, before the transaction commits and before any limit is
// checked, so that every check sees all the starts before it.
func (a *applier) recordStart(cid, user string, at int64) {
	if len(a.newStarts) == 0 || at > a.newest {
		a.newest = at
	}
	a.newStarts = append(a.newStarts, cid, user, at)
}

// flushStarts writes the starts recordStart noted, in as few statements
// as startChunks allow, and if their rowids reach a multiple of
// pruneEvery deletes the starts MaxLimitWindow plus pruneSlack or more
// older than the latest of them.
func (a *applier) flushStarts() error {
	left, prune := a.newStarts, false
	for len(left) > 0 {
		i := 0
		for startChunks[i] > len(left)/3 {
			i++
		}
		n := startChunks[i]
		if a.startInserts[i] == nil {
			a.startInserts[i] = a.tx.StmtContext(a.ctx, a.s.startInserts[i])
		}
		res, err := a.startInserts[i].ExecContext(a.ctx, left[:3*n]...)
		if err != nil {
			return err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		prune = prune || (pruneEvery > 0 && last/pruneEvery != (last-int64(n))/pruneEvery)
		left = left[3*n:]
	}
	clear(a.newStarts)
	a.newStarts = a.newStarts[:0]
	if !prune {
		return nil
	}
	_, err := a.tx.StmtContext(a.ctx, a.s.startsPrune).ExecContext(a.ctx,
		before(a.newest, signedcall.MaxLimitWindow+pruneSlack))
	return err
}

// before returns at minus d in Unix nanoseconds, or the smallest
// instant if that is earlier.
func before(at int64, d time.Duration) int64 {
	if at < math.MinInt64+int64(d) {
		return math.MinInt64
	}
	return at - int64(d)
}

// checkLimits reads, in the Apply transaction, what t's limits and
// concurrency cap need for a move to dialling of a delivery to phone, and
// applies them with signedcall.CheckLimits. The transaction holds the
// write lock, which every Store on the file takes before it reads, so
// nothing another writer does can come between this check and the
// move's own start.
func (a *applier) checkLimits(t *signedcall.Transition, cid, phone string, at int64) (error, error) {
	if err := a.flushStarts(); err != nil {
		return nil, err
	}
	// A window longer than any limit may have is refused by CheckLimits;
	// the cap keeps the reads bounded until it does.
	a.campaignStarts, a.personStarts = a.campaignStarts[:0], a.personStarts[:0]
	if w := min(signedcall.LongestWindow(t.Limits, signedcall.ScopeCampaign), signedcall.MaxLimitWindow); w > 0 {
		if a.startsCampaign == nil {
			a.startsCampaign = a.tx.StmtContext(a.ctx, a.s.startsCampaign)
		}
		most := 1
		for _, l := range t.Limits {
			if l.Scope == signedcall.ScopeCampaign {
				most = max(most, l.Max)
			}
		}
		rows, err := a.startsCampaign.QueryContext(a.ctx, cid, before(at, w), most)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			a.campaignStarts = append(a.campaignStarts, signedcall.CallStart{
				CampaignID: cid, At: time.Unix(0, n).UTC(),
			})
		}
		if err := cmpErr(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	w := min(signedcall.LongestWindow(t.Limits, signedcall.ScopePerson, signedcall.ScopePersonCampaign),
		signedcall.MaxLimitWindow)
	// A delivery without a number shares it with nobody.
	if w > 0 && phone != "" {
		if a.startsPerson == nil {
			a.startsPerson = a.tx.StmtContext(a.ctx, a.s.startsPerson)
		}
		rows, err := a.startsPerson.QueryContext(a.ctx, phone, before(at, w))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			var n int64
			if err := rows.Scan(&c, &n); err != nil {
				rows.Close()
				return nil, err
			}
			a.personStarts = append(a.personStarts, signedcall.CallStart{
				CampaignID: c, Phone: phone, At: time.Unix(0, n).UTC(),
			})
		}
		if err := cmpErr(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	dialling := 0
	if t.MaxConcurrent > 0 {
		err := a.tx.StmtContext(a.ctx, a.s.dialling).QueryRowContext(a.ctx, cid, at).Scan(&dialling)
		if err != nil {
			return nil, err
		}
	}
	if err := signedcall.CheckLimits(*t, a.campaignStarts, a.personStarts, dialling); err != nil {
		return fmt.Errorf("sqlitestore: delivery %s/%s: %w", t.Key.CampaignID, t.Key.UserID, err), nil
	}
	return nil, nil
}

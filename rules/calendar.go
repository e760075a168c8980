package rules

import (
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"

	"github.com/signedcall/signedcall"
)

// maxCachedYears bounds the per-year cache of a calendar from Calendar.
// A dispatcher asks about this year and the next; a host that walks
// many years just recomputes.
const maxCachedYears = 8

// Calendar returns a [signedcall.HolidayCalendar] over rickar/cal
// holidays. A holiday is reported on its actual date and, when its
// observance rule moves it (a Saturday holiday kept on the Friday
// before, a Sunday one on the Monday after), on the observed date too,
// named with an " (observed)" suffix. When two holidays share a date,
// the first in hs names it.
//
// The name says which list this is, for [fmt.Stringer]. The holidays in
// hs must not be changed afterwards. The calendar computes each year
// once and keeps a few years; it is safe for concurrent use.
func Calendar(name string, hs ...*cal.Holiday) signedcall.HolidayCalendar {
	c := &calendar{name: name, years: map[int]map[signedcall.Date]string{}}
	for _, h := range hs {
		if h != nil {
			c.hs = append(c.hs, h)
		}
	}
	return c
}

type calendar struct {
	name string
	hs   []*cal.Holiday

	mu    sync.Mutex
	years map[int]map[signedcall.Date]string
}

// String returns the calendar's name.
func (c *calendar) String() string { return c.name }

// Holiday reports whether d is the actual or observed date of one of
// the calendar's holidays, and its name.
func (c *calendar) Holiday(d signedcall.Date) (string, bool) {
	if d.Year < 1 {
		return "", false
	}
	name, ok := c.year(d.Year)[d]
	return name, ok
}

func (c *calendar) year(y int) map[signedcall.Date]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if days, ok := c.years[y]; ok {
		return days
	}
	if len(c.years) >= maxCachedYears {
		clear(c.years)
	}
	days := c.compute(y)
	c.years[y] = days
	return days
}

// compute lists the dates in year y. An observed date can fall in the
// year before or after its holiday (1 January on a Saturday is kept on
// 31 December), so the neighbouring years are computed too.
func (c *calendar) compute(y int) map[signedcall.Date]string {
	days := map[signedcall.Date]string{}
	add := func(t time.Time, name string) {
		if t.IsZero() || t.Year() != y {
			return
		}
		d := signedcall.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
		if _, taken := days[d]; !taken {
			days[d] = name
		}
	}
	for _, h := range c.hs {
		for hy := y - 1; hy <= y+1; hy++ {
			actual, observed := h.Calc(hy)
			add(actual, h.Name)
			if !sameDay(actual, observed) {
				add(observed, strings.TrimSpace(h.Name+" (observed)"))
			}
		}
	}
	return days
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

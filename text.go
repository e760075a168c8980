package signedcall

import (
	"fmt"
	"unicode/utf8"
)

// MaxAudienceDepth is how deeply All, Any and Not may nest. Real audiences
// use a handful of levels; the bound keeps a hostile definition from
// costing unbounded time and stack.
const MaxAudienceDepth = 32

// predDepth returns how many levels p nests, stopping early past the
// limit so a hostile tree costs little to measure.
func predDepth(p Predicate, depth int) int {
	if depth > MaxAudienceDepth {
		return depth
	}
	max := depth + 1
	var kids []Predicate
	switch x := derefPred(p).(type) {
	case allPred:
		kids = x.of
	case anyPred:
		kids = x.of
	case notPred:
		kids = []Predicate{x.p}
	}
	for _, k := range kids {
		if k == nil {
			continue
		}
		if d := predDepth(k, depth+1); d > max {
			max = d
		}
		if max > MaxAudienceDepth {
			break
		}
	}
	return max
}

// textErrors reports every string of the campaign that is not valid
// UTF-8. JSON, and so every Store, would silently replace the bad bytes,
// and a stored audience would then match other users than the one that
// was previewed.
func textErrors(c *Campaign) []error {
	var errs []error
	check := func(field, s string) {
		if !utf8.ValidString(s) {
			errs = append(errs, invalid(field, "is not valid UTF-8"))
		}
	}
	check("name", c.Name)
	check("call_context", c.CallContext)
	check("schedule.time_zone", c.Schedule.TimeZone)
	if a := c.Acknowledgement; a != nil {
		check("acknowledgement.by", a.By)
		check("acknowledgement.statement", a.Statement)
	}
	if c.Audience != nil && predDepth(c.Audience, 0) <= MaxAudienceDepth {
		predText(c.Audience, "audience", check)
	}
	return errs
}

func predText(p Predicate, field string, check func(field, s string)) {
	values := func(f string, vs []string) {
		for i, v := range vs {
			check(fmt.Sprintf("%s[%d]", f, i), v)
		}
	}
	cond := func(f string, c Condition) {
		check(f+".property", c.Property)
		switch v := c.Value.(type) {
		case string:
			check(f+".value", v)
		case []any:
			for i, e := range v {
				if s, ok := e.(string); ok {
					check(fmt.Sprintf("%s.value[%d]", f, i), s)
				}
			}
		}
	}
	switch x := derefPred(p).(type) {
	case allPred:
		for i, k := range x.of {
			if k != nil {
				predText(k, fmt.Sprintf("%s.of[%d]", field, i), check)
			}
		}
	case anyPred:
		for i, k := range x.of {
			if k != nil {
				predText(k, fmt.Sprintf("%s.of[%d]", field, i), check)
			}
		}
	case notPred:
		if x.p != nil {
			predText(x.p, field+".predicate", check)
		}
	case EventPredicate:
		check(field+".event", x.Event)
		for i, c := range x.Filters {
			cond(fmt.Sprintf("%s.where[%d]", field, i), c)
		}
	case PropertyPredicate:
		cond(field, x.Condition)
	case PlacePredicate:
		check(field+".country", x.Country)
		values(field+".values", x.Values)
	case ListPredicate:
		check(field+".list", x.List)
		values(field+".ids", x.IDs)
	}
}

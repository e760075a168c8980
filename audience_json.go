package signedcall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// predJSON is the wire form of every predicate kind. Which fields a kind
// may carry is listed in predFields; others are rejected.
type predJSON struct {
	Kind      string            `json:"kind"`
	Of        []json.RawMessage `json:"of,omitempty"`
	Predicate json.RawMessage   `json:"predicate,omitempty"`
	Event     string            `json:"event,omitempty"`
	Count     *countJSON        `json:"count,omitempty"`
	LastDays  int               `json:"last_days,omitempty"`
	From      *Date             `json:"from,omitempty"`
	To        *Date             `json:"to,omitempty"`
	Where     []condJSON        `json:"where,omitempty"`
	Property  string            `json:"property,omitempty"`
	Op        Op                `json:"op,omitempty"`
	Value     json.RawMessage   `json:"value,omitempty"`
	Min       *int              `json:"min,omitempty"`
	Max       *int              `json:"max,omitempty"`
	Country   string            `json:"country,omitempty"`
	Values    []string          `json:"values,omitempty"`
	Km        *float64          `json:"km,omitempty"`
	Points    []LatLng          `json:"points,omitempty"`
	Flag      ReachFlag         `json:"flag,omitempty"`
	List      string            `json:"list,omitempty"`
	IDs       []string          `json:"ids,omitempty"`
}

type countJSON struct {
	Op CountOp `json:"op"`
	N  int     `json:"n"`
}

type condJSON struct {
	Property string          `json:"property"`
	Op       Op              `json:"op"`
	Value    json.RawMessage `json:"value,omitempty"`
}

var predFields = map[string][]string{
	"all":      {"of"},
	"any":      {"of"},
	"not":      {"predicate"},
	"did":      {"event", "count", "last_days", "from", "to", "where"},
	"did_not":  {"event", "count", "last_days", "from", "to", "where"},
	"property": {"property", "op", "value"},
	"age":      {"min", "max"},
	"gender":   {"values"},
	"country":  {"values"},
	"region":   {"country", "values"},
	"city":     {"country", "values"},
	"radius":   {"km", "points"},
	"reach":    {"flag"},
	"list":     {"list", "ids"},
}

// PredicateKinds lists the "kind" values of the predicate JSON form.
func PredicateKinds() []string {
	ks := make([]string, 0, len(predFields))
	for k := range predFields {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// MarshalPredicate encodes p in the JSON form shown in the package
// documentation.
func MarshalPredicate(p Predicate) ([]byte, error) {
	j, err := toJSON(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

func toJSON(p Predicate) (*predJSON, error) {
	if p = derefPred(p); p == nil {
		return nil, errors.New("signedcall: cannot encode a nil predicate")
	}
	j := &predJSON{Kind: p.kind()}
	list := func(ps []Predicate) error {
		for _, c := range ps {
			b, err := MarshalPredicate(c)
			if err != nil {
				return err
			}
			j.Of = append(j.Of, b)
		}
		return nil
	}
	switch x := p.(type) {
	case allPred:
		if err := list(x.of); err != nil {
			return nil, err
		}
	case anyPred:
		if err := list(x.of); err != nil {
			return nil, err
		}
	case notPred:
		b, err := MarshalPredicate(x.p)
		if err != nil {
			return nil, err
		}
		j.Predicate = b
	case EventPredicate:
		j.Event = x.Event
		j.Count = &countJSON{x.Op, x.N}
		j.LastDays = x.LastDays
		if !x.From.IsZero() || !x.To.IsZero() {
			f, t := x.From, x.To
			j.From, j.To = &f, &t
		}
		for _, c := range x.Filters {
			cj, err := condToJSON(c)
			if err != nil {
				return nil, err
			}
			j.Where = append(j.Where, cj)
		}
	case PropertyPredicate:
		cj, err := condToJSON(x.Condition)
		if err != nil {
			return nil, err
		}
		j.Property, j.Op, j.Value = cj.Property, cj.Op, cj.Value
	case AgePredicate:
		mn, mx := x.Min, x.Max
		j.Min, j.Max = &mn, &mx
	case GenderPredicate:
		for _, g := range x.Genders {
			j.Values = append(j.Values, string(g))
		}
	case PlacePredicate:
		j.Country, j.Values = x.Country, x.Values
	case RadiusPredicate:
		km := x.Km
		j.Km, j.Points = &km, x.Points
	case ReachPredicate:
		j.Flag = x.Flag
	case ListPredicate:
		j.List, j.IDs = x.List, x.IDs
	default:
		return nil, fmt.Errorf("signedcall: cannot encode predicate of type %T", p)
	}
	return j, nil
}

func condToJSON(c Condition) (condJSON, error) {
	cj := condJSON{Property: c.Property, Op: c.Op}
	if c.Value != nil {
		b, err := json.Marshal(c.Value)
		if err != nil {
			return cj, fmt.Errorf("signedcall: property %q: %w", c.Property, err)
		}
		cj.Value = b
	}
	return cj, nil
}

// UnmarshalPredicate decodes the JSON form written by MarshalPredicate.
// Unknown kinds, fields that do not belong to the kind, and malformed
// values are errors naming the path; nothing is dropped silently. It does
// not check the rules Validate checks (ranges and the like).
func UnmarshalPredicate(b []byte) (Predicate, error) {
	return decodePred(b, "audience", 1)
}

func decodePred(b []byte, path string, depth int) (Predicate, error) {
	if depth > MaxAudienceDepth {
		return nil, fmt.Errorf("%s: nests more than %d levels deep", path, MaxAudienceDepth)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if keys == nil {
		return nil, fmt.Errorf("%s: predicate is null", path)
	}
	var j predJSON
	if err := strictUnmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	allowed, ok := predFields[j.Kind]
	if !ok {
		return nil, fmt.Errorf("%s.kind: unknown predicate kind %q (known: %s)", path, j.Kind, strings.Join(PredicateKinds(), ", "))
	}
	for k := range keys {
		if k != "kind" && !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("%s: field %q does not belong to a %q predicate", path, k, j.Kind)
		}
	}
	children := func() ([]Predicate, error) {
		ps := make([]Predicate, 0, len(j.Of))
		for i, raw := range j.Of {
			p, err := decodePred(raw, fmt.Sprintf("%s.of[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	switch j.Kind {
	case "all", "any":
		ps, err := children()
		if err != nil {
			return nil, err
		}
		if j.Kind == "all" {
			return allPred{ps}, nil
		}
		return anyPred{ps}, nil
	case "not":
		if len(j.Predicate) == 0 {
			return nil, fmt.Errorf("%s.predicate: is required", path)
		}
		p, err := decodePred(j.Predicate, path+".predicate", depth+1)
		if err != nil {
			return nil, err
		}
		return notPred{p}, nil
	case "did", "did_not":
		e := EventPredicate{Negate: j.Kind == "did_not", Event: j.Event, Op: AtLeast, N: 1, LastDays: j.LastDays}
		if j.Count != nil {
			e.Op, e.N = j.Count.Op, j.Count.N
		}
		if j.From != nil {
			e.From = *j.From
		}
		if j.To != nil {
			e.To = *j.To
		}
		for i, cj := range j.Where {
			c, err := condFromJSON(cj, fmt.Sprintf("%s.where[%d]", path, i))
			if err != nil {
				return nil, err
			}
			e.Filters = append(e.Filters, c)
		}
		return e, nil
	case "property":
		c, err := condFromJSON(condJSON{j.Property, j.Op, j.Value}, path)
		if err != nil {
			return nil, err
		}
		return PropertyPredicate{c}, nil
	case "age":
		if j.Min == nil || j.Max == nil {
			return nil, fmt.Errorf("%s: age needs min and max", path)
		}
		return AgePredicate{*j.Min, *j.Max}, nil
	case "gender":
		g := GenderPredicate{}
		for _, v := range j.Values {
			g.Genders = append(g.Genders, Gender(v))
		}
		return g, nil
	case "country", "region", "city":
		return PlacePredicate{Level: PlaceLevel(j.Kind), Country: j.Country, Values: j.Values}, nil
	case "radius":
		if j.Km == nil {
			return nil, fmt.Errorf("%s.km: is required", path)
		}
		return RadiusPredicate{Km: *j.Km, Points: j.Points}, nil
	case "reach":
		return ReachPredicate{j.Flag}, nil
	default: // "list"
		return ListPredicate{List: j.List, IDs: j.IDs}, nil
	}
}

func condFromJSON(cj condJSON, path string) (Condition, error) {
	c := Condition{Property: cj.Property, Op: cj.Op}
	if len(cj.Value) > 0 && !bytes.Equal(bytes.TrimSpace(cj.Value), []byte("null")) {
		var v any
		if err := json.Unmarshal(cj.Value, &v); err != nil {
			return c, fmt.Errorf("%s.value: %w", path, err)
		}
		switch x := v.(type) {
		case map[string]any:
			return c, fmt.Errorf("%s.value: an object is not a comparable value", path)
		case []any:
			for i, e := range x {
				switch e.(type) {
				case map[string]any, []any:
					return c, fmt.Errorf("%s.value[%d]: a list may hold only strings, numbers and booleans", path, i)
				}
			}
		}
		c.Value = normValue(v)
	}
	return c, nil
}

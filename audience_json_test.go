package signedcall

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ajEveryKind is an audience holding every predicate kind.
func ajEveryKind() Predicate {
	return All(
		Did("Product Viewed").AtLeast(2).InLastDays(30).Where("price", Gte, 1000).Where("tags", Contains, "sale"),
		DidNot("Charged").Between(Date{2026, 11, 1}, Date{2026, 11, 30}).Where("coupon", Exists, nil),
		Did("Launched").Exactly(0),
		Did("Refunded").AtMost(3),
		Any(
			Prop("plan", Eq, "gold"),
			Prop("plan", Ne, "free"),
			Prop("score", Gt, 10),
			Prop("score", Gte, 10.5),
			Prop("score", Lt, json.Number("99")),
			Prop("name", Lte, "m"),
			Prop("tier", In, []any{"a", 1, true}),
			Prop("tags", Contains, "vip"),
			Prop("vip", Exists, nil),
			Prop("vip", Eq, true),
		),
		Not(AgeBetween(0, 17)),
		GenderIs(GenderFemale, GenderOther),
		InCountry("IN", "US"),
		InRegion("IN", "MH", "KA"),
		InCity("", "Mumbai"),
		WithinRadius(25.5, LatLng{19.076, 72.8777}, LatLng{0, -179.9}),
		Any(Flag(HasPhone), Flag(HasEmail), Flag(UnsubscribedEmail), Flag(UnsubscribedSMS)),
		InList("vip", "u1", "u2"),
	)
}

var ajCmpOpts = cmp.Options{cmp.AllowUnexported(allPred{}, anyPred{}, notPred{})}

// ajKinds collects every "kind" in an encoded predicate tree.
func ajKinds(t *testing.T, b []byte) []string {
	t.Helper()
	var walk func(v any) []string
	walk = func(v any) []string {
		var out []string
		switch x := v.(type) {
		case map[string]any:
			if k, ok := x["kind"].(string); ok {
				out = append(out, k)
			}
			for key, c := range x {
				if key == "of" || key == "predicate" {
					out = append(out, walk(c)...)
				}
			}
		case []any:
			for _, c := range x {
				out = append(out, walk(c)...)
			}
		}
		return out
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	ks := walk(v)
	slices.Sort(ks)
	return slices.Compact(ks)
}

func TestPredicateJSONRoundTripEveryKind(t *testing.T) {
	orig := ajEveryKind()
	if err := orig.validate("audience"); len(err) > 0 {
		t.Fatalf("test audience is invalid: %v", err)
	}
	b, err := MarshalPredicate(orig)
	if err != nil {
		t.Fatalf("MarshalPredicate: %v", err)
	}
	if diff := cmp.Diff(PredicateKinds(), ajKinds(t, b)); diff != "" {
		t.Errorf("test tree does not hold every kind (-want +got)\n%s", diff)
	}
	got, err := UnmarshalPredicate(b)
	if err != nil {
		t.Fatalf("UnmarshalPredicate(%s): %v", b, err)
	}
	if diff := cmp.Diff(orig, got, ajCmpOpts); diff != "" {
		t.Errorf("round trip (-want +got)\n%s", diff)
	}
	again, err := MarshalPredicate(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("re-encoded differs:\nfirst  %s\nsecond %s", b, again)
	}
	// Each part matches the same profiles before and after.
	parts := append([]Predicate{orig}, orig.(allPred).of...)
	decoded := append([]Predicate{got}, got.(allPred).of...)
	pop := audPopulation(400, 3)
	for i := range parts {
		for j := range pop {
			a := Matches(parts[i], &pop[j], audEvalAt, audKolkata)
			b := Matches(decoded[i], &pop[j], audEvalAt, audKolkata)
			if a != b {
				t.Errorf("%s on profile %d: %v before JSON, %v after", parts[i], j, a, b)
			}
		}
	}
}

func TestPredicateJSONRoundTripEachPart(t *testing.T) {
	e := Did("E")
	parts := append(ajEveryKind().(allPred).of,
		DidNot("E").InLastDays(7).AtLeast(3),
		Did("E").Where("amount", In, []int{1, 2}),
		Not(Not(Flag(HasPhone))),
		Any(All(InList("l", "a")), Not(GenderIs(GenderMale))),
	)
	for _, p := range parts {
		b, err := MarshalPredicate(p)
		if err != nil {
			t.Errorf("MarshalPredicate(%s): %v", p, err)
			continue
		}
		got, err := UnmarshalPredicate(b)
		if err != nil {
			t.Errorf("UnmarshalPredicate(%s): %v", b, err)
			continue
		}
		if diff := cmp.Diff(p, got, ajCmpOpts); diff != "" {
			t.Errorf("round trip of %s via %s (-want +got)\n%s", p, b, diff)
		}
	}
	// A pointer to a predicate encodes like the predicate.
	bp, err := MarshalPredicate(&e)
	if err != nil {
		t.Fatalf("MarshalPredicate(&Did): %v", err)
	}
	bv, _ := MarshalPredicate(e)
	if !bytes.Equal(bp, bv) {
		t.Errorf("pointer encodes as %s, value as %s", bp, bv)
	}
	if _, err := MarshalPredicate(All(&e, Not(&e))); err != nil {
		t.Errorf("MarshalPredicate with pointer children: %v", err)
	}
}

func TestPredicateJSONDefaults(t *testing.T) {
	tests := []struct {
		in   string
		want Predicate
	}{
		{`{"kind":"did","event":"E"}`, Did("E")},
		{`{"kind":"did_not","event":"E","last_days":7}`, DidNot("E").InLastDays(7)},
		{`{"kind":"did","event":"E","count":{"op":"at_most","n":0}}`, Did("E").AtMost(0)},
		{` { "kind" : "reach" , "flag" : "has_phone" } `, Flag(HasPhone)},
		{`{"kind":"property","property":"p","op":"eq","value":5}`, Prop("p", Eq, 5)},
		{`{"kind":"property","property":"p","op":"in","value":["a",2,false]}`, Prop("p", In, []any{"a", 2, false})},
		{`{"kind":"property","property":"p","op":"exists","value":null}`, Prop("p", Exists, nil)},
	}
	for _, tt := range tests {
		got, err := UnmarshalPredicate([]byte(tt.in))
		if err != nil {
			t.Errorf("UnmarshalPredicate(%s): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, ajCmpOpts); diff != "" {
			t.Errorf("UnmarshalPredicate(%s) (-want +got)\n%s", tt.in, diff)
		}
	}
}

func TestPredicateJSONRejects(t *testing.T) {
	radius := `"km":5,"points":[{"lat":0,"lon":0}]`
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"unknown kind", `{"kind":"near","km":5}`, []string{`"near"`, "audience.kind"}},
		{"empty kind", `{}`, []string{`""`}},
		{"nested unknown kind", `{"kind":"all","of":[{"kind":"reach","flag":"has_phone"},{"kind":"nearby"}]}`, []string{`"nearby"`, "audience.of[1]"}},
		{"km on did", `{"kind":"did","event":"E","km":5}`, []string{`"km"`, `"did"`}},
		{"event on radius", `{"kind":"radius",` + radius + `,"event":"E"}`, []string{`"event"`, `"radius"`}},
		{"of on not", `{"kind":"not","of":[]}`, []string{`"of"`, `"not"`}},
		{"country on country", `{"kind":"country","country":"IN","values":["IN"]}`, []string{`"country"`}},
		{"values on list", `{"kind":"list","list":"l","ids":["a"],"values":["b"]}`, []string{`"values"`, `"list"`}},
		{"field of no kind", `{"kind":"did","event":"E","radius_km":5}`, []string{"radius_km"}},
		{"capitalised field", `{"kind":"did","Event":"E"}`, []string{"Event"}},
		{"string for km", `{"kind":"radius","km":"5","points":[{"lat":0,"lon":0}]}`, []string{"km"}},
		{"string for km nested", `{"kind":"any","of":[{"kind":"radius","km":"5","points":[]}]}`, []string{"audience.of[0]"}},
		{"km missing", `{"kind":"radius","points":[{"lat":0,"lon":0}]}`, []string{"km"}},
		{"string for lat", `{"kind":"radius","km":5,"points":[{"lat":"0","lon":0}]}`, []string{"lat"}},
		{"unknown point field", `{"kind":"radius","km":5,"points":[{"lat":0,"lng":0}]}`, []string{"lng"}},
		{"object property value", `{"kind":"property","property":"p","op":"eq","value":{"a":1}}`, []string{"object"}},
		{"object in list value", `{"kind":"property","property":"p","op":"in","value":["a",{"a":1}]}`, []string{"audience.value[1]"}},
		{"list in list value", `{"kind":"property","property":"p","op":"in","value":[["a"]]}`, []string{"audience.value[0]"}},
		{"object where value", `{"kind":"did","event":"E","where":[{"property":"p","op":"eq","value":{"a":1}}]}`, []string{"audience.where[0].value"}},
		{"unknown where field", `{"kind":"did","event":"E","where":[{"property":"p","op":"eq","value":1,"not":true}]}`, []string{`"not"`}},
		{"unknown count field", `{"kind":"did","event":"E","count":{"op":"at_least","n":1,"max":2}}`, []string{`"max"`}},
		{"bad date 2026-02-30", `{"kind":"did","event":"E","from":"2026-02-30","to":"2026-03-01"}`, []string{"2026-02-30"}},
		{"bad date format", `{"kind":"did","event":"E","from":"2026/02/01","to":"2026-03-01"}`, []string{"2026/02/01"}},
		{"date as number", `{"kind":"did","event":"E","from":20260201,"to":"2026-03-01"}`, []string{"from"}},
		{"fractional count", `{"kind":"did","event":"E","count":{"op":"at_least","n":1.5}}`, []string{"n"}},
		{"fractional age", `{"kind":"age","min":1.5,"max":3}`, []string{"min"}},
		{"age without max", `{"kind":"age","min":1}`, []string{"max"}},
		{"not without predicate", `{"kind":"not"}`, []string{"audience.predicate"}},
		{"not with null predicate", `{"kind":"not","predicate":null}`, []string{"audience.predicate"}},
		{"null child", `{"kind":"all","of":[null]}`, []string{"audience.of[0]"}},
		{"null", `null`, []string{"null"}},
		{"array", `[]`, []string{"audience"}},
		{"string", `"all"`, []string{"audience"}},
		{"trailing data", `{"kind":"reach","flag":"has_phone"} {}`, []string{"after"}},
		{"truncated", `{"kind":"reach","flag":"has_phone"`, []string{"audience"}},
		{"kind not a string", `{"kind":1}`, []string{"kind"}},
	}
	for _, tt := range tests {
		p, err := UnmarshalPredicate([]byte(tt.in))
		if err == nil {
			t.Errorf("%s: UnmarshalPredicate(%s) = %v, want an error", tt.name, tt.in, p)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: UnmarshalPredicate(%s) error %q does not mention %s", tt.name, tt.in, err, w)
			}
		}
	}
}

func TestPredicateJSONMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Predicate
	}{
		{"nil", nil},
		{"nil inside all", All(Flag(HasPhone), nil)},
		{"nil inside not", Not(nil)},
		{"typed nil", (*RadiusPredicate)(nil)},
		{"NaN radius", WithinRadius(math.NaN(), LatLng{0, 0})},
		{"NaN centre", WithinRadius(1, LatLng{math.NaN(), 0})},
		{"Inf value", Prop("p", Gt, math.Inf(1))},
		{"unencodable value", Prop("p", Eq, func() {})},
	}
	for _, tt := range tests {
		if b, err := MarshalPredicate(tt.p); err == nil {
			t.Errorf("%s: MarshalPredicate = %s, want an error", tt.name, b)
		}
	}
}

// ajGolden is the documented predicate JSON shape, compact, in the order
// MarshalPredicate writes fields.
const ajGolden = `{"kind":"all","of":[` +
	`{"kind":"did","event":"Product Viewed","count":{"op":"at_least","n":2},"last_days":30,"where":[{"property":"price","op":"gte","value":1000}]},` +
	`{"kind":"did_not","event":"Charged","count":{"op":"at_least","n":1},"from":"2026-11-01","to":"2026-11-30"},` +
	`{"kind":"property","property":"plan","op":"in","value":["gold","silver"]},` +
	`{"kind":"property","property":"vip","op":"exists"},` +
	`{"kind":"not","predicate":{"kind":"age","min":0,"max":17}},` +
	`{"kind":"gender","values":["female"]},` +
	`{"kind":"any","of":[{"kind":"country","values":["IN"]},{"kind":"region","country":"US","values":["CA"]},{"kind":"city","country":"IN","values":["Mumbai"]}]},` +
	`{"kind":"radius","km":25.5,"points":[{"lat":19.076,"lon":72.8777}]},` +
	`{"kind":"reach","flag":"has_phone"},` +
	`{"kind":"list","list":"beta","ids":["u1","u2"]}` +
	`]}`

func TestPredicateJSONGolden(t *testing.T) {
	p, err := UnmarshalPredicate([]byte(ajGolden))
	if err != nil {
		t.Fatalf("UnmarshalPredicate(golden): %v", err)
	}
	b, err := MarshalPredicate(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != ajGolden {
		t.Errorf("golden re-encoded differently:\ngot  %s\nwant %s", b, ajGolden)
	}
	want := All(
		Did("Product Viewed").AtLeast(2).InLastDays(30).Where("price", Gte, 1000),
		DidNot("Charged").Between(Date{2026, 11, 1}, Date{2026, 11, 30}),
		Prop("plan", In, []string{"gold", "silver"}),
		Prop("vip", Exists, nil),
		Not(AgeBetween(0, 17)),
		GenderIs(GenderFemale),
		Any(InCountry("IN"), InRegion("US", "CA"), InCity("IN", "Mumbai")),
		WithinRadius(25.5, LatLng{19.076, 72.8777}),
		Flag(HasPhone),
		InList("beta", "u1", "u2"),
	)
	if diff := cmp.Diff(want, p, ajCmpOpts); diff != "" {
		t.Errorf("golden decoded (-want +got)\n%s", diff)
	}
	if errs := p.validate("audience"); len(errs) > 0 {
		t.Errorf("golden does not validate: %v", errs)
	}
	// Whitespace and key order in the input do not matter.
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(ajGolden), "", "  "); err != nil {
		t.Fatal(err)
	}
	p2, err := UnmarshalPredicate(indented.Bytes())
	if err != nil {
		t.Fatalf("UnmarshalPredicate(indented golden): %v", err)
	}
	if diff := cmp.Diff(want, p2, ajCmpOpts); diff != "" {
		t.Errorf("indented golden decoded (-want +got)\n%s", diff)
	}
	reordered := `{"of":[{"flag":"has_phone","kind":"reach"}],"kind":"any"}`
	p3, err := UnmarshalPredicate([]byte(reordered))
	if err != nil {
		t.Fatalf("UnmarshalPredicate(%s): %v", reordered, err)
	}
	if diff := cmp.Diff(Any(Flag(HasPhone)), p3, ajCmpOpts); diff != "" {
		t.Errorf("reordered keys decoded (-want +got)\n%s", diff)
	}
}

package geo

import "testing"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"London", "london"},
		{"  New   York\t", "new york"},
		{"São Paulo", "sao paulo"},
		{"SÃO PAULO", "sao paulo"},
		{"Sa\u0303o Paulo", "sao paulo"}, // decomposed ã
		{"Montréal", "montreal"},
		{"Düsseldorf", "dusseldorf"},
		{"Ærøskøbing", "aeroskobing"},
		{"Straße", "strasse"},
		{"Łódź", "lodz"},
		{"Ðakovica", "dakovica"},
		{"İstanbul", "istanbul"},
		{"Hà Nội", "ha noi"},
		{"Đà Nẵng", "da nang"},
		{"Þórshöfn", "thorshofn"},
		{"St. John’s", "st. john's"},
		{"St. John`s", "st. john's"},
		{"Amundsen–Scott", "amundsen-scott"},
		{"Москва", "москва"},
		{"", ""},
		{" \u00a0 ", ""},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestFoldData checks that every name of the data that is written in
// the Latin script folds to plain ASCII, so none is left unmatched by an
// ASCII spelling because the fold table lacks a letter.
func TestFoldData(t *testing.T) {
	for _, r := range readRows(t) {
		k := fold(r.Name)
		for i := 0; i < len(k); i++ {
			if k[i] >= 0x80 {
				t.Errorf("fold(%q) = %q, not ASCII", r.Name, k)
				break
			}
		}
	}
}

package locate

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestStateOf(t *testing.T) {
	tests := []struct{ desc, want string }{
		{"Florida", "FL"},
		{"Miami, FL", "FL"},
		{"Washington State", "WA"},
		{"Washington D.C.", "DC"},
		{"District of Columbia", "DC"},
		{"San Antonio, TX", "TX"},
		{"Ontario", ""},
		{"Toronto, ON", ""},
		{"St. Thomas, VI", ""},
		{"United States", ""},
		{"Washington", "WA"},
		{"", ""},
	}
	for _, tt := range tests {
		got := ""
		if i := stateOf(tt.desc); i >= 0 {
			got = states[i].abbr
		}
		if got != tt.want {
			t.Errorf("stateOf(%q) = %q, want %q", tt.desc, got, tt.want)
		}
	}
}

func TestStates(t *testing.T) {
	if len(states) != 51 {
		t.Errorf("%d states, want 50 and the District of Columbia", len(states))
	}
	if len(stateIndex) != 2*51+len(stateAliases) {
		t.Errorf("stateIndex has %d keys, want %d: a name or abbreviation repeats",
			len(stateIndex), 2*51+len(stateAliases))
	}
}

// TestAreaCodes resolves every area code that has valid numbers of the
// United States. All but the non-geographic ones (listed) have a state,
// and every state has at least one area code. The counts are those of
// the data of phonenumbers v1.8.1; an upgrade that changes them should
// be looked at.
func TestAreaCodes(t *testing.T) {
	nonGeographic := []uint64{500, 521, 522, 525, 526, 527, 528, 529, 532,
		533, 544, 566, 577, 588, 800, 833, 844, 855, 866, 877, 888, 900}
	var none []uint64
	withState := 0
	seen := make(map[string]bool)
	for npa := uint64(200); npa <= 999; npa++ {
		num, err := phonenumbers.Parse(fmt.Sprintf("+1%d5550100", npa), "ZZ")
		if err != nil || phonenumbers.GetRegionCodeForNumber(num) != "US" ||
			!phonenumbers.IsValidNumber(num) {
			continue
		}
		if s := usSubdivision(num); s == "" {
			none = append(none, npa)
		} else {
			withState++
			seen[s] = true
		}
	}
	if !slices.Equal(none, nonGeographic) {
		t.Errorf("area codes without a state: %v, want %v", none, nonGeographic)
	}
	if withState != 356 {
		t.Errorf("%d area codes with a state, want 356", withState)
	}
	for _, s := range states {
		if !seen["US-"+s.abbr] {
			t.Errorf("no area code in %s", s.name)
		}
	}
}

package locate

import "testing"

func TestLoadable(t *testing.T) {
	requireZones(t)
	tests := []struct {
		name string
		want bool
	}{
		{"", false},
		{"Local", false},
		{"UTC", true},
		{"Europe/Paris", true},
		{"Europe/Paris", true}, // from the cache
		{"Not/AZone", false},
		{"Not/AZone", false},
		{"../../etc/passwd", false},
	}
	for _, tt := range tests {
		if got := loadable(tt.name); got != tt.want {
			t.Errorf("loadable(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCurrent(t *testing.T) {
	requireZones(t)
	for from, to := range renamed {
		if got := current(from); got != to {
			t.Errorf("current(%q) = %q, want %q", from, got, to)
		}
		if got := current(to); got != to {
			t.Errorf("current(%q) = %q, want it unchanged", to, got)
		}
	}
	if got := current("Europe/London"); got != "Europe/London" {
		t.Errorf("current(Europe/London) = %q, want it unchanged", got)
	}
	if got := current("Etc/Nowhere"); got != "" {
		t.Errorf("current(Etc/Nowhere) = %q, want \"\"", got)
	}
}

package rules_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/us"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/rules"
)

func date(y int, m time.Month, d int) signedcall.Date {
	return signedcall.Date{Year: y, Month: m, Day: d}
}

func TestCalendarHoliday(t *testing.T) {
	federal := rules.Calendar("US federal", us.Holidays...)
	national := rules.Calendar("AU", au.NewYear, au.AustraliaDay, au.ChristmasDay, au.BoxingDay)
	tests := []struct {
		name     string
		c        signedcall.HolidayCalendar
		d        signedcall.Date
		wantName string
		wantOK   bool
	}{
		// 4 July 2026 is a Saturday, observed on Friday 3 July.
		{"us", federal, date(2026, time.July, 2), "", false},
		{"us", federal, date(2026, time.July, 3), "Independence Day (observed)", true},
		{"us", federal, date(2026, time.July, 4), "Independence Day", true},
		{"us", federal, date(2026, time.July, 5), "", false},
		{"us", federal, date(2026, time.July, 6), "", false},
		// A weekday holiday is not moved.
		{"us", federal, date(2026, time.December, 25), "Christmas Day", true},
		{"us", federal, date(2026, time.December, 24), "", false},
		// Juneteenth 2027 is a Saturday.
		{"us", federal, date(2027, time.June, 18), "Juneteenth (observed)", true},
		// 1 January 2022 and 2028 are Saturdays, observed the year before.
		{"us", federal, date(2021, time.December, 31), "New Year's Day (observed)", true},
		{"us", federal, date(2022, time.January, 1), "New Year's Day", true},
		{"us", federal, date(2027, time.December, 31), "New Year's Day (observed)", true},
		// Floating holidays.
		{"us", federal, date(2026, time.November, 26), "Thanksgiving Day", true},
		{"us", federal, date(2026, time.January, 19), "Martin Luther King Jr. Day", true},
		// Australia moves weekend holidays to the following weekdays.
		{"au", national, date(2026, time.December, 26), "Boxing Day", true},
		{"au", national, date(2026, time.December, 28), "Boxing Day (observed)", true},
		{"au", national, date(2027, time.December, 27), "Christmas Day (observed)", true},
		{"au", national, date(2027, time.December, 28), "Boxing Day (observed)", true},
		{"au", national, date(2026, time.January, 26), "Australia Day", true},
		{"au", national, date(2026, time.January, 27), "", false},
		{"au", national, date(2028, time.January, 3), "New Year's Day (observed)", true},
	}
	for _, tt := range tests {
		name, ok := tt.c.Holiday(tt.d)
		if name != tt.wantName || ok != tt.wantOK {
			t.Errorf("%s Holiday(%s) = %q, %v; want %q, %v", tt.name, tt.d, name, ok, tt.wantName, tt.wantOK)
		}
	}
}

func TestCalendarSkipsNilAndEmpty(t *testing.T) {
	c := rules.Calendar("mixed", nil, us.ChristmasDay, &cal.Holiday{Name: "no rule"})
	if name, ok := c.Holiday(date(2026, time.December, 25)); name != "Christmas Day" || !ok {
		t.Errorf("Holiday(2026-12-25) = %q, %v; want \"Christmas Day\", true", name, ok)
	}
	if _, ok := rules.Calendar("empty").Holiday(date(2026, time.December, 25)); ok {
		t.Errorf("empty calendar Holiday(2026-12-25) = true, want false")
	}
	if _, ok := c.Holiday(signedcall.Date{}); ok {
		t.Errorf("Holiday(zero date) = true, want false")
	}
	if s := fmt.Sprint(c); s != "mixed" {
		t.Errorf("String() = %q, want \"mixed\"", s)
	}
}

// Many goroutines asking about many years at once, past the cache's
// size, must agree with the answers above; run with -race.
func TestCalendarConcurrent(t *testing.T) {
	c := rules.Calendar("US federal", us.Holidays...)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				y := 2000 + (g*7+i)%40
				if _, ok := c.Holiday(date(y, time.December, 25)); !ok {
					t.Errorf("Holiday(%d-12-25) = false, want true", y)
					return
				}
				if _, ok := c.Holiday(date(y, time.December, 20)); ok {
					t.Errorf("Holiday(%d-12-20) = true, want false", y)
					return
				}
			}
		}()
	}
	wg.Wait()
}

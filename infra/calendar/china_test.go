package calendar_test

import (
	"testing"
	"time"

	"helpdesk/infra/calendar"
)

var shanghai = time.FixedZone("CST", 8*3600)

func day(y int, m time.Month, d, hour int) time.Time {
	return time.Date(y, m, d, hour, 0, 0, 0, shanghai)
}

func TestChina_IsWorkingDay(t *testing.T) {
	tests := []struct {
		name string
		date time.Time
		want bool
	}{
		{"ordinary Tuesday", day(2025, 9, 23, 10), true},
		{"ordinary Saturday", day(2025, 9, 27, 10), false},
		{"adjusted working Sunday before National Day 2025", day(2025, 9, 28, 10), true},
		{"National Day 2025", day(2025, 10, 1, 10), false},
		{"National Day holiday, Wednesday 2025-10-08", day(2025, 10, 8, 10), false},
		{"adjusted working Saturday 2025-10-11", day(2025, 10, 11, 10), true},
		{"Spring Festival 2026 (Tuesday 2026-02-17)", day(2026, 2, 17, 10), false},
		{"National Day 2026", day(2026, 10, 1, 10), false},
		{"New Year's Day 2026", day(2026, 1, 1, 10), false},
		// 2025-10-01 00:30 in Shanghai is 2025-09-30 16:30 UTC: the date is
		// taken in Shanghai.
		{"UTC time on a Shanghai holiday", time.Date(2025, 9, 30, 16, 30, 0, 0, time.UTC), false},
	}
	c := calendar.NewChina()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.IsWorkingDay(tt.date); got != tt.want {
				t.Fatalf("IsWorkingDay(%s) = %v, want %v", tt.date.Format("2006-01-02 Mon"), got, tt.want)
			}
		})
	}
}

func TestChina_AddWorkingDays(t *testing.T) {
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"zero days", day(2025, 9, 30, 10), 0, day(2025, 9, 30, 10)},
		{"over a weekend", day(2025, 9, 19, 15), 1, day(2025, 9, 22, 15)},
		{"onto an adjusted working Sunday", day(2025, 9, 26, 9), 1, day(2025, 9, 28, 9)},
		{"over the National Day holiday", day(2025, 9, 30, 10), 1, day(2025, 10, 9, 10)},
		{"from inside the holiday", day(2025, 10, 3, 10), 1, day(2025, 10, 9, 10)},
		{"onto the adjusted Saturday after it", day(2025, 10, 9, 10), 2, day(2025, 10, 11, 10)},
		{"ten working days (recording retention)", day(2025, 9, 26, 10), 10, day(2025, 10, 16, 10)},
	}
	c := calendar.NewChina()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.AddWorkingDays(tt.from, tt.n); !got.Equal(tt.want) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestChina_WorkingDaysBetween(t *testing.T) {
	c := calendar.NewChina()
	if got := c.WorkingDaysBetween(day(2025, 9, 30, 10), day(2025, 10, 9, 10)); got != 1 {
		t.Fatalf("working days from 2025-09-30 to 2025-10-09 = %d, want 1", got)
	}
	if got := c.WorkingDaysBetween(day(2025, 10, 9, 10), day(2025, 9, 30, 10)); got != 0 {
		t.Fatalf("backwards = %d, want 0", got)
	}
	from := day(2025, 9, 26, 10)
	if got := c.WorkingDaysBetween(from, c.AddWorkingDays(from, 10)); got != 10 {
		t.Fatalf("WorkingDaysBetween does not invert AddWorkingDays: %d", got)
	}
}

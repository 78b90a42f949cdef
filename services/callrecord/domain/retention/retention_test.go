package retention_test

import (
	"testing"
	"time"

	"helpdesk/contracts/problem"
	"helpdesk/infra/calendar"
	"helpdesk/services/callrecord/domain/retention"
)

var beijing = time.FixedZone("CST", 8*3600)

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, beijing)
}

// TestPolicy_keeps_recordings_ten_working_days_across_National_Day counts
// on the 2026 calendar: Mid-Autumn (25 September) and National Day (1-7
// October) are off, Saturday 10 October is an adjusted working day.
func TestPolicy_keeps_recordings_ten_working_days_across_National_Day(t *testing.T) {
	p, err := retention.NewPolicy(10, calendar.NewChina(), beijing)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		stored time.Time
		want   time.Time
	}{
		// 30 Sep, 8, 9, 10 (Saturday, worked), 12-16, 19 October: purge on the 20th.
		{"stored the Tuesday before National Day", at(2026, 9, 29, 15, 0), at(2026, 10, 20, 0, 0)},
		// Stored on a holiday: 8, 9, 10, 12-16, 19, 20 October.
		{"stored during National Day", at(2026, 10, 3, 11, 0), at(2026, 10, 21, 0, 0)},
		// Stored late the evening before Mid-Autumn: 28-30 September,
		// 8, 9, 10, 12-15 October.
		{"stored before Mid-Autumn", at(2026, 9, 24, 23, 50), at(2026, 10, 16, 0, 0)},
		{"an ordinary fortnight", at(2026, 11, 2, 9, 0), at(2026, 11, 17, 0, 0)},
	}
	for _, tt := range tests {
		if got := p.ExpiresAt(tt.stored); !got.Equal(tt.want) {
			t.Errorf("%s: expires %s, want %s", tt.name, got, tt.want)
		}
	}

	recordings := []retention.Recording{
		{CallID: "after", StoredAt: at(2026, 9, 29, 15, 0)},
		{CallID: "on-hold", StoredAt: at(2026, 9, 1, 9, 0), OnHold: true},
		{CallID: "old", StoredAt: at(2026, 9, 1, 9, 0)},
		{CallID: "recent", StoredAt: at(2026, 10, 9, 9, 0)},
	}
	for _, step := range []struct {
		now  time.Time
		want []string
	}{
		{at(2026, 10, 19, 23, 59), []string{"old"}},
		{at(2026, 10, 20, 0, 0), []string{"old", "after"}},
		{at(2027, 1, 1, 0, 0), []string{"old", "after", "recent"}},
	} {
		var got []string
		for _, r := range p.Due(recordings, step.now) {
			got = append(got, r.CallID)
		}
		if len(got) != len(step.want) {
			t.Fatalf("at %s: due %v, want %v", step.now, got, step.want)
		}
		for i := range got {
			if got[i] != step.want[i] {
				t.Fatalf("at %s: due %v, want %v", step.now, got, step.want)
			}
		}
	}
}

func TestNewPolicy_refuses_fewer_than_ten_working_days(t *testing.T) {
	for _, days := range []int{-1, 0, 9} {
		if _, err := retention.NewPolicy(days, calendar.NewChina(), beijing); problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("%d working days: %v, want a validation problem", days, err)
		}
	}
	p, err := retention.NewPolicy(15, calendar.NewChina(), beijing)
	if err != nil || p.WorkingDays() != 15 {
		t.Errorf("15 working days: %v %v", p, err)
	}
}

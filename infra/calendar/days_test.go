package calendar_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpdesk/infra/calendar"
)

// TestLoad_a_holidays_file_adds_a_year makes 2027's first days a
// holiday and a weekend a working day with a file, as a deployment does
// for a year the library does not know, and leaves other days alone.
func TestLoad_a_holidays_file_adds_a_year(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holidays.txt")
	file := "# 2027 — 国务院办公厅通知\n\n2027-01-01 off 元旦\n2027-01-04 off 元旦调休\n2027-01-09 work 调休上班\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date time.Time
		want bool
	}{
		{day(2027, 1, 1, 10), false},  // a Friday, off by the file
		{day(2027, 1, 4, 10), false},  // a Monday, off by the file
		{day(2027, 1, 9, 10), true},   // a Saturday, working by the file
		{day(2027, 1, 5, 10), true},   // an ordinary Tuesday
		{day(2027, 1, 10, 10), false}, // an ordinary Sunday
		{day(2025, 10, 1, 10), false}, // the library's data still counts
	}
	for _, tt := range tests {
		if got := c.IsWorkingDay(tt.date); got != tt.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date.Format("2006-01-02 Mon"), got, tt.want)
		}
	}
	// Counting over the file's days: from Thursday 2026-12-31, the 1st
	// working day is Tuesday 2027-01-05 and the 5th Saturday 2027-01-09.
	for n, want := range map[int]time.Time{1: day(2027, 1, 5, 9), 4: day(2027, 1, 8, 9), 5: day(2027, 1, 9, 9)} {
		if got := c.AddWorkingDays(day(2026, 12, 31, 9), n); !got.Equal(want) {
			t.Errorf("%d working days after 2026-12-31: %s, want %s", n, got, want)
		}
	}
	if plain := calendar.NewChina(); !plain.IsWorkingDay(day(2027, 1, 4, 10)) {
		t.Errorf("without the file 2027-01-04 should be an ordinary Monday")
	}
}

func TestParseDays_refuses_malformed_lines_with_their_number(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"2027-01-01", "line 1"},
		{"# ok\n2027-13-01 off", "line 2: \"2027-13-01\" is not a date"},
		{"2027-01-01 holiday", "neither off nor work"},
	} {
		_, err := calendar.ParseDays(strings.NewReader(tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDays(%q) = %v, want an error with %q", tt.file, err, tt.want)
		}
	}
	if _, err := calendar.Load(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("a missing holidays file is not an error")
	}
}

package calendar

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Date is a day of the calendar, without a time or a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats the date as 2027-01-01.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Day is a day whose status the deployment sets: a holiday (Work false)
// or an adjusted working day on a weekend (Work true).
type Day struct {
	Date Date
	Work bool
	Name string
}

// ParseDays reads a holidays file: one day per line, "YYYY-MM-DD off" for
// a day off or "YYYY-MM-DD work" for an adjusted working day, then an
// optional name; blank lines and lines starting with # are skipped.
// Copying the State Council's notice for a year into such a file is how a
// deployment adds a year the library does not know yet, with no new
// build:
//
//	# 2027 — 国务院办公厅关于2027年部分节假日安排的通知
//	2027-01-01 off 元旦
//	2027-02-06 work 春节调休
func ParseDays(r io.Reader) ([]Day, error) {
	var days []Day
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark, as Windows editors write
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, fmt.Errorf("line %d: want \"YYYY-MM-DD off|work [name]\", got %q", n, line)
		}
		t, err := time.Parse(time.DateOnly, fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is not a date like 2027-01-01", n, fields[0])
		}
		var work bool
		switch fields[1] {
		case "off":
		case "work":
			work = true
		default:
			return nil, fmt.Errorf("line %d: %q is neither off nor work", n, fields[1])
		}
		days = append(days, Day{Date: DateOf(t), Work: work, Name: strings.Join(fields[2:], " ")})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read holidays: %w", err)
	}
	return days, nil
}

// Load returns the calendar of mainland China with the days of the
// holidays file at path, if one is given.
func Load(path string) (*China, error) {
	c := NewChina()
	if path == "" {
		return c, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("holidays file: %w", err)
	}
	defer f.Close()
	days, err := ParseDays(f)
	if err != nil {
		return nil, fmt.Errorf("holidays file %s: %w", path, err)
	}
	return c.WithDays(days), nil
}

// Package calendar counts Chinese working days: Monday to Friday, minus
// statutory holidays, plus the adjusted working days (调休) on weekends,
// from the holiday data of github.com/6tail/lunar-go, which the State
// Council's yearly notice is added to, and from a holidays file of the
// deployment's own (see ParseDays) for a year the library does not have
// yet. SLA deadlines, auto-close and retention periods all count days
// with it.
package calendar

import (
	"time"
	_ "time/tzdata" // Asia/Shanghai even on machines without tzdata

	"github.com/6tail/lunar-go/HolidayUtil"
)

// China is the working-day calendar of mainland China. Dates are taken in
// Asia/Shanghai, whatever the location of the times passed in.
type China struct {
	loc *time.Location
	// days are the deployment's own days, which take precedence over the
	// library's: true for a working day.
	days map[Date]bool
}

// NewChina returns the calendar with the library's data only.
func NewChina() *China {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &China{loc: loc}
}

// WithDays returns the calendar with the given days (from a holidays
// file) taking precedence over the library's data.
func (c *China) WithDays(days []Day) *China {
	out := &China{loc: c.loc, days: map[Date]bool{}}
	for d, work := range c.days {
		out.days[d] = work
	}
	for _, d := range days {
		out.days[d.Date] = d.Work
	}
	return out
}

// IsWorkingDay reports whether the date of t (in Asia/Shanghai) is a working
// day: a statutory holiday is off even on a weekday, an adjusted working day
// is on even at a weekend.
func (c *China) IsWorkingDay(t time.Time) bool {
	d := t.In(c.loc)
	if work, ok := c.days[DateOf(d)]; ok {
		return work
	}
	if h := HolidayUtil.GetHolidayByYmd(d.Year(), int(d.Month()), d.Day()); h != nil {
		return h.IsWork()
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// AddWorkingDays returns the same wall-clock time (in Asia/Shanghai) on the
// n-th working day after t's date; the day of t itself never counts, whether
// or not it is a working day. n <= 0 returns t.
func (c *China) AddWorkingDays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	d := t.In(c.loc)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d.In(t.Location())
}

// WorkingDaysBetween counts the working days after from's date up to and
// including to's date (0 when to is not after from).
func (c *China) WorkingDaysBetween(from, to time.Time) int {
	a, b := from.In(c.loc), to.In(c.loc)
	end := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, c.loc)
	n := 0
	for d := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, c.loc).AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

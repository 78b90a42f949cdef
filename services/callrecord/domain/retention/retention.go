// Package retention decides when a call recording may be purged. The
// source document asks that recordings be kept at least 10 working days
// for accountability; days are counted on the Chinese working-day calendar
// (public holidays off, adjusted weekend working days on). A recording
// linked to an open ticket or complaint is on hold and is never purged
// while it is. Call metadata and events are not this package's concern:
// they are never purged.
package retention

import (
	"fmt"
	"slices"
	"time"

	"helpdesk/contracts/problem"
)

// MinimumWorkingDays is the shortest retention the hotline may be
// configured with.
const MinimumWorkingDays = 10

// Calendar counts working days (infra/calendar.China is one).
type Calendar interface {
	// AddWorkingDays returns the same wall-clock time on the n-th working
	// day after t's date.
	AddWorkingDays(t time.Time, n int) time.Time
}

// Policy is how long recordings are kept.
type Policy struct {
	workingDays int
	cal         Calendar
	loc         *time.Location // where a day begins
}

// NewPolicy returns a policy keeping recordings workingDays working days,
// counted on cal with days beginning in loc. Fewer than
// MinimumWorkingDays is refused: start-up should stop with the message.
func NewPolicy(workingDays int, cal Calendar, loc *time.Location) (Policy, error) {
	if workingDays < MinimumWorkingDays {
		return Policy{}, problem.Validation(problem.FieldError{Field: "recording_retention_working_days",
			Message: fmt.Sprintf("is %d; recordings must be kept at least %d working days", workingDays, MinimumWorkingDays)})
	}
	return Policy{workingDays: workingDays, cal: cal, loc: loc}, nil
}

// WorkingDays is the retention in working days.
func (p Policy) WorkingDays() int { return p.workingDays }

// ExpiresAt is when a recording stored at stored may be purged: the start
// of the day after the policy's last working day, so that the day of
// storage never counts and every working day counts whole.
func (p Policy) ExpiresAt(stored time.Time) time.Time {
	last := p.cal.AddWorkingDays(stored.In(p.loc), p.workingDays).In(p.loc)
	return time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, p.loc)
}

// Recording is what a purge needs to know of a stored recording.
type Recording struct {
	CallID   string
	StoredAt time.Time
	// OnHold tells that the call is linked to an open ticket or complaint.
	OnHold bool
}

// Due lists, in order of storage, the recordings that may be purged at
// now: expired and not on hold.
func (p Policy) Due(recordings []Recording, now time.Time) []Recording {
	var out []Recording
	for _, r := range recordings {
		if !r.OnHold && !now.Before(p.ExpiresAt(r.StoredAt)) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Recording) int { return a.StoredAt.Compare(b.StoredAt) })
	return out
}

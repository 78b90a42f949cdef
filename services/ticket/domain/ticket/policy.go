package ticket

import (
	"errors"
	"fmt"
	"time"

	"helpdesk/contracts/ticketapi"
)

// Calendar counts working days (a Chinese calendar with statutory holidays
// and adjusted working days in production).
type Calendar interface {
	// AddWorkingDays returns the same wall-clock time n working days later.
	AddWorkingDays(t time.Time, n int) time.Time
}

// Duration is a span of either calendar hours or working days; exactly one
// is set.
type Duration struct {
	Hours       int
	WorkingDays int
}

// After returns t plus the duration.
func (d Duration) After(t time.Time, cal Calendar) time.Time {
	if d.WorkingDays > 0 {
		return cal.AddWorkingDays(t, d.WorkingDays)
	}
	return t.Add(time.Duration(d.Hours) * time.Hour)
}

func (d Duration) valid() bool {
	return (d.Hours > 0) != (d.WorkingDays > 0) && d.Hours >= 0 && d.WorkingDays >= 0
}

// SLATarget is the service level of one priority.
type SLATarget struct {
	FirstResponse Duration
	Resolution    Duration
}

// Policy holds the configurable rules of the ticket lifecycle.
type Policy struct {
	// SLA is the target per priority, P1 to P4.
	SLA map[string]SLATarget
	// AutoCloseAfter is how many working days a resolved ticket waits for
	// its requester's confirmation before it closes itself.
	AutoCloseAfter int
	// ReopenWindow is how many working days after resolution a ticket can be
	// reopened.
	ReopenWindow int
}

// DefaultPolicy is the policy of a new installation: urgent incidents are
// measured in clock hours (the team is on call around the clock), the rest
// in working days.
func DefaultPolicy() Policy {
	return Policy{
		SLA: map[string]SLATarget{
			"P1": {FirstResponse: Duration{Hours: 1}, Resolution: Duration{Hours: 4}},
			"P2": {FirstResponse: Duration{Hours: 4}, Resolution: Duration{WorkingDays: 1}},
			"P3": {FirstResponse: Duration{WorkingDays: 1}, Resolution: Duration{WorkingDays: 3}},
			"P4": {FirstResponse: Duration{WorkingDays: 2}, Resolution: Duration{WorkingDays: 5}},
		},
		AutoCloseAfter: 3,
		ReopenWindow:   7,
	}
}

// Validate reports every problem with the policy.
func (p Policy) Validate() error {
	var errs []error
	for _, prio := range ticketapi.Priorities {
		t, ok := p.SLA[prio]
		if !ok {
			errs = append(errs, fmt.Errorf("no SLA target for %s", prio))
			continue
		}
		if !t.FirstResponse.valid() || !t.Resolution.valid() {
			errs = append(errs, fmt.Errorf("SLA target of %s: set either hours or working days, positive", prio))
		}
	}
	if p.AutoCloseAfter < 1 {
		errs = append(errs, errors.New("auto-close needs at least 1 working day"))
	}
	if p.ReopenWindow < 1 {
		errs = append(errs, errors.New("the reopen window needs at least 1 working day"))
	}
	return errors.Join(errs...)
}

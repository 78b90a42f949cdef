// Package call is what happens around one call after the hotline board
// has routed it: the caller's rating, the ticket opened from it, its
// recording (stored, played, purged) and the PBX's call detail records.
// The board (package acd) decides who takes the call; this aggregate keeps
// the record. It does no I/O and reads no clock.
package call

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
)

// Recording is the call's stored recording.
type Recording struct {
	Object      string
	ContentType string
	Size        int64
	SHA256      string
	KeepUntil   time.Time
	Purged      bool
}

// Call is the record of one call; New gives the record of a call that has
// no events yet.
type Call struct {
	version   uint64
	rating    int
	ticketID  string
	recording *Recording
	cdrKeys   map[string]bool
	resolved  callapi.CallResolved
}

// New returns the record of a call that has no events yet.
func New() *Call {
	return &Call{cdrKeys: map[string]bool{}}
}

// FromEvents folds a call's events, in order, into its record.
func FromEvents(evs []events.Envelope) (*Call, error) {
	c := New()
	for _, env := range evs {
		if err := c.apply(env); err != nil {
			return nil, fmt.Errorf("call event %d (%s): %w", env.AggregateVersion, env.Type, err)
		}
		c.version = env.AggregateVersion
	}
	return c, nil
}

func (c *Call) apply(env events.Envelope) error {
	switch env.Type {
	case callapi.EventCallRated:
		var p callapi.CallRated
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.rating = p.Score
	case callapi.EventTicketOpened:
		var p callapi.TicketOpened
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.ticketID = p.TicketID
	case callapi.EventRecordingStored:
		var p callapi.RecordingStored
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.recording = &Recording{Object: p.Object, ContentType: p.ContentType, Size: p.Size, SHA256: p.SHA256, KeepUntil: p.KeepUntil}
	case callapi.EventCallResolved:
		if err := env.Decode(&c.resolved); err != nil {
			return err
		}
	case callapi.EventRecordingPurged:
		if c.recording != nil {
			c.recording.Purged = true
		}
	case callapi.EventCDRIngested:
		var p callapi.CDRIngested
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.cdrKeys[p.Key] = true
	}
	return nil
}

// Version is the stream sequence of the call's last event; 0 for none.
func (c *Call) Version() uint64 { return c.version }

// Rating is the caller's score, 0 when not rated.
func (c *Call) Rating() int { return c.rating }

// TicketID is the ticket opened from the call, if any.
func (c *Call) TicketID() string { return c.ticketID }

// Recording returns the call's recording, if one was stored.
func (c *Call) Recording() (Recording, bool) {
	if c.recording == nil {
		return Recording{}, false
	}
	return *c.recording, true
}

// Rate records the caller's 1–5 score. The IVR asks once: the same score
// again (a retry) changes nothing, another score is a conflict.
func (c *Call) Rate(callID string, score int) ([]events.Payload, error) {
	if score < 1 || score > 5 {
		return nil, problem.Validation(problem.FieldError{Field: "score", Message: "must be 1 to 5"})
	}
	switch c.rating {
	case 0:
		return []events.Payload{callapi.CallRated{CallID: callID, Score: score}}, nil
	case score:
		return nil, nil
	}
	return nil, problem.New(problem.CodeConflict, "call %s was already rated %d", callID, c.rating)
}

// LinkTicket records the ticket opened from the call; a call has one.
func (c *Call) LinkTicket(callID, ticketID string) ([]events.Payload, error) {
	switch c.ticketID {
	case "":
		return []events.Payload{callapi.TicketOpened{CallID: callID, TicketID: ticketID}}, nil
	case ticketID:
		return nil, nil
	}
	return nil, problem.New(problem.CodeConflict, "call %s already has ticket %s", callID, c.ticketID)
}

// StoreRecording records the call's recording. Uploading the same audio
// again changes nothing; other audio for a call that has one is a
// conflict, so a recording cannot be replaced behind the auditors' back.
func (c *Call) StoreRecording(callID string, r Recording) ([]events.Payload, error) {
	if c.recording != nil {
		if c.recording.SHA256 == r.SHA256 && !c.recording.Purged {
			return nil, nil
		}
		return nil, problem.New(problem.CodeConflict, "call %s already has a recording (sha256 %s)", callID, c.recording.SHA256)
	}
	return []events.Payload{callapi.RecordingStored{
		CallID: callID, Object: r.Object, ContentType: r.ContentType, Size: r.Size, SHA256: r.SHA256, KeepUntil: r.KeepUntil,
	}}, nil
}

// Play records a playback of the recording: the audit trail.
func (c *Call) Play(callID, byteRange string) ([]events.Payload, error) {
	if c.recording == nil {
		return nil, problem.NotFound("recording of call", callID)
	}
	if c.recording.Purged {
		return nil, problem.New(problem.CodeNotFound, "the recording of call %s was purged when its retention period ended on %s",
			callID, c.recording.KeepUntil.Format(time.DateOnly))
	}
	return []events.Payload{callapi.RecordingPlayed{CallID: callID, Range: byteRange}}, nil
}

// Purge records that the recording's audio was deleted. It refuses before
// the retention period ends; a purged recording is not purged again.
func (c *Call) Purge(callID string, now time.Time) ([]events.Payload, error) {
	switch {
	case c.recording == nil || c.recording.Purged:
		return nil, nil
	case now.Before(c.recording.KeepUntil):
		return nil, problem.New(problem.CodeConflict, "the recording of call %s is kept until %s", callID, c.recording.KeepUntil.Format(time.RFC3339))
	}
	return []events.Payload{callapi.RecordingPurged{CallID: callID, Object: c.recording.Object, KeepUntil: c.recording.KeepUntil}}, nil
}

// Resolve records the agent's note of what the caller asked and how it
// was resolved; the same note again (a retry) changes nothing.
func (c *Call) Resolve(note callapi.CallResolved) ([]events.Payload, error) {
	note.Question, note.Resolution, note.Category = strings.TrimSpace(note.Question), strings.TrimSpace(note.Resolution), strings.TrimSpace(note.Category)
	var bad []problem.FieldError
	if n := utf8.RuneCountInString(note.Question); n == 0 || n > 200 {
		bad = append(bad, problem.FieldError{Field: "question", Message: "1 to 200 characters"})
	}
	if n := utf8.RuneCountInString(note.Resolution); n == 0 || n > 20000 {
		bad = append(bad, problem.FieldError{Field: "resolution", Message: "1 to 20000 characters"})
	}
	if utf8.RuneCountInString(note.Category) > 100 {
		bad = append(bad, problem.FieldError{Field: "category", Message: "at most 100 characters"})
	}
	if len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if note == c.resolved {
		return nil, nil
	}
	return []events.Payload{note}, nil
}

// IngestCDR records a PBX's call detail record; one already recorded
// (same key) changes nothing.
func (c *Call) IngestCDR(p callapi.CDRIngested) []events.Payload {
	if c.cdrKeys[p.Key] {
		return nil
	}
	return []events.Payload{p}
}

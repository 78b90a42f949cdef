package command

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/domain/call"
	"helpdesk/services/callrecord/domain/retention"
)

// Recordings is the recordings object store as the handlers use it
// (adapters.Recordings).
type Recordings interface {
	// Info returns an object's size and SHA-256 (lowercase hex) as the
	// store computed them; a missing object is a problem.CodeNotFound error.
	Info(ctx context.Context, object string) (size int64, sha256hex string, err error)
	// MarkPurging notes on an object that its recording is being purged,
	// so that Purging finds it should it survive the purge. A missing
	// object is no error.
	MarkPurging(ctx context.Context, object string) error
	// Purging lists the objects marked by MarkPurging that still exist.
	Purging(ctx context.Context) ([]string, error)
	// Delete deletes an object; a missing object is no error.
	Delete(ctx context.Context, object string) error
}

// RecordingObjectName is the name of a call's audio in the recordings
// store: "calls/<callapi.CallAggregateID(callID)>/<sha256 hex>". The
// gateway names the objects it puts the same way.
func RecordingObjectName(callID, sha256hex string) string {
	return "calls/" + callapi.CallAggregateID(callID) + "/" + sha256hex
}

// callOfObject returns the call aggregate id in an object name made by
// RecordingObjectName.
func callOfObject(object string) (string, bool) {
	rest, ok := strings.CutPrefix(object, "calls/")
	if !ok {
		return "", false
	}
	id, sum, ok := strings.Cut(rest, "/")
	return id, ok && id != "" && isSHA256Hex(sum)
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// Content types of recordings.
var recordingTypes = []string{"audio/wav", "audio/mpeg"}

// StoreRecordingHandler attaches uploaded audio to a call.
type StoreRecordingHandler struct {
	d      Deps
	store  Recordings
	policy retention.Policy
}

// NewStoreRecordingHandler returns the handler; the policy sets how long
// recordings are kept.
func NewStoreRecordingHandler(d Deps, store Recordings, policy retention.Policy) StoreRecordingHandler {
	d.mustBeComplete("NewStoreRecordingHandler")
	if store == nil || policy.WorkingDays() == 0 {
		panic("NewStoreRecordingHandler: nil dependency")
	}
	return StoreRecordingHandler{d: d, store: store, policy: policy}
}

// Handle records the call's recording, kept until the policy's period
// after now ends. The PBX and staff may upload. The object must be in the
// store under RecordingObjectName, and its size and SHA-256 as the store
// computed them must be those of the request. The same audio again changes
// nothing; other audio for a call that has a recording is a conflict.
func (h StoreRecordingHandler) Handle(ctx context.Context, cmd callapi.StoreRecording) (callapi.RecordingObject, error) {
	if err := mayAct(ctx, "uploading a recording", authz.CallRecordingUpload); err != nil {
		return callapi.RecordingObject{}, err
	}
	if err := checkStoreRecording(cmd); err != nil {
		return callapi.RecordingObject{}, err
	}
	size, sum, err := h.store.Info(ctx, cmd.Object)
	switch {
	case problem.CodeOf(err) == problem.CodeNotFound:
		return callapi.RecordingObject{}, problem.InvalidArgument("object", "is not in the recordings store: upload the audio first")
	case err != nil:
		return callapi.RecordingObject{}, fmt.Errorf("recording of call %s: %w", cmd.CallID, err)
	case sum != cmd.SHA256:
		return callapi.RecordingObject{}, problem.InvalidArgument("sha256", "is not the SHA-256 of the stored object ("+sum+")")
	case size != cmd.Size:
		return callapi.RecordingObject{}, problem.InvalidArgument("size", fmt.Sprintf("is %d, the stored object has %d bytes", cmd.Size, size))
	}
	rec := call.Recording{Object: cmd.Object, ContentType: cmd.ContentType, Size: size, SHA256: sum,
		KeepUntil: h.policy.ExpiresAt(h.d.Clock())}
	c, err := h.d.changeCall(ctx, cmd.CallID, func(c *call.Call) ([]events.Payload, error) {
		return c.StoreRecording(cmd.CallID, rec)
	})
	if err != nil {
		return callapi.RecordingObject{}, err
	}
	return recordingObject(c), nil
}

// checkStoreRecording checks the request before the store is asked.
func checkStoreRecording(cmd callapi.StoreRecording) error {
	var bad []problem.FieldError
	bad = problem.CheckText(bad, "call_id", cmd.CallID, 128, true, false)
	switch {
	case !isSHA256Hex(cmd.SHA256):
		bad = append(bad, problem.FieldError{Field: "sha256", Message: "must be 64 lowercase hex digits"})
	case cmd.Object != RecordingObjectName(cmd.CallID, cmd.SHA256):
		bad = append(bad, problem.FieldError{Field: "object", Message: "must be " + RecordingObjectName(cmd.CallID, cmd.SHA256)})
	}
	if !slices.Contains(recordingTypes, cmd.ContentType) {
		bad = append(bad, problem.FieldError{Field: "content_type", Message: fmt.Sprintf("must be one of %v", recordingTypes)})
	}
	if cmd.Size < 1 || cmd.Size > callapi.MaxRecordingBytes {
		bad = append(bad, problem.FieldError{Field: "size", Message: fmt.Sprintf("must be 1 to %d bytes", callapi.MaxRecordingBytes)})
	}
	if len(bad) > 0 {
		return &problem.Error{Code: problem.CodeInvalidArgument, Message: "malformed recording", Fields: bad}
	}
	return nil
}

func recordingObject(c *call.Call) callapi.RecordingObject {
	rec, _ := c.Recording()
	return callapi.RecordingObject{Object: rec.Object, ContentType: rec.ContentType, Size: rec.Size, SHA256: rec.SHA256}
}

// PlayRecordingHandler lets staff listen to a call's recording.
type PlayRecordingHandler struct{ d Deps }

// NewPlayRecordingHandler returns the handler.
func NewPlayRecordingHandler(d Deps) PlayRecordingHandler {
	d.mustBeComplete("NewPlayRecordingHandler")
	return PlayRecordingHandler{d: d}
}

// Handle records the playback (call.recording_played, whose actor is the
// listener) and answers where the audio is. Agents and admins may listen;
// nobody else, the PBX included. A purged recording is not found.
func (h PlayRecordingHandler) Handle(ctx context.Context, cmd callapi.PlayRecording) (callapi.RecordingObject, error) {
	if err := mayAct(ctx, "listening to a recording", authz.CallRecordingPlay); err != nil {
		return callapi.RecordingObject{}, err
	}
	if bad := problem.CheckText(nil, "range", cmd.Range, 200, false, false); len(bad) > 0 {
		return callapi.RecordingObject{}, &problem.Error{Code: problem.CodeInvalidArgument, Message: "malformed Range", Fields: bad}
	}
	c, err := h.d.changeCall(ctx, cmd.CallID, func(c *call.Call) ([]events.Payload, error) {
		return c.Play(cmd.CallID, cmd.Range)
	})
	if err != nil {
		return callapi.RecordingObject{}, err
	}
	return recordingObject(c), nil
}

// ExpiredRecording is a stored recording whose retention period has ended,
// as a read model lists it.
type ExpiredRecording struct {
	CallID string
	// Object is the recording's name in the recordings store.
	Object string
	// TicketID is the ticket opened from the call, if any. The purge asks
	// about the ticket the call's own record names, which a read model may
	// not show yet.
	TicketID  string
	KeepUntil time.Time
}

// ExpiredRecordings lists stored recordings that are not purged and whose
// KeepUntil is until or earlier, by KeepUntil then call, after the given
// one (the zero value: from the first), at most limit.
type ExpiredRecordings interface {
	ExpiredRecordings(ctx context.Context, until time.Time, after ExpiredRecording, limit int) ([]ExpiredRecording, error)
}

// Holds tells whether a call's recording is on hold: while the ticket
// opened from the call (ticketID, "" for none) is not closed, or a
// complaint about the call is open.
type Holds interface {
	OnHold(ctx context.Context, callID, ticketID string) (bool, error)
}

// PurgeRecordings asks to purge the recordings whose retention ended.
type PurgeRecordings struct {
	// Now is the time of the run; zero means the handler's clock.
	Now time.Time
	// Limit is how many expired recordings are listed at a time; default
	// 500. A run goes through all of them, page by page, so that
	// recordings on hold never keep those behind them from their purge.
	Limit int
}

// PurgeSummary says what a purge did.
type PurgeSummary struct {
	// Purged counts the recordings purged in this run.
	Purged int
	// OnHold counts the expired recordings kept because their call's
	// ticket is open.
	OnHold int
	// Orphans counts the objects of recordings purged earlier that were
	// still in the store (a run stopped between the event and the delete)
	// and are deleted now.
	Orphans int
}

// PurgeRecordingsHandler deletes the audio of recordings whose retention
// ended and records call.recording_purged, as the system actor
// "system:retention".
type PurgeRecordingsHandler struct {
	d       Deps
	store   Recordings
	expired ExpiredRecordings
	holds   Holds
}

// NewPurgeRecordingsHandler returns the handler.
func NewPurgeRecordingsHandler(d Deps, store Recordings, expired ExpiredRecordings, holds Holds) PurgeRecordingsHandler {
	d.mustBeComplete("NewPurgeRecordingsHandler")
	if store == nil || expired == nil || holds == nil {
		panic("NewPurgeRecordingsHandler: nil dependency")
	}
	return PurgeRecordingsHandler{d: d, store: store, expired: expired, holds: holds}
}

// Handle purges every due recording: expired by the call's own record and
// not on hold. For each it marks the object, appends call.recording_purged
// and then deletes the object, so that audio never disappears without its
// event. A run that stops after the event leaves a marked object; the next
// run deletes it first thing. A recording that cannot be purged now (a
// failed hold check, a concurrent change) is left for the next run; the
// errors of the run are joined and returned with what it did. Running it
// again, or on two replicas at once, purges nothing twice.
func (h PurgeRecordingsHandler) Handle(ctx context.Context, cmd PurgeRecordings) (PurgeSummary, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:retention", Role: identityapi.RoleSystem,
		CorrelationID: rpc.CallerFrom(ctx).CorrelationID})
	now := cmd.Now
	if now.IsZero() {
		now = h.d.Clock()
	}
	limit := cmd.Limit
	if limit <= 0 {
		limit = 500
	}
	var sum PurgeSummary
	var errs []error
	orphans, err := h.deleteOrphans(ctx)
	sum.Orphans += orphans
	if err != nil {
		errs = append(errs, err)
	}
	var after ExpiredRecording
	for {
		due, err := h.expired.ExpiredRecordings(ctx, now, after, limit)
		if err != nil {
			return sum, errors.Join(append(errs, fmt.Errorf("list expired recordings: %w", err))...)
		}
		for _, r := range due {
			if ctx.Err() != nil {
				return sum, errors.Join(append(errs, ctx.Err())...)
			}
			if err := h.purge(ctx, r.CallID, now, &sum); err != nil {
				errs = append(errs, err)
			}
		}
		if len(due) < limit {
			return sum, errors.Join(errs...)
		}
		after = due[len(due)-1]
	}
}

// purge purges the recording of one call when its record says it is due.
func (h PurgeRecordingsHandler) purge(ctx context.Context, callID string, now time.Time, sum *PurgeSummary) error {
	id := callapi.CallAggregateID(callID)
	c, _, err := h.d.Calls.Load(ctx, id)
	if err != nil {
		return fmt.Errorf("purge recording of call %s: %w", callID, err)
	}
	rec, ok := c.Recording()
	switch {
	case !ok:
		return nil
	case rec.Purged:
		// The read model has not seen the purge yet, or an earlier run
		// stopped before deleting: make sure the audio is gone.
		if err := h.store.Delete(ctx, rec.Object); err != nil {
			return fmt.Errorf("purge recording of call %s: %w", callID, err)
		}
		return nil
	case now.Before(rec.KeepUntil):
		return nil
	}
	held, err := h.holds.OnHold(ctx, callID, c.TicketID())
	if err != nil {
		return fmt.Errorf("purge recording of call %s: hold: %w", callID, err)
	}
	if held {
		sum.OnHold++
		return nil
	}
	if err := h.store.MarkPurging(ctx, rec.Object); err != nil {
		return fmt.Errorf("purge recording of call %s: %w", callID, err)
	}
	// The expected version makes the hold check hold: a ticket linked in
	// the meantime makes the append fail, and the next run looks again.
	_, err = h.d.Calls.Update(ctx, id, c.Version(), func(c *call.Call) ([]events.Payload, error) {
		return c.Purge(callID, now)
	})
	if problem.CodeOf(err) == problem.CodePreconditionFailed {
		return nil
	}
	if err != nil {
		return fmt.Errorf("purge recording of call %s: %w", callID, err)
	}
	sum.Purged++
	if err := h.store.Delete(ctx, rec.Object); err != nil {
		return fmt.Errorf("purge recording of call %s (event recorded, the next run deletes the audio): %w", callID, err)
	}
	return nil
}

// deleteOrphans deletes the marked objects whose recording is purged: the
// leftovers of a run that stopped between the event and the delete. A
// marked object whose recording is not purged (the append failed) stays:
// the read model still lists it as expired.
func (h PurgeRecordingsHandler) deleteOrphans(ctx context.Context) (int, error) {
	objects, err := h.store.Purging(ctx)
	if err != nil {
		return 0, fmt.Errorf("find recordings left half purged: %w", err)
	}
	deleted := 0
	var errs []error
	for _, object := range objects {
		id, ok := callOfObject(object)
		if !ok {
			continue
		}
		c, _, err := h.d.Calls.Load(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("recording object %s: %w", object, err))
			continue
		}
		if rec, ok := c.Recording(); !ok || !rec.Purged || rec.Object != object {
			continue
		}
		if err := h.store.Delete(ctx, object); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted++
	}
	return deleted, errors.Join(errs...)
}

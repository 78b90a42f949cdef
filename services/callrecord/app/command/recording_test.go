package command_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/calendar"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/adapters"
	"helpdesk/services/callrecord/app/command"
	"helpdesk/services/callrecord/domain/call"
	"helpdesk/services/callrecord/domain/retention"
)

// everyCallKnown is a call directory that knows every call.
type everyCallKnown struct{}

func (everyCallKnown) Known(context.Context, string) (bool, error) { return true, nil }

// holdsFunc answers whether a call's ticket holds its recording.
type holdsFunc func(ctx context.Context, ticketID string) (bool, error)

func (f holdsFunc) OnHold(ctx context.Context, _, ticketID string) (bool, error) {
	return f(ctx, ticketID)
}

// expiredList lists the recordings it holds whatever until is, so that the
// tests show the purge going by the call's own record.
type expiredList []command.ExpiredRecording

func (l *expiredList) ExpiredRecordings(_ context.Context, _ time.Time, after command.ExpiredRecording, limit int) ([]command.ExpiredRecording, error) {
	from := 0
	for i, r := range *l {
		if r.CallID == after.CallID {
			from = i + 1
		}
	}
	rest := (*l)[from:]
	return rest[:min(limit, len(rest))], nil
}

// failingDelete is the real store whose Delete fails while fail is set: a
// purge that stops between the event and the delete.
type failingDelete struct {
	*adapters.Recordings
	fail bool
}

func (f *failingDelete) Delete(ctx context.Context, object string) error {
	if f.fail {
		return errors.New("connection lost")
	}
	return f.Recordings.Delete(ctx, object)
}

type harness struct {
	t       *testing.T
	now     time.Time
	events  *eventstore.JetStream
	objects jetstream.ObjectStore
	recs    *failingDelete
	expired expiredList
	open    map[string]bool // tickets that are not closed
	holdErr error
	storeH  command.StoreRecordingHandler
	play    command.PlayRecordingHandler
	purge   command.PurgeRecordingsHandler
	deps    command.Deps
}

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, now: time.Date(2025, 9, 30, 10, 0, 0, 0, shanghai), open: map[string]bool{}}
	if h.events, err = eventstore.NewJetStream(ctx, js, subjects.ServiceCallRecord); err != nil {
		t.Fatal(err)
	}
	recordings, err := adapters.OpenRecordings(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.recs = &failingDelete{Recordings: recordings}
	if h.objects, err = js.ObjectStore(ctx, callapi.RecordingsBucket); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return h.now }
	h.deps = command.Deps{
		Calls: &aggregate.Repository[*call.Call]{
			Store: h.events, Kind: "call", Source: callapi.Source, Ref: subjects.Call,
			Rebuild: call.FromEvents, New: func(string) *call.Call { return call.New() }, Now: clock, Retries: 3,
		},
		Known: everyCallKnown{},
		Clock: clock,
	}
	policy, err := retention.NewPolicy(10, calendar.NewChina(), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	holds := holdsFunc(func(_ context.Context, ticketID string) (bool, error) { return h.open[ticketID], h.holdErr })
	h.storeH = command.NewStoreRecordingHandler(h.deps, h.recs, policy)
	h.play = command.NewPlayRecordingHandler(h.deps)
	h.purge = command.NewPurgeRecordingsHandler(h.deps, h.recs, &h.expired, holds)
	return h
}

func as(role, id string) context.Context {
	return rpc.WithCaller(context.Background(), rpc.Caller{ID: id, Role: role})
}

var (
	pbx   = as(callapi.RolePBX, "pbx-key-1")
	agent = as(identityapi.RoleAgent, "u-agent")
	admin = as(identityapi.RoleAdmin, "u-admin")
)

func sum(audio []byte) string {
	s := sha256.Sum256(audio)
	return hex.EncodeToString(s[:])
}

// upload puts audio into the object store under name (the right one when
// name is empty) and returns the request that attaches it to the call.
func (h *harness) upload(callID string, audio []byte, name string) callapi.StoreRecording {
	h.t.Helper()
	if name == "" {
		name = command.RecordingObjectName(callID, sum(audio))
	}
	if _, err := h.objects.PutBytes(context.Background(), name, audio); err != nil {
		h.t.Fatal(err)
	}
	return callapi.StoreRecording{CallID: callID, Object: name, ContentType: "audio/wav", Size: int64(len(audio)), SHA256: sum(audio)}
}

// store uploads audio and stores it as the PBX, failing the test on error.
func (h *harness) store(callID string, audio []byte) callapi.StoreRecording {
	h.t.Helper()
	req := h.upload(callID, audio, "")
	if _, err := h.storeH.Handle(pbx, req); err != nil {
		h.t.Fatalf("store recording of %s: %v", callID, err)
	}
	h.expired = append(h.expired, command.ExpiredRecording{CallID: callID, Object: req.Object})
	return req
}

func (h *harness) eventsOf(callID string) []events.Envelope {
	h.t.Helper()
	evs, err := h.events.Load(context.Background(), subjects.Call(callapi.CallAggregateID(callID)))
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) exists(object string) bool {
	h.t.Helper()
	_, _, err := h.recs.Info(context.Background(), object)
	if err != nil && problem.CodeOf(err) != problem.CodeNotFound {
		h.t.Fatal(err)
	}
	return err == nil
}

func (h *harness) runPurge() (command.PurgeSummary, error) {
	return h.purge.Handle(context.Background(), command.PurgeRecordings{})
}

func wantCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	if problem.CodeOf(err) != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func audio(fill byte, n int) []byte {
	b := make([]byte, n)
	copy(b, "RIFF\x00\x00\x00\x00WAVE")
	for i := 12; i < n; i++ {
		b[i] = fill + byte(i)
	}
	return b
}

// TestRecording_store_play_purge_across_National_Day keeps a recording
// stored on 30 September 2025 ten working days: 9, 10, 11 (the adjusted
// working Saturday), 13-17, 20 and 21 October, after the holiday of 1-8
// October. It may be purged from 22 October, not a second earlier.
func TestRecording_store_play_purge_across_National_Day(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.store("1759197600.1", audio(1, 1000))

	evs := h.eventsOf("1759197600.1")
	var stored callapi.RecordingStored
	if len(evs) != 1 || evs[0].Type != callapi.EventRecordingStored || evs[0].Decode(&stored) != nil {
		t.Fatalf("events %+v", evs)
	}
	keepUntil := time.Date(2025, 10, 22, 0, 0, 0, 0, shanghai)
	if !stored.KeepUntil.Equal(keepUntil) || stored.SHA256 != req.SHA256 || stored.Size != 1000 || stored.Object != req.Object {
		t.Fatalf("stored %+v, want kept until %s", stored, keepUntil)
	}

	h.now = time.Date(2025, 10, 9, 14, 0, 0, 0, shanghai)
	obj, err := h.play.Handle(agent, callapi.PlayRecording{CallID: "1759197600.1", Range: "bytes=0-99"})
	if err != nil {
		t.Fatal(err)
	}
	if obj != (callapi.RecordingObject{Object: req.Object, ContentType: "audio/wav", Size: 1000, SHA256: req.SHA256}) {
		t.Fatalf("play answered %+v", obj)
	}
	evs = h.eventsOf("1759197600.1")
	var played callapi.RecordingPlayed
	if len(evs) != 2 || evs[1].Type != callapi.EventRecordingPlayed || evs[1].Actor != "u-agent" || evs[1].Decode(&played) != nil ||
		played.Range != "bytes=0-99" || played.CallID != "1759197600.1" {
		t.Fatalf("playback event %+v", evs[len(evs)-1])
	}

	h.now = keepUntil.Add(-time.Second)
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{}) {
		t.Fatalf("purge the day before: %+v, %v", s, err)
	}
	if !h.exists(req.Object) || len(h.eventsOf("1759197600.1")) != 2 {
		t.Fatal("the day before its retention ends, the recording was purged")
	}

	h.now = keepUntil
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{Purged: 1}) {
		t.Fatalf("purge on the day: %+v, %v", s, err)
	}
	if h.exists(req.Object) {
		t.Fatal("the audio is still stored")
	}
	evs = h.eventsOf("1759197600.1")
	var purged callapi.RecordingPurged
	last := evs[len(evs)-1]
	if len(evs) != 3 || last.Type != callapi.EventRecordingPurged || last.Actor != "system:retention" || last.Decode(&purged) != nil ||
		purged.Object != req.Object || !purged.KeepUntil.Equal(keepUntil) {
		t.Fatalf("purge event %+v", last)
	}

	_, err = h.play.Handle(admin, callapi.PlayRecording{CallID: "1759197600.1"})
	wantCode(t, err, problem.CodeNotFound)
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{}) || len(h.eventsOf("1759197600.1")) != 3 {
		t.Fatalf("second purge: %+v, %v", s, err)
	}
}

func TestPurgeRecordings_keeps_recordings_of_open_tickets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	free := h.now
	req := h.store("held", audio(2, 500))
	if _, err := h.deps.Calls.Update(agent, callapi.CallAggregateID("held"), 0, func(c *call.Call) ([]events.Payload, error) {
		return c.LinkTicket("held", "ticket-1")
	}); err != nil {
		t.Fatal(err)
	}
	h.now = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)

	h.open["ticket-1"] = true
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{OnHold: 1}) || !h.exists(req.Object) {
		t.Fatalf("purge with the ticket open: %+v, %v", s, err)
	}
	// A recording on hold does not keep the one behind it from its purge,
	// even one at a time.
	h.now = free
	freeReq := h.store("free", audio(9, 500))
	h.now = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
	if s, err := h.purge.Handle(context.Background(), command.PurgeRecordings{Limit: 1}); err != nil ||
		s != (command.PurgeSummary{OnHold: 1, Purged: 1}) || h.exists(freeReq.Object) {
		t.Fatalf("purge one at a time behind a held recording: %+v, %v", s, err)
	}
	h.holdErr = problem.New(problem.CodeUnavailable, "no ticket service is running")
	if s, err := h.runPurge(); err == nil || s != (command.PurgeSummary{}) || !h.exists(req.Object) {
		t.Fatalf("purge without an answer about the ticket: %+v, %v", s, err)
	}
	h.holdErr = nil
	h.open["ticket-1"] = false
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{Purged: 1}) || h.exists(req.Object) {
		t.Fatalf("purge with the ticket closed: %+v, %v", s, err)
	}
}

func TestRecording_roles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.upload("roles", audio(3, 100), "")
	for _, ctx := range []context.Context{as(identityapi.RoleCustomer, "u-customer"), agent} {
		_, err := h.storeH.Handle(ctx, req) // an agent could replace the audio of their own call
		wantCode(t, err, problem.CodePermissionDenied)
	}
	if _, err := h.storeH.Handle(pbx, req); err != nil {
		t.Fatalf("the PBX uploads: %v", err)
	}
	for _, ctx := range []context.Context{pbx, as(identityapi.RoleCustomer, "u-customer"), context.Background()} {
		_, err := h.play.Handle(ctx, callapi.PlayRecording{CallID: "roles"})
		wantCode(t, err, problem.CodePermissionDenied)
	}
	if _, err := h.play.Handle(admin, callapi.PlayRecording{CallID: "roles"}); err != nil {
		t.Fatalf("an admin listens: %v", err)
	}
	if n := len(h.eventsOf("roles")); n != 2 {
		t.Fatalf("%d events, want stored and one playback", n)
	}
}

func TestStoreRecording_checks_the_stored_object(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	real, claimed := audio(4, 300), audio(5, 300)

	// The object named after the claimed audio holds other audio.
	req := h.upload("checked", real, command.RecordingObjectName("checked", sum(claimed)))
	req.SHA256 = sum(claimed)
	_, err := h.storeH.Handle(pbx, req)
	wantCode(t, err, problem.CodeInvalidArgument)

	req = h.upload("checked", real, "")
	req.Size = 299
	_, err = h.storeH.Handle(pbx, req)
	wantCode(t, err, problem.CodeInvalidArgument)

	req = h.upload("checked", real, "")
	req.Object = command.RecordingObjectName("another call", sum(real))
	_, err = h.storeH.Handle(pbx, req)
	wantCode(t, err, problem.CodeInvalidArgument) // not the call's name

	req = callapi.StoreRecording{CallID: "nothing stored", Object: command.RecordingObjectName("nothing stored", sum(claimed)),
		ContentType: "audio/wav", Size: 300, SHA256: sum(claimed)}
	_, err = h.storeH.Handle(pbx, req)
	wantCode(t, err, problem.CodeInvalidArgument) // no such object

	req = h.upload("checked", real, "")
	req.ContentType = "audio/ogg"
	_, err = h.storeH.Handle(pbx, req)
	wantCode(t, err, problem.CodeInvalidArgument)

	if evs := h.eventsOf("checked"); len(evs) != 0 {
		t.Fatalf("refused uploads recorded %d events", len(evs))
	}
}

func TestStoreRecording_same_audio_again_changes_nothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := h.store("twice", audio(7, 400))
	h.now = h.now.Add(time.Hour)
	again, err := h.storeH.Handle(admin, first)
	if err != nil || again.Object != first.Object || again.SHA256 != first.SHA256 {
		t.Fatalf("same audio again: %+v, %v", again, err)
	}
	other := h.upload("twice", audio(8, 400), "")
	_, err = h.storeH.Handle(pbx, other)
	wantCode(t, err, problem.CodeConflict)
	evs := h.eventsOf("twice")
	var stored callapi.RecordingStored
	if len(evs) != 1 || evs[0].Decode(&stored) != nil || stored.SHA256 != first.SHA256 {
		t.Fatalf("events %+v", evs)
	}
}

// TestPurgeRecordings_deletes_the_audio_a_stopped_run_left finishes a purge
// whose run recorded call.recording_purged and then lost the connection
// before deleting the audio: the read model no longer lists the recording,
// and the next run deletes the audio all the same.
func TestPurgeRecordings_deletes_the_audio_a_stopped_run_left(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.store("stopped", audio(9, 600))
	h.store("also", audio(10, 600))
	h.now = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)

	h.recs.fail = true
	s, err := h.runPurge()
	if err == nil || s.Purged != 2 {
		t.Fatalf("stopped run: %+v, %v", s, err)
	}
	if !h.exists(req.Object) || h.eventsOf("stopped")[1].Type != callapi.EventRecordingPurged {
		t.Fatal("the stopped run should have recorded the purge and kept the audio")
	}

	h.recs.fail = false
	h.expired = nil
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{Orphans: 2}) {
		t.Fatalf("next run: %+v, %v", s, err)
	}
	if h.exists(req.Object) {
		t.Fatal("the audio of the purged recording is still stored")
	}
	if n := len(h.eventsOf("stopped")); n != 2 {
		t.Fatalf("%d events, want stored and purged once", n)
	}
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{}) {
		t.Fatalf("third run: %+v, %v", s, err)
	}
}

// TestPurgeRecordings_with_a_read_model_behind deletes the audio of a
// recording that the read model still lists after its purge.
func TestPurgeRecordings_with_a_read_model_behind(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.store("behind", audio(11, 100))
	h.now = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
	if _, err := h.deps.Calls.Update(context.Background(), callapi.CallAggregateID("behind"), 0, func(c *call.Call) ([]events.Payload, error) {
		return c.Purge("behind", h.now)
	}); err != nil {
		t.Fatal(err)
	}
	if s, err := h.runPurge(); err != nil || s != (command.PurgeSummary{}) || h.exists(req.Object) {
		t.Fatalf("purge: %+v, %v; audio stored %v", s, err, h.exists(req.Object))
	}
}

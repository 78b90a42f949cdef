package eventstore_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/events"
	"helpdesk/infra/eventstore"
)

// FuzzDecodeMsg: DecodeMsg reads any headers and body without panicking,
// refuses a message without ce-id, ce-type or a valid ce-time, and gives
// back exactly the envelope EncodeMsg wrote.
func FuzzDecodeMsg(f *testing.F) {
	f.Add("0190c0de-0000-7000-8000-000000000001", "ticket.opened", "2026-10-09T10:00:00.123456789Z", "1", []byte(`{"title":"打印机"}`), int64(1_791_000_000_000_000_000))
	f.Add("id", "ticket.replied", "2026-10-09T10:00:00+08:00", "2", []byte(`{"body":"<script>alert(1)</script>"}`), int64(0))
	f.Add("", "x", "yesterday", "v1", []byte(`not json`), int64(-1))
	f.Add("id", "", "", "", []byte{0xff}, int64(1))
	f.Add("id", "t", "2026-10-09T10:00:00Z", "99999999999999999999", []byte(nil), int64(1))
	f.Fuzz(func(t *testing.T, id, typ, ceTime, schemaVersion string, data []byte, nanos int64) {
		hdr := nats.Header{}
		hdr.Set(events.HeaderID, id)
		hdr.Set(events.HeaderType, typ)
		hdr.Set(events.HeaderTime, ceTime)
		hdr.Set(events.HeaderSchemaVersion, schemaVersion)
		env, err := eventstore.DecodeMsg("helpdesk.ticket.events.t-1", hdr, data, 7)
		_, timeErr := time.Parse(time.RFC3339Nano, ceTime)
		_, versionErr := strconv.Atoi(schemaVersion)
		valid := id != "" && typ != "" && timeErr == nil && (schemaVersion == "" || versionErr == nil)
		if (err == nil) != valid {
			t.Fatalf("id %q type %q time %q version %q: err %v, want valid=%v", id, typ, ceTime, schemaVersion, err, valid)
		}
		if err == nil && (env.ID != id || env.Type != typ || env.AggregateVersion != 7 || string(env.Data) != string(data)) {
			t.Fatalf("decoded %+v from id %q type %q", env, id, typ)
		}
		if id == "" || typ == "" {
			return
		}
		sv, _ := strconv.Atoi(schemaVersion)
		want := events.Envelope{
			ID: id, Type: typ, SchemaVersion: sv, Source: "/helpdesk/ticket", AggregateType: "ticket", AggregateID: typ + id,
			AggregateVersion: 9, OccurredAt: time.Unix(0, nanos).UTC(), Actor: ceTime, CorrelationID: schemaVersion,
			IdempotencyKey: id, TraceParent: typ, Data: data,
		}
		msg := eventstore.EncodeMsg("helpdesk.ticket.events.t-1", want)
		got, err := eventstore.DecodeMsg(msg.Subject, msg.Header, msg.Data, 9)
		if err != nil {
			t.Fatalf("decode what EncodeMsg wrote for %+v: %v", want, err)
		}
		if len(want.Data) == 0 {
			want.Data = got.Data // nil and empty are the same body on the wire
		}
		if !got.OccurredAt.Equal(want.OccurredAt) {
			t.Fatalf("occurred_at %v, want %v", got.OccurredAt, want.OccurredAt)
		}
		got.OccurredAt = want.OccurredAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip\n got  %+v\n want %+v", got, want)
		}
	})
}

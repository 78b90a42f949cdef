package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/services/callrecord/adapters"
)

// TestHolds_an_open_complaint_holds_the_recording: the satisfaction
// follow-up of a call's unhappy rating holds its recording until a
// supervisor completes it; other calls are not held.
func TestHolds_an_open_complaint_holds_the_recording(t *testing.T) {
	ctx := context.Background()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(ctx, js, subjects.ServiceCallRecord, subjects.ServiceSatisfaction)
	if err != nil {
		t.Fatal(err)
	}
	holds := adapters.Holds{Conn: nc, Store: store}
	id := satapi.FollowUpFor(satapi.SurveyForCall("c-1"))
	ref := subjects.FollowUp(id)
	appendEvent := func(p events.Payload, version uint64) {
		env, err := events.New(satapi.Source, satapi.AggregateFollowUp, id, p, time.Now(), events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(ctx, ref, []events.Envelope{env}, eventstore.AppendOptions{ExpectedVersion: version}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, call string, want bool) {
		t.Helper()
		if got, err := holds.OnHold(ctx, call, ""); err != nil || got != want {
			t.Fatalf("%s: %s on hold %v, %v; want %v", when, call, got, err, want)
		}
	}
	check("no complaint", "c-1", false)
	appendEvent(satapi.FollowUpOpened{SurveyID: satapi.SurveyForCall("c-1"), CallID: "c-1", Reason: satapi.ReasonLowScore, Score: 1, DueAt: time.Now()}, 0)
	check("complaint open", "c-1", true)
	check("complaint open about another call", "c-2", false)
	evs, err := store.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	appendEvent(satapi.FollowUpCompleted{Contact: "电话", Outcome: "已解决"}, evs[len(evs)-1].AggregateVersion)
	check("complaint completed", "c-1", false)
}

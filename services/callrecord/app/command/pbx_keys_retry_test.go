package command_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/app/command"
	"helpdesk/services/callrecord/domain/pbxkey"
)

// TestPBXKeys_retried_creation_never_answers_a_secret_that_does_not_work:
// a create retried with the same idempotency key lands on the key the first
// attempt stored; its secret is kept nowhere, so the retry is a conflict
// rather than an answer with a new secret that would not verify.
func TestPBXKeys_retried_creation_never_answers_a_secret_that_does_not_work(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := eventstore.NewJetStream(ctx, js, subjects.ServiceCallRecord)
	if err != nil {
		t.Fatal(err)
	}
	h := command.NewPBXKeysHandler(&aggregate.Repository[*pbxkey.Key]{
		Store: store, Kind: "PBX key", Source: callapi.Source, Ref: subjects.PBXKey, Rebuild: pbxkey.FromEvents, Retries: 5,
	})
	admin := rpc.WithCaller(ctx, rpc.Caller{ID: "admin-1", Role: "admin", IdempotencyKey: "admin-1:create-key-1"})
	first, err := h.Create(admin, callapi.CreateKey{Name: "pbx-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Create(admin, callapi.CreateKey{Name: "pbx-a"}); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("retried create: %v, want a conflict", err)
	}
	system := rpc.WithCaller(ctx, rpc.Caller{ID: "system:gateway", Role: "system"})
	if _, err := h.Verify(system, callapi.VerifyKey{Key: first.Key}); err != nil {
		t.Errorf("the first answer's key does not verify: %v", err)
	}
}

package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/events"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

// TestMetadata_carries_the_request: the caller's role, client address and
// request id travel with a request and become the metadata of the events
// the service writes; an internal caller without a role is "system".
func TestMetadata_carries_the_request(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	svc, err := rpc.NewService(nc, rpc.ServiceConfig{Name: "meta", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	if err := rpc.Register(svc, "md", func(ctx context.Context, _ struct{}) (events.Metadata, error) {
		return rpc.Metadata(ctx), nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller rpc.Caller
		want   events.Metadata
	}{
		{"user over HTTP", rpc.Caller{ID: "u1", Role: "agent", SourceIP: "2001:db8::7", RequestID: "r1", CorrelationID: "c1"},
			events.Metadata{Actor: "u1", ActorRole: "agent", SourceIP: "2001:db8::7", RequestID: "r1", CorrelationID: "c1"}},
		{"scheduler", rpc.Caller{ID: "system:deadlines", Role: "system"},
			events.Metadata{Actor: "system:deadlines", ActorRole: "system"}},
		{"internal caller without a role", rpc.Caller{ID: "system:cli"},
			events.Metadata{Actor: "system:cli", ActorRole: "system"}},
		{"user without a role stays without", rpc.Caller{ID: "u2"}, events.Metadata{Actor: "u2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rpc.Call[events.Metadata](rpc.WithCaller(context.Background(), tt.caller), nc, "helpdesk.meta.md", struct{}{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.CausationID) != 36 {
				t.Errorf("causation id %q: want the request's command id", got.CausationID)
			}
			got.CausationID = ""
			if got != tt.want {
				t.Fatalf("metadata\n got  %+v\n want %+v", got, tt.want)
			}
		})
	}
}

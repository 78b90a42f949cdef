package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"helpdesk/services/identity/adapters/password"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/service"
)

// TestIdentity runs the service on an embedded NATS server and talks to it
// over NATS, as the gateway does.
func TestIdentity(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceIdentity)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Start(service.Config{Conn: nc, Store: store, Argon2: password.Params{MemoryKiB: 1024, Time: 1},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	ctx := context.Background()

	pw, err := svc.EnsureAdmin(ctx, "")
	if err != nil || pw == "" {
		t.Fatalf("first EnsureAdmin: %q, %v", pw, err)
	}
	if again, err := svc.EnsureAdmin(ctx, "Other-Passw0rd"); err != nil || again != "" {
		t.Fatalf("second EnsureAdmin created the admin again: %q, %v", again, err)
	}

	call := func(ctx context.Context, endpoint string, req any) (identityapi.User, error) {
		return rpc.Call[identityapi.User](ctx, nc, subjects.Endpoint(subjects.ServiceIdentity, endpoint), req)
	}
	system := rpc.WithCaller(ctx, rpc.Caller{ID: "system:gateway", Role: "system"})
	admin, err := call(system, identityapi.EndpointAuthenticate, identityapi.Authenticate{Username: "ADMIN", Password: pw})
	if err != nil || admin.Role != identityapi.RoleAdmin {
		t.Fatalf("admin login: %+v %v", admin, err)
	}
	asAdmin := rpc.WithCaller(ctx, rpc.Caller{ID: admin.ID, Role: "admin"})
	agent, err := call(asAdmin, identityapi.EndpointRegister, identityapi.RegisterUser{Username: "zhang.san", Password: "Zhang-Passw0rd", Role: "agent", DisplayName: "张三"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		ctx  context.Context
		ep   string
		req  any
		code problem.Code
	}{
		{"taken username, any case", asAdmin, identityapi.EndpointRegister, identityapi.RegisterUser{Username: "Zhang.San", Password: "Zhang-Passw0rd2", Role: "agent"}, problem.CodeConflict},
		{"agent registers", rpc.WithCaller(ctx, rpc.Caller{ID: agent.ID, Role: "agent"}), identityapi.EndpointRegister, identityapi.RegisterUser{Username: "x-user", Password: "Xuser-Passw0rd", Role: "agent"}, problem.CodePermissionDenied},
		{"wrong password", system, identityapi.EndpointAuthenticate, identityapi.Authenticate{Username: "zhang.san", Password: "nope-Passw0rd"}, problem.CodeUnauthenticated},
		{"unknown user", system, identityapi.EndpointAuthenticate, identityapi.Authenticate{Username: "nobody", Password: "nope-Passw0rd"}, problem.CodeUnauthenticated},
		{"customer reads another account", rpc.WithCaller(ctx, rpc.Caller{ID: "c-1", Role: "customer"}), identityapi.EndpointGet, identityapi.GetUser{UserID: agent.ID}, problem.CodeNotFound},
		{"not an id", asAdmin, identityapi.EndpointGet, identityapi.GetUser{UserID: "events.>"}, problem.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := call(tt.ctx, tt.ep, tt.req); problem.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
	got, err := call(rpc.WithCaller(ctx, rpc.Caller{ID: agent.ID, Role: "agent"}), identityapi.EndpointGet, identityapi.GetUser{UserID: agent.ID})
	if err != nil || got.Username != "zhang.san" || got.DisplayName != "张三" {
		t.Fatalf("get: %+v %v", got, err)
	}
}

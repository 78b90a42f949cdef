package adapters

import (
	"context"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/rpc"
)

// IdentityPeople looks people's names up in the identity service over NATS.
type IdentityPeople struct {
	Conn *nats.Conn
}

// Names returns a user's username and display name; none for an unknown
// user.
func (p IdentityPeople) Names(ctx context.Context, userID string) ([]string, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:knowledge", Role: "system", CorrelationID: rpc.CallerFrom(ctx).CorrelationID})
	u, err := rpc.Call[identityapi.User](ctx, p.Conn, subjects.Endpoint(subjects.ServiceIdentity, identityapi.EndpointGet), identityapi.GetUser{UserID: userID})
	if pe := problem.As(err); pe != nil && pe.Code == problem.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{u.Username, u.DisplayName}, nil
}

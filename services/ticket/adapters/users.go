package adapters

import (
	"context"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/rpc"
)

// IdentityDirectory looks users up in the identity service over NATS.
type IdentityDirectory struct {
	Conn *nats.Conn
}

// Role returns the role of a user, or a problem.CodeNotFound error.
func (d IdentityDirectory) Role(ctx context.Context, userID string) (string, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:ticket", Role: "system", CorrelationID: rpc.CallerFrom(ctx).CorrelationID})
	u, err := rpc.Call[identityapi.User](ctx, d.Conn, subjects.Endpoint(subjects.ServiceIdentity, identityapi.EndpointGet), identityapi.GetUser{UserID: userID})
	if err != nil {
		return "", err
	}
	return u.Role, nil
}

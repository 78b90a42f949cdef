package command

import (
	"context"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/services/callrecord/domain/pbxkey"
)

// KeyRepository stores PBX keys.
type KeyRepository = *aggregate.Repository[*pbxkey.Key]

// PBXKeysHandler creates, revokes and verifies PBX keys. Verification
// reads the key from its events each time: the gateway remembers the keys
// it verified for a few seconds, so this is seldom.
type PBXKeysHandler struct {
	keys KeyRepository
}

// NewPBXKeysHandler returns the handler.
func NewPBXKeysHandler(keys KeyRepository) PBXKeysHandler {
	if keys == nil {
		panic("NewPBXKeysHandler: nil repository")
	}
	return PBXKeysHandler{keys: keys}
}

// Create makes a key (admins); the key is in the answer only.
func (h PBXKeysHandler) Create(ctx context.Context, cmd callapi.CreateKey) (callapi.NewKey, error) {
	if err := mayAct(ctx, "creating a PBX key", authz.PBXKeyManage); err != nil {
		return callapi.NewKey{}, err
	}
	id := aggregate.IDFor(ctx)
	var key string
	k, err := h.keys.Create(ctx, id, func() ([]events.Payload, error) {
		created, secret, err := pbxkey.New(id, cmd.Name)
		key = secret
		return []events.Payload{created}, err
	})
	if err != nil {
		return callapi.NewKey{}, err
	}
	if _, secret, _ := pbxkey.Parse(key); !k.Verify(secret) {
		// A retry of a create that was stored: the secret of the first
		// answer is kept nowhere, and a new one would not work.
		return callapi.NewKey{}, problem.New(problem.CodeConflict,
			"PBX key %s was created by the first attempt of this request; its secret was shown only in that answer: revoke the key and create another if it was lost", id)
	}
	return callapi.NewKey{ID: id, Name: k.View().Name, Key: key}, nil
}

// Revoke revokes a key (admins).
func (h PBXKeysHandler) Revoke(ctx context.Context, cmd callapi.KeyTarget) (callapi.PBXKey, error) {
	if err := mayAct(ctx, "revoking a PBX key", authz.PBXKeyManage); err != nil {
		return callapi.PBXKey{}, err
	}
	k, err := h.keys.Update(ctx, cmd.ID, 0, func(k *pbxkey.Key) ([]events.Payload, error) { return k.Revoke(), nil })
	if err != nil {
		return callapi.PBXKey{}, err
	}
	return k.View(), nil
}

// Verify answers the key's description when the key is valid; any other
// key is unauthenticated, with no hint of why.
func (h PBXKeysHandler) Verify(ctx context.Context, cmd callapi.VerifyKey) (callapi.PBXKey, error) {
	invalid := problem.New(problem.CodeUnauthenticated, "the X-API-Key is invalid or revoked")
	id, secret, ok := pbxkey.Parse(cmd.Key)
	if !ok {
		return callapi.PBXKey{}, invalid
	}
	k, _, err := h.keys.Load(ctx, id)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return callapi.PBXKey{}, invalid
	}
	if err != nil {
		return callapi.PBXKey{}, err
	}
	if !k.Verify(secret) {
		return callapi.PBXKey{}, invalid
	}
	return k.View(), nil
}

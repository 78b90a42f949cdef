package command

import (
	"context"
	"sync"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/services/callrecord/domain/pbxkey"
)

// KeyRepository stores PBX keys.
type KeyRepository = *aggregate.Repository[*pbxkey.Key]

// PBXKeysHandler creates, revokes and verifies PBX keys. Every request of
// a PBX is verified, so a verified key is remembered for a few seconds
// (KeyCacheTTL) instead of being read from its events each time; a revoked
// key stops working at once on the replica that revoked it and within
// KeyCacheTTL on the others.
type PBXKeysHandler struct {
	keys  KeyRepository
	clock Clock
	cache *keyCache
}

// KeyCacheTTL is how long a verified PBX key is remembered.
const KeyCacheTTL = 5 * time.Second

// keyCache remembers verified keys by key id.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
}

type cachedKey struct {
	key     *pbxkey.Key
	expires time.Time
}

func (c *keyCache) get(id string, now time.Time) (*pbxkey.Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keys[id]
	if !ok || now.After(e.expires) {
		delete(c.keys, id)
		return nil, false
	}
	return e.key, true
}

func (c *keyCache) put(id string, k *pbxkey.Key, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) > 10_000 { // bound memory under a spray of made-up ids
		clear(c.keys)
	}
	c.keys[id] = cachedKey{key: k, expires: now.Add(KeyCacheTTL)}
}

func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, id)
}

// NewPBXKeysHandler returns the handler.
func NewPBXKeysHandler(keys KeyRepository, clock Clock) PBXKeysHandler {
	if keys == nil || clock == nil {
		panic("NewPBXKeysHandler: nil dependency")
	}
	return PBXKeysHandler{keys: keys, clock: clock, cache: &keyCache{keys: map[string]cachedKey{}}}
}

// Create makes a key (admins); the key is in the answer only.
func (h PBXKeysHandler) Create(ctx context.Context, cmd callapi.CreateKey) (callapi.NewKey, error) {
	if err := mayAct(ctx, "creating a PBX key", identityapi.RoleAdmin); err != nil {
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
	return callapi.NewKey{ID: id, Name: k.View().Name, Key: key}, nil
}

// Revoke revokes a key (admins).
func (h PBXKeysHandler) Revoke(ctx context.Context, cmd callapi.KeyTarget) (callapi.PBXKey, error) {
	if err := mayAct(ctx, "revoking a PBX key", identityapi.RoleAdmin); err != nil {
		return callapi.PBXKey{}, err
	}
	k, err := h.keys.Update(ctx, cmd.ID, 0, func(k *pbxkey.Key) ([]events.Payload, error) { return k.Revoke(), nil })
	h.cache.forget(cmd.ID)
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
	now := h.clock()
	k, ok := h.cache.get(id, now)
	if !ok {
		var err error
		k, _, err = h.keys.Load(ctx, id)
		if problem.CodeOf(err) == problem.CodeNotFound {
			return callapi.PBXKey{}, invalid
		}
		if err != nil {
			return callapi.PBXKey{}, err
		}
		h.cache.put(id, k, now)
	}
	if !k.Verify(secret) {
		return callapi.PBXKey{}, invalid
	}
	return k.View(), nil
}

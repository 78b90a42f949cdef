// Package pbxkey is the API key a PBX authenticates with. A key is
// "hpk_<key id>_<secret>"; only the SHA-256 of the secret is stored (the
// secret is 32 random bytes, so a fast hash is enough), and a revoked key
// stays revoked.
package pbxkey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
)

const prefix = "hpk_"

// Key is one PBX key.
type Key struct {
	id         string
	version    uint64
	name       string
	secretHash string
	createdAt  time.Time
	revokedAt  time.Time
}

// FromEvents folds a key's events into the key.
func FromEvents(evs []events.Envelope) (*Key, error) {
	k := &Key{}
	for _, env := range evs {
		switch env.Type {
		case callapi.EventPBXKeyCreated:
			var p callapi.PBXKeyCreated
			if err := env.Decode(&p); err != nil {
				return nil, fmt.Errorf("pbx key event %d: %w", env.AggregateVersion, err)
			}
			k.id, k.name, k.secretHash, k.createdAt = env.AggregateID, p.Name, p.SecretHash, env.OccurredAt
		case callapi.EventPBXKeyRevoked:
			k.revokedAt = env.OccurredAt
		}
		k.version = env.AggregateVersion
	}
	return k, nil
}

// Version is the stream sequence of the key's last event.
func (k *Key) Version() uint64 { return k.version }

// Revoked tells whether the key was revoked.
func (k *Key) Revoked() bool { return !k.revokedAt.IsZero() }

// View describes the key, never its secret.
func (k *Key) View() callapi.PBXKey {
	v := callapi.PBXKey{ID: k.id, Name: k.name, CreatedAt: k.createdAt}
	if k.Revoked() {
		at := k.revokedAt
		v.RevokedAt = &at
	}
	return v
}

// New makes a key for a PBX named name with the aggregate id id: the
// event to store and the key to show its creator once.
func New(id, name string) (events.Payload, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, "", problem.Validation(problem.FieldError{Field: "name", Message: "1 to 100 characters"})
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("pbx key secret: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	return callapi.PBXKeyCreated{Name: name, SecretHash: hash(secret)}, prefix + id + "_" + secret, nil
}

// Parse splits a presented key into its id and secret; ok is false when
// it does not have a key's shape.
func Parse(key string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, prefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	return id, secret, found && id != "" && secret != ""
}

// Verify tells whether secret is this key's and the key is not revoked.
func (k *Key) Verify(secret string) bool {
	if k.secretHash == "" || k.Revoked() {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash(secret)), []byte(k.secretHash)) == 1
}

// Revoke revokes the key; revoking it again changes nothing.
func (k *Key) Revoke() []events.Payload {
	if k.Revoked() {
		return nil
	}
	return []events.Payload{callapi.PBXKeyRevoked{}}
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

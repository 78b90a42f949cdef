// Package password hashes and verifies passwords: argon2id in the PHC string
// format for new hashes, and bcrypt hashes of older accounts verified until
// the next login re-hashes them.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are the argon2id parameters. The defaults are OWASP's minimum:
// 19 MiB of memory, 2 passes, 1 lane.
type Params struct {
	// MemoryKiB is the memory cost in KiB; default 19456.
	MemoryKiB uint32
	// Time is the number of passes; default 2.
	Time uint32
	// Threads is the parallelism; default 1.
	Threads uint8
}

// Lengths of salt and key, in bytes.
const (
	saltLen = 16
	keyLen  = 32
)

// WithDefaults returns p with zero fields set to the defaults.
func (p Params) WithDefaults() Params {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = 19456
	}
	if p.Time == 0 {
		p.Time = 2
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	return p
}

// Hasher hashes with argon2id and verifies argon2id and bcrypt hashes. It
// is safe for concurrent use.
type Hasher struct {
	params Params
	dummy  string
}

// NewHasher returns a hasher with params (zero fields take the defaults).
func NewHasher(params Params) (*Hasher, error) {
	h := &Hasher{params: params.WithDefaults()}
	dummy, err := h.Hash("timing-equaliser-Aa1!")
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Hash returns the PHC string of pw:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, salt and hash
// in unpadded standard base64.
func (h *Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	p := h.params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether pw matches hash, an argon2id PHC string or a
// bcrypt hash, comparing in constant time. A malformed hash matches
// nothing.
func (h *Hasher) Verify(hash, pw string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	}
	p, salt, key, err := parse(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// VerifyNothing spends the time of a Verify on a dummy hash: for unknown
// users, so that they answer as slowly as known ones.
func (h *Hasher) VerifyNothing(pw string) { h.Verify(h.dummy, pw) }

// NeedsRehash reports whether hash is not an argon2id hash with the
// hasher's parameters (e.g. a bcrypt hash).
func (h *Hasher) NeedsRehash(hash string) bool {
	p, _, _, err := parse(hash)
	return err != nil || p != h.params
}

// parse splits an argon2id PHC string.
func parse(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errors.New("unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, fmt.Errorf("argon2id parameters: %w", err)
	}
	if p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 || p.MemoryKiB > 1<<22 || p.Time > 100 {
		return Params{}, nil, nil, errors.New("argon2id parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("argon2id salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, errors.New("argon2id key malformed")
	}
	return p, salt, key, nil
}

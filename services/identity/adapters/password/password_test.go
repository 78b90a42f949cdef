package password_test

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"helpdesk/services/identity/adapters/password"
)

func TestHasher(t *testing.T) {
	h, err := password.NewHasher(password.Params{MemoryKiB: 1024, Time: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("Zhang-Passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", hash)
	}
	old, _ := bcrypt.GenerateFromPassword([]byte("Old-Passw0rd"), bcrypt.MinCost)
	other, _ := password.NewHasher(password.Params{MemoryKiB: 2048, Time: 1})
	otherHash, _ := other.Hash("Zhang-Passw0rd")
	tests := []struct {
		name   string
		hash   string
		pw     string
		ok     bool
		rehash bool
	}{
		{"right password", hash, "Zhang-Passw0rd", true, false},
		{"wrong password", hash, "Zhang-Passw0rD", false, false},
		{"old bcrypt hash", string(old), "Old-Passw0rd", true, true},
		{"old bcrypt hash, wrong password", string(old), "Old-Passw0rD", false, true},
		{"other parameters", otherHash, "Zhang-Passw0rd", true, true},
		{"malformed", "$argon2id$v=19$m=x$y$z", "x", false, true},
		{"truncated key", hash[:len(hash)-30], "Zhang-Passw0rd", false, true},
		{"empty", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Verify(tt.hash, tt.pw); got != tt.ok {
				t.Fatalf("Verify = %v, want %v", got, tt.ok)
			}
			if got := h.NeedsRehash(tt.hash); got != tt.rehash {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.rehash)
			}
		})
	}
	again, _ := h.Hash("Zhang-Passw0rd")
	if again == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

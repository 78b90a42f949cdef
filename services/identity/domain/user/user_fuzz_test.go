package user_test

import (
	"testing"

	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/user"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a user or an error, never a panic; a user that folds renders
// without its password hash.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, identityapi.UserRegistered{Username: "zhang.san", DisplayName: "张三 <img src=x onerror=alert(1)>", Role: "agent",
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}, identityapi.UserRegistered{Username: "x"})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		u, err := user.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		u.View()
	})
}

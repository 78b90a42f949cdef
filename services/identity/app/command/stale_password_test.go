package command_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/adapters/password"
	"helpdesk/services/identity/app/command"
	"helpdesk/services/identity/domain/roster"
	"helpdesk/services/identity/domain/user"
)

// racingPasswords is the real hasher; the first Verify of oldPassword
// runs meanwhile first, as a password change that lands while a login or
// a password change is checking the old password.
type racingPasswords struct {
	*password.Hasher
	oldPassword string
	meanwhile   func()
}

func (p *racingPasswords) Verify(hash, pw string) bool {
	if pw == p.oldPassword && p.meanwhile != nil {
		f := p.meanwhile
		p.meanwhile = nil
		f()
	}
	return p.Hasher.Verify(hash, pw)
}

// TestStale_password_check_after_a_concurrent_change: a login, or a
// password change, that checked the old password while an admin reset it
// must not succeed with the old password once the reset is stored.
func TestStale_password_check_after_a_concurrent_change(t *testing.T) {
	for _, name := range []string{"login", "change password"} {
		t.Run(name, func(t *testing.T) {
			_, nc := natsembed.StartForTest(t)
			js, _ := jetstream.New(nc)
			store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceIdentity)
			if err != nil {
				t.Fatal(err)
			}
			hasher, err := password.NewHasher(password.Params{MemoryKiB: 1024, Time: 1})
			if err != nil {
				t.Fatal(err)
			}
			pws := &racingPasswords{Hasher: hasher, oldPassword: "Wang-Passw0rd"}
			d := command.Deps{
				Users: &aggregate.Repository[*user.User]{Store: store, Kind: "user", Source: identityapi.Source,
					Ref: subjects.User, Rebuild: user.FromEvents, Retries: 3},
				Roster: &aggregate.Repository[*roster.Roster]{Store: store, Kind: "admin roster", Source: identityapi.Source,
					Ref: subjects.AdminRoster, Rebuild: roster.FromEvents, New: roster.New, Retries: 3},
				Passwords: pws, Policy: user.DefaultPolicy(),
			}
			ctx := context.Background()
			id := user.IDFor("wang.wu")
			if _, err := d.Users.Create(ctx, id, func() ([]events.Payload, error) {
				return user.Register(identityapi.RegisterUser{Username: "wang.wu", Password: "Wang-Passw0rd", Role: identityapi.RoleAgent}, hasher.Hash, false)
			}); err != nil {
				t.Fatal(err)
			}
			pws.meanwhile = func() {
				reset, err := hasher.Hash(command.GeneratePassword())
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := d.Users.Update(ctx, id, 0, func(u *user.User) ([]events.Payload, error) {
					return u.ResetPassword(time.Now(), reset), nil
				}); err != nil {
					t.Error(err)
				}
			}
			switch name {
			case "login":
				_, err = command.NewLoginHandler(d).Handle(ctx, identityapi.Authenticate{Username: "wang.wu", Password: "Wang-Passw0rd"})
				if problem.CodeOf(err) != problem.CodeUnauthenticated {
					t.Fatalf("login with the password reset meanwhile: %v, want the login failure", err)
				}
			default:
				ctx := rpc.WithCaller(ctx, rpc.Caller{ID: id, Role: identityapi.RoleAgent})
				_, err = command.NewChangePasswordHandler(d).Handle(ctx, identityapi.ChangePassword{CurrentPassword: "Wang-Passw0rd", NewPassword: "Fresh-Passw0rd-2"})
				if err == nil {
					t.Fatal("password change with the current password reset meanwhile succeeded")
				}
			}
			u, _, err := d.Users.Load(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if hasher.Verify(u.PasswordHash(), "Wang-Passw0rd") || hasher.Verify(u.PasswordHash(), "Fresh-Passw0rd-2") {
				t.Fatal("the admin reset was undone")
			}
		})
	}
}

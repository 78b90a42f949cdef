package user_test

import (
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/identity/domain/user"
)

func hash(pw string) (string, error) { return "hashed:" + pw, nil }

func TestRegister(t *testing.T) {
	valid := identityapi.RegisterUser{Username: "Wang.Agent", Password: "Agent-Passw0rd", Role: "agent", DisplayName: "王工", WorkNumber: "1001"}
	with := func(change func(*identityapi.RegisterUser)) identityapi.RegisterUser {
		c := valid
		change(&c)
		return c
	}
	tests := []struct {
		name   string
		cmd    identityapi.RegisterUser
		fields []string
	}{
		{"valid", valid, nil},
		{"short password", with(func(c *identityapi.RegisterUser) { c.Password = "Ab1-x" }), []string{"password"}},
		{"one kind of character", with(func(c *identityapi.RegisterUser) { c.Password = "aaaaaaaaaaaa" }), []string{"password"}},
		{"two kinds", with(func(c *identityapi.RegisterUser) { c.Password = "abcdefgh1234" }), []string{"password"}},
		{"password contains the username", with(func(c *identityapi.RegisterUser) { c.Password = "Wang.Agent-99" }), []string{"password"}},
		{"bad username", with(func(c *identityapi.RegisterUser) { c.Username = "王 工" }), []string{"username"}},
		{"short username", with(func(c *identityapi.RegisterUser) { c.Username = "ab" }), []string{"username"}},
		{"unknown role", with(func(c *identityapi.RegisterUser) { c.Role = "root" }), []string{"role"}},
		{"long display name", with(func(c *identityapi.RegisterUser) { c.DisplayName = strings.Repeat("名", 101) }), []string{"display_name"}},
		{"control character", with(func(c *identityapi.RegisterUser) { c.WorkNumber = "10\x0001" }), []string{"work_number"}},
		{"everything wrong", identityapi.RegisterUser{}, []string{"username", "password", "role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := user.Register(tt.cmd, hash, false)
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				p := evs[0].(identityapi.UserRegistered)
				if p.Username != "wang.agent" || p.PasswordHash != "hashed:Agent-Passw0rd" || p.DisplayName != "王工" {
					t.Fatalf("event %+v", p)
				}
				return
			}
			perr := problem.As(err)
			if perr == nil || perr.Code != problem.CodeValidation {
				t.Fatalf("err = %v, want validation_failed", err)
			}
			var got []string
			for _, f := range perr.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestIDFor_normalises_the_username(t *testing.T) {
	if user.IDFor(" Wang.Agent ") != user.IDFor("wang.agent") || user.IDFor("a.b") == user.IDFor("a.c") {
		t.Fatal("IDFor does not identify usernames case-insensitively")
	}
}

func TestFromEvents(t *testing.T) {
	p := identityapi.UserRegistered{Username: "li.customer", DisplayName: "李女士", Role: "customer", PasswordHash: "h"}
	env, err := events.New(identityapi.Source, "user", "u-1", p, fixed, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	env.AggregateVersion = 7
	u, err := user.FromEvents([]events.Envelope{env})
	if err != nil {
		t.Fatal(err)
	}
	v := u.View()
	if v.ID != "u-1" || v.Version != 7 || v.Username != "li.customer" || v.Role != "customer" || u.PasswordHash() != "h" {
		t.Fatalf("view %+v", v)
	}
	if _, err := user.FromEvents([]events.Envelope{{Type: "user.exploded"}}); err == nil {
		t.Fatal("unknown event accepted")
	}
}

var fixed = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Package user is the account aggregate: who a person is, their role and
// their password hash. It does no I/O; password hashing is passed in.
package user

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// Limits on account fields.
const (
	MinPassword    = 10
	MaxPassword    = 128
	MaxDisplayName = 100
	MaxWorkNumber  = 20
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// IDFor returns the account id of a username. Ids are derived from the
// normalised username, so that the event store's expected-version check on
// the new aggregate makes usernames unique without a separate index.
func IDFor(username string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:user:"+NormalizeUsername(username))).String()
}

// NormalizeUsername lower-cases and trims a username.
func NormalizeUsername(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// User is an account rebuilt from its events.
type User struct {
	id           string
	version      uint64
	username     string
	displayName  string
	role         string
	workNumber   string
	passwordHash string
	createdAt    time.Time
}

// Register validates a registration and returns the event that creates the
// account. hash turns the password into a stored hash.
func Register(cmd identityapi.RegisterUser, hash func(string) (string, error)) ([]events.Payload, error) {
	var bad []problem.FieldError
	name := NormalizeUsername(cmd.Username)
	if !usernamePattern.MatchString(name) {
		bad = append(bad, problem.FieldError{Field: "username", Message: "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	if msg := passwordProblem(cmd.Password, name); msg != "" {
		bad = append(bad, problem.FieldError{Field: "password", Message: msg})
	}
	if !validRole(cmd.Role) {
		bad = append(bad, problem.FieldError{Field: "role", Message: "must be one of admin, agent, customer"})
	}
	display := strings.TrimSpace(cmd.DisplayName)
	if utf8.RuneCountInString(display) > MaxDisplayName || hasControl(display) {
		bad = append(bad, problem.FieldError{Field: "display_name", Message: fmt.Sprintf("at most %d printable characters", MaxDisplayName)})
	}
	work := strings.TrimSpace(cmd.WorkNumber)
	if utf8.RuneCountInString(work) > MaxWorkNumber || hasControl(work) {
		bad = append(bad, problem.FieldError{Field: "work_number", Message: fmt.Sprintf("at most %d printable characters", MaxWorkNumber)})
	}
	if len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if display == "" {
		display = name
	}
	h, err := hash(cmd.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return []events.Payload{identityapi.UserRegistered{
		Username: name, DisplayName: display, Role: cmd.Role, WorkNumber: work, PasswordHash: h,
	}}, nil
}

// passwordProblem returns why a password is too weak, or "".
func passwordProblem(pw, username string) string {
	n := utf8.RuneCountInString(pw)
	if n < MinPassword || n > MaxPassword {
		return fmt.Sprintf("must be %d to %d characters", MinPassword, MaxPassword)
	}
	var classes [4]bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			classes[0] = true
		case unicode.IsUpper(r):
			classes[1] = true
		case unicode.IsDigit(r):
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	kinds := 0
	for _, c := range classes {
		if c {
			kinds++
		}
	}
	if kinds < 3 {
		return "must mix at least three of: lower-case letters, upper-case letters, digits, symbols"
	}
	if username != "" && strings.Contains(strings.ToLower(pw), username) {
		return "must not contain the username"
	}
	return ""
}

func validRole(role string) bool {
	for _, r := range identityapi.Roles {
		if r == role {
			return true
		}
	}
	return false
}

func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// FromEvents rebuilds an account from its events.
func FromEvents(evs []events.Envelope) (*User, error) {
	u := &User{}
	for _, e := range evs {
		switch e.Type {
		case identityapi.EventUserRegistered:
			var p identityapi.UserRegistered
			if err := e.Decode(&p); err != nil {
				return nil, err
			}
			u.id, u.username, u.displayName, u.role = e.AggregateID, p.Username, p.DisplayName, p.Role
			u.workNumber, u.passwordHash, u.createdAt = p.WorkNumber, p.PasswordHash, e.OccurredAt
		default:
			return nil, fmt.Errorf("user %s: unknown event type %q", e.AggregateID, e.Type)
		}
		u.version = e.AggregateVersion
	}
	return u, nil
}

// Version is the stream sequence of the account's last event.
func (u *User) Version() uint64 { return u.version }

// PasswordHash is the stored hash of the account's password.
func (u *User) PasswordHash() string { return u.passwordHash }

// View is the public view of the account.
func (u *User) View() identityapi.User {
	return identityapi.User{
		ID: u.id, Username: u.username, Role: u.role, DisplayName: u.displayName,
		WorkNumber: u.workNumber, Version: u.version, CreatedAt: u.createdAt,
	}
}

// Package user is the account aggregate: who a person is, their role, their
// password (hash, history, expiry), failed logins and lockout, and their
// sessions. It does no I/O; password hashing, clocks and random tokens are
// passed in.
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
	id          string
	version     uint64
	username    string
	displayName string
	role        string
	workNumber  string
	createdAt   time.Time
	disabled    bool

	passwordHash      string
	passwordChangedAt time.Time
	mustChange        bool
	// history holds the hashes of the last HistorySize passwords, the
	// current one last.
	history []string

	// failures are the times of wrong passwords since the last success
	// (login or password change), lock or unlock; lockedUntil is the end
	// of the last lock, which ends then with no event (Locked compares it
	// with the time).
	failures    []time.Time
	lockedUntil time.Time

	sessions map[string]*session
}

// Register validates a registration and returns the event that creates the
// account. hash turns the password into a stored hash. mustChange makes the
// user change the password at first login: set it when someone else (an
// admin, or a generated bootstrap password) chose it.
func Register(cmd identityapi.RegisterUser, hash func(string) (string, error), mustChange bool) ([]events.Payload, error) {
	var bad []problem.FieldError
	name := NormalizeUsername(cmd.Username)
	if !usernamePattern.MatchString(name) {
		bad = append(bad, problem.FieldError{Field: "username", Message: "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	if msg := passwordProblem(cmd.Password, name); msg != "" {
		bad = append(bad, problem.FieldError{Field: "password", Message: msg})
	}
	if !validRole(cmd.Role) {
		bad = append(bad, problem.FieldError{Field: "role", Message: "must be one of " + strings.Join(identityapi.Roles, ", ")})
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
		PasswordChangeRequired: mustChange,
	}}, nil
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

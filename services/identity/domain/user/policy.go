package user

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"helpdesk/contracts/problem"
)

// Password rules.
const (
	MinPassword = 8
	MaxPassword = 128
	// HistorySize is how many passwords, the current one included, a new
	// password must differ from.
	HistorySize = 5
)

// Policy holds the configurable rules of logins, lockout, password expiry
// and sessions.
type Policy struct {
	// LockoutThreshold failures within LockoutWindow lock the account for
	// LockoutDuration.
	LockoutThreshold int
	LockoutWindow    time.Duration
	LockoutDuration  time.Duration
	// PasswordMaxAge is how long a password is valid; after that the next
	// login must change it. 0 means passwords never expire.
	PasswordMaxAge time.Duration
	// IdleTimeout ends a session that was not refreshed for that long.
	IdleTimeout time.Duration
	// SessionLifetime ends every session that long after its login.
	SessionLifetime time.Duration
}

// DefaultPolicy is 5 failures in 15 minutes lock for 30 minutes; passwords
// expire after 90 days; sessions end after 30 idle minutes or 12 hours.
func DefaultPolicy() Policy {
	return Policy{
		LockoutThreshold: 5, LockoutWindow: 15 * time.Minute, LockoutDuration: 30 * time.Minute,
		PasswordMaxAge: 90 * 24 * time.Hour, IdleTimeout: 30 * time.Minute, SessionLifetime: 12 * time.Hour,
	}
}

// Validate reports every unusable setting.
func (p Policy) Validate() error {
	var errs []error
	if p.LockoutThreshold < 1 {
		errs = append(errs, errors.New("lockout threshold must be at least 1"))
	}
	if p.LockoutWindow <= 0 || p.LockoutDuration <= 0 {
		errs = append(errs, errors.New("lockout window and duration must be positive"))
	}
	if p.PasswordMaxAge < 0 {
		errs = append(errs, errors.New("password max age must not be negative"))
	}
	if p.IdleTimeout <= 0 || p.SessionLifetime <= 0 {
		errs = append(errs, errors.New("session idle timeout and lifetime must be positive"))
	}
	return errors.Join(errs...)
}

// CheckPassword returns a validation error for field when pw breaks the
// password rules: 8 to 128 characters, three of the four classes (lower,
// upper, digit, other), not containing the username.
func CheckPassword(field, pw, username string) error {
	if msg := passwordProblem(pw, NormalizeUsername(username)); msg != "" {
		return problem.Validation(problem.FieldError{Field: field, Message: msg})
	}
	return nil
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

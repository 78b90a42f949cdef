package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"helpdesk/infra/launcher"
	userdomain "helpdesk/services/identity/domain/user"
)

// authFlags are the account and session rules (等保二级): lockout,
// password expiry, token and session lifetimes.
type authFlags struct {
	// identity is set when the identity service's flags are registered.
	identity         bool
	lockoutThreshold int
	lockoutWindow    time.Duration
	lockoutDuration  time.Duration
	passwordMaxAge   int
	accessTokenTTL   time.Duration
	idleTimeout      time.Duration
}

// register adds the flags to fs; identity says whether the command runs
// the identity service (the gateway only needs the access-token TTL).
func (a *authFlags) register(fs *flag.FlagSet, identity bool) {
	d := userdomain.DefaultPolicy()
	fs.DurationVar(&a.accessTokenTTL, "access-token-ttl", envDuration("HELPDESK_ACCESS_TOKEN_TTL", 15*time.Minute), "how long an access token is valid; clients renew it with their refresh token (HELPDESK_ACCESS_TOKEN_TTL)")
	if a.identity = identity; !identity {
		return
	}
	fs.IntVar(&a.lockoutThreshold, "lockout-threshold", envInt("HELPDESK_LOCKOUT_THRESHOLD", d.LockoutThreshold), "failed logins within --lockout-window that lock an account (HELPDESK_LOCKOUT_THRESHOLD)")
	fs.DurationVar(&a.lockoutWindow, "lockout-window", envDuration("HELPDESK_LOCKOUT_WINDOW", d.LockoutWindow), "the window in which failed logins count (HELPDESK_LOCKOUT_WINDOW)")
	fs.DurationVar(&a.lockoutDuration, "lockout-duration", envDuration("HELPDESK_LOCKOUT_DURATION", d.LockoutDuration), "how long a locked account stays locked (HELPDESK_LOCKOUT_DURATION)")
	fs.IntVar(&a.passwordMaxAge, "password-max-age-days", envInt("HELPDESK_PASSWORD_MAX_AGE_DAYS", 90), "days after which a password must be changed at the next login; 0 for never (HELPDESK_PASSWORD_MAX_AGE_DAYS)")
	fs.DurationVar(&a.idleTimeout, "session-idle-timeout", envDuration("HELPDESK_SESSION_IDLE_TIMEOUT", d.IdleTimeout), "a session not refreshed for this long ends (HELPDESK_SESSION_IDLE_TIMEOUT)")
}

// auth returns the rules the flags describe.
func (a *authFlags) auth() (launcher.Auth, error) {
	if a.passwordMaxAge < 0 {
		return launcher.Auth{}, fmt.Errorf("--password-max-age-days is %d: 0 (never) or more", a.passwordMaxAge)
	}
	if a.accessTokenTTL <= 0 || a.accessTokenTTL >= a.idleTimeoutOr(time.Hour) {
		return launcher.Auth{}, fmt.Errorf("--access-token-ttl is %s: positive and shorter than --session-idle-timeout", a.accessTokenTTL)
	}
	p := userdomain.DefaultPolicy()
	if a.identity {
		p.LockoutThreshold, p.LockoutWindow, p.LockoutDuration = a.lockoutThreshold, a.lockoutWindow, a.lockoutDuration
		p.PasswordMaxAge, p.IdleTimeout = time.Duration(a.passwordMaxAge)*24*time.Hour, a.idleTimeout
		if err := p.Validate(); err != nil {
			return launcher.Auth{}, fmt.Errorf("account rules: %w", err)
		}
	}
	return launcher.Auth{Policy: p, AccessTokenTTL: a.accessTokenTTL}, nil
}

// idleTimeoutOr is the idle timeout, or def for commands without it.
func (a *authFlags) idleTimeoutOr(def time.Duration) time.Duration {
	if a.idleTimeout > 0 {
		return a.idleTimeout
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

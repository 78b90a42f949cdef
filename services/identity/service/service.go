// Package service wires the identity service: event store, application and
// NATS endpoints. `helpdesk up` and `helpdesk serve identity` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/adapters/password"
	"helpdesk/services/identity/app"
	"helpdesk/services/identity/app/command"
	"helpdesk/services/identity/app/query"
	"helpdesk/services/identity/domain/roster"
	"helpdesk/services/identity/domain/user"
	"helpdesk/services/identity/ports"
)

// Config configures the identity service.
type Config struct {
	Conn       *nats.Conn
	Store      eventstore.Store
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Argon2 are the password hashing parameters; zero fields take the
	// defaults (password.Params).
	Argon2 password.Params
	// Policy holds lockout, password expiry and session rules; zero fields
	// take the values of user.DefaultPolicy, except PasswordMaxAge, whose
	// zero means passwords never expire (the CLI's default is 90 days).
	Policy user.Policy
	// AdminSetPasswordsFinal spares accounts created by an admin the
	// password change at first login. For tests and load generation only;
	// never in production (no flag or environment variable sets it).
	AdminSetPasswordsFinal bool
	// AdminPasswordFinal spares the account "admin" created by EnsureAdmin
	// with a given password the change at first login; tests only, as
	// AdminSetPasswordsFinal.
	AdminPasswordFinal bool
	// Clock overrides time (tests); default time.Now.
	Clock func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	d := user.DefaultPolicy()
	if c.Policy.LockoutThreshold == 0 {
		c.Policy.LockoutThreshold = d.LockoutThreshold
	}
	if c.Policy.LockoutWindow == 0 {
		c.Policy.LockoutWindow = d.LockoutWindow
	}
	if c.Policy.LockoutDuration == 0 {
		c.Policy.LockoutDuration = d.LockoutDuration
	}
	if c.Policy.IdleTimeout == 0 {
		c.Policy.IdleTimeout = d.IdleTimeout
	}
	if c.Policy.SessionLifetime == 0 {
		c.Policy.SessionLifetime = d.SessionLifetime
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
}

// Validate reports every missing or unusable setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("identity: Conn is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("identity: Store is required"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("identity: %w", err))
	}
	return errors.Join(errs...)
}

// Service is a running identity service.
type Service struct {
	App app.Application
	rpc *rpc.Service
	// adminPasswordFinal is Config.AdminPasswordFinal.
	adminPasswordFinal bool
}

// Start builds the application and serves its endpoints until Stop.
func Start(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hasher, err := password.NewHasher(cfg.Argon2)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	d := command.Deps{
		Users: &aggregate.Repository[*user.User]{
			Store: cfg.Store, Kind: "user", Source: identityapi.Source,
			Ref: subjects.User, Rebuild: user.FromEvents, Now: cfg.Clock, Retries: 3,
		},
		Roster: &aggregate.Repository[*roster.Roster]{
			Store: cfg.Store, Kind: "admin roster", Source: identityapi.Source,
			Ref: subjects.AdminRoster, Rebuild: roster.FromEvents, New: roster.New, Now: cfg.Clock, Retries: 10,
		},
		Passwords: hasher, Policy: cfg.Policy, Now: cfg.Clock,
	}
	a := app.Application{
		Commands: app.Commands{
			Register:       command.NewRegisterUserHandler(d, cfg.AdminSetPasswordsFinal),
			Login:          command.NewLoginHandler(d),
			Refresh:        command.NewRefreshHandler(d),
			Logout:         command.NewLogoutHandler(d),
			ChangePassword: command.NewChangePasswordHandler(d),
			ResetPassword:  command.NewResetPasswordHandler(d),
			Unlock:         command.NewUnlockHandler(d),
			ChangeRole:     command.NewChangeRoleHandler(d),
			Disable:        command.NewDisableHandler(d),
			Enable:         command.NewEnableHandler(d),
		},
		Queries: app.Queries{User: query.NewUserHandler(d.Users)},
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceIdentity, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := ports.RegisterEndpoints(svc, a); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	return &Service{App: a, rpc: svc, adminPasswordFinal: cfg.AdminPasswordFinal}, nil
}

// Stop stops serving requests.
func (s *Service) Stop() error { return s.rpc.Stop() }

// EnsureAdmin creates the account "admin" if it does not exist yet. The
// password is the given one or, when empty, a generated one; either must be
// changed at first login (unless Config.AdminPasswordFinal). It returns the password when it created the account, and ""
// when the account existed (then it makes sure an enabled admin is on the
// admin roster, for data made before the roster).
func (s *Service) EnsureAdmin(ctx context.Context, password string) (string, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:bootstrap", Role: identityapi.RoleSystem})
	id := user.IDFor("admin")
	_, err := s.App.Queries.User.Handle(ctx, identityapi.GetUser{UserID: id})
	if err == nil {
		return "", s.App.Commands.Register.EnsureOnRoster(ctx, id)
	}
	if problem.CodeOf(err) != problem.CodeNotFound {
		return "", fmt.Errorf("look up admin: %w", err)
	}
	generated := password == ""
	if generated {
		password = command.GeneratePassword()
	}
	// A given password is as known as a generated one (it sits in an
	// environment variable or a shell history): both must be changed.
	_, err = s.App.Commands.Register.RegisterBootstrap(ctx, identityapi.RegisterUser{
		Username: "admin", Password: password, Role: identityapi.RoleAdmin, DisplayName: "Administrator",
	}, generated || !s.adminPasswordFinal)
	if problem.CodeOf(err) == problem.CodeConflict {
		return "", nil // another process created it first
	}
	if err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return password, nil
}

// Package service wires the identity service: event store, application and
// NATS endpoints. `helpdesk up` and `helpdesk serve identity` use it.
package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/app"
	"helpdesk/services/identity/app/command"
	"helpdesk/services/identity/app/query"
	"helpdesk/services/identity/domain/user"
	"helpdesk/services/identity/ports"
)

// Config configures the identity service.
type Config struct {
	Conn       *nats.Conn
	Store      eventstore.Store
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// BcryptCost is the password hashing cost; default bcrypt.DefaultCost.
	BcryptCost int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
}

// Validate reports every missing setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("identity: Conn is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("identity: Store is required"))
	}
	return errors.Join(errs...)
}

// Service is a running identity service.
type Service struct {
	App app.Application
	rpc *rpc.Service
}

// Start builds the application and serves its endpoints until Stop.
func Start(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	repo := &aggregate.Repository[*user.User]{
		Store: cfg.Store, Kind: "user", Source: identityapi.Source,
		Ref: subjects.User, Rebuild: user.FromEvents,
	}
	hash := func(pw string) (string, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), cfg.BcryptCost)
		return string(h), err
	}
	compare := func(h, pw string) bool { return bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)) == nil }
	dummy, err := hash("timing-equaliser-Aa1!")
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	a := app.Application{
		Commands: app.Commands{Register: command.NewRegisterUserHandler(repo, hash)},
		Queries: app.Queries{
			Authenticate: query.NewAuthenticateHandler(repo, compare, dummy),
			User:         query.NewUserHandler(repo),
		},
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceIdentity, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := ports.RegisterEndpoints(svc, a); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	return &Service{App: a, rpc: svc}, nil
}

// Stop stops serving requests.
func (s *Service) Stop() error { return s.rpc.Stop() }

// EnsureAdmin creates the account "admin" if it does not exist yet. The
// password is the given one or, when empty, a generated one. It returns the
// password when it created the account, and "" when the account existed.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (string, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:bootstrap", Role: "system"})
	_, err := s.App.Queries.User.Handle(ctx, identityapi.GetUser{UserID: user.IDFor("admin")})
	if err == nil {
		return "", nil
	}
	if problem.CodeOf(err) != problem.CodeNotFound {
		return "", fmt.Errorf("look up admin: %w", err)
	}
	if password == "" {
		password = GeneratePassword()
	}
	_, err = s.App.Commands.Register.Handle(ctx, identityapi.RegisterUser{
		Username: "admin", Password: password, Role: identityapi.RoleAdmin, DisplayName: "Administrator",
	})
	if problem.CodeOf(err) == problem.CodeConflict {
		return "", nil // another process created it first
	}
	if err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return password, nil
}

// GeneratePassword returns a random password that meets the password policy.
func GeneratePassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "Hd-" + base64.RawURLEncoding.EncodeToString(b) + "9a"
}

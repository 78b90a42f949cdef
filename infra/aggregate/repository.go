// Package aggregate loads and saves event-sourced aggregates: load the
// events, rebuild the aggregate, run a command on it, append the new events
// with the version that was loaded as the expected version.
package aggregate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
)

// Root is what the repository needs from an aggregate.
type Root interface {
	// Version is the stream sequence of the aggregate's last event.
	Version() uint64
}

// Repository stores one kind of aggregate in an event store.
type Repository[T Root] struct {
	// Store holds the events.
	Store eventstore.Store
	// Kind names the aggregate in error messages, e.g. "ticket".
	Kind string
	// Source is the CloudEvents source of the events, e.g. "/helpdesk/ticket".
	Source string
	// Ref maps an aggregate id to its event subject.
	Ref func(id string) subjects.Aggregate
	// Rebuild folds events (in order, with versions) into an aggregate.
	Rebuild func([]events.Envelope) (T, error)
	// Now is the clock stamped on new events; default time.Now.
	Now func() time.Time
	// New, when set, is the aggregate before its first event: Update of an
	// aggregate with no events starts from New(id) at version 0, and its
	// events create it. Without New such an Update is not found.
	New func(id string) T
	// Retries bounds how often Update reloads and retries after a concurrent
	// writer won, when the caller did not ask for a specific version.
	Retries int
}

func (r *Repository[T]) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// IDFor returns the aggregate id a create command should use: a fresh
// UUIDv7, or, when the request carries an idempotency key, a UUIDv5 derived
// from the caller-scoped key, so a retried create lands on the same aggregate.
func IDFor(ctx context.Context) string {
	if key := rpc.Metadata(ctx).IdempotencyKey; key != "" {
		return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:idempotency:"+key)).String()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// Load returns the aggregate and its events; a missing aggregate is a
// problem.CodeNotFound error.
func (r *Repository[T]) Load(ctx context.Context, id string) (T, []events.Envelope, error) {
	var zero T
	if _, err := uuid.Parse(id); err != nil {
		// Ids become NATS subject tokens: anything but a UUID is unknown.
		return zero, nil, problem.NotFound(r.Kind, id)
	}
	evs, err := r.Store.Load(ctx, r.Ref(id))
	if err != nil {
		return zero, nil, fmt.Errorf("load %s %s: %w", r.Kind, id, err)
	}
	if len(evs) == 0 {
		return zero, nil, problem.NotFound(r.Kind, id)
	}
	agg, err := r.Rebuild(evs)
	if err != nil {
		return zero, nil, fmt.Errorf("rebuild %s %s: %w", r.Kind, id, err)
	}
	return agg, evs, nil
}

// Create runs create (which validates the command and returns the new
// aggregate's events) and appends its events as the first events of a new
// aggregate with the given id. A retry of the same request (same
// idempotency key) returns the aggregate that the first attempt created; an
// existing aggregate otherwise is a problem.CodeConflict error.
func (r *Repository[T]) Create(ctx context.Context, id string, create func() ([]events.Payload, error)) (T, error) {
	var zero T
	md := rpc.Metadata(ctx)
	payloads, err := create()
	if err != nil {
		return zero, err
	}
	agg, err := r.append(ctx, id, nil, payloads, 0, md)
	if errors.Is(err, eventstore.ErrConflict) {
		existing, evs, lerr := r.Load(ctx, id)
		if lerr == nil && md.IdempotencyKey != "" && hasKey(evs, md.IdempotencyKey) {
			return existing, nil
		}
		return zero, problem.New(problem.CodeConflict, "%s %s already exists", r.Kind, id)
	}
	return agg, err
}

// Update loads the aggregate, checks that its version is expected (0 means
// any), runs fn, and appends the events fn returns. When another writer
// appended in between, an explicit expected version fails with
// problem.CodePreconditionFailed; otherwise Update reloads and runs fn again.
// A retried request whose idempotency key is already recorded on the
// aggregate changes nothing and returns the current state. fn returning no
// events is fine: nothing is written.
//
// Update compares the version before fn runs, so an access check inside fn
// comes too late to hide the aggregate: for aggregates that not every
// caller may see, use UpdateVisible.
func (r *Repository[T]) Update(ctx context.Context, id string, expected uint64, fn func(T) ([]events.Payload, error)) (T, error) {
	return r.UpdateVisible(ctx, id, expected, nil, fn)
}

// UpdateVisible is Update for a caller who may not see every aggregate:
// visible (nil means everyone) is asked first, on every loaded aggregate,
// and when it says no, UpdateVisible returns the problem.CodeNotFound error
// that Load returns for an id with no events. So a caller learns nothing
// about an aggregate they may not see, neither its existence nor its
// version: a stale expected version, or a retry's idempotency key, is
// looked at only for a caller who may see the aggregate. visible must not
// block or change anything; it may run several times.
func (r *Repository[T]) UpdateVisible(ctx context.Context, id string, expected uint64, visible func(T) bool, fn func(T) ([]events.Payload, error)) (T, error) {
	var zero T
	md := rpc.Metadata(ctx)
	for attempt := 0; ; attempt++ {
		agg, evs, err := r.Load(ctx, id)
		if r.New != nil && problem.CodeOf(err) == problem.CodeNotFound && uuid.Validate(id) == nil {
			agg, evs, err = r.New(id), nil, nil
		}
		if err != nil {
			return zero, err
		}
		if visible != nil && !visible(agg) {
			return zero, problem.NotFound(r.Kind, id)
		}
		if md.IdempotencyKey != "" && hasKey(evs, md.IdempotencyKey) {
			return agg, nil
		}
		if expected != 0 && agg.Version() != expected {
			return zero, staleVersion(r.Kind, id, expected, agg.Version())
		}
		payloads, err := fn(agg)
		if err != nil {
			return zero, err
		}
		if len(payloads) == 0 {
			return agg, nil
		}
		updated, err := r.append(ctx, id, evs, payloads, agg.Version(), md)
		if !errors.Is(err, eventstore.ErrConflict) {
			return updated, err
		}
		if expected != 0 {
			return zero, problem.New(problem.CodePreconditionFailed, "%s %s was changed by someone else; reload it and try again", r.Kind, id)
		}
		if attempt >= r.Retries {
			return zero, problem.New(problem.CodeConflict, "%s %s is being changed by others; try again", r.Kind, id)
		}
	}
}

// append stores payloads after the loaded events and returns the aggregate
// rebuilt from all of them. loaded is nil for a new aggregate.
func (r *Repository[T]) append(ctx context.Context, id string, loaded []events.Envelope, payloads []events.Payload, version uint64, md events.Metadata) (T, error) {
	var zero T
	ref := r.Ref(id)
	now := r.now()
	envs := make([]events.Envelope, 0, len(payloads))
	for _, p := range payloads {
		env, err := events.New(r.Source, ref.Type, id, p, now, md)
		if err != nil {
			return zero, err
		}
		envs = append(envs, env)
	}
	res, err := r.Store.Append(ctx, ref, envs, eventstore.AppendOptions{ExpectedVersion: version, IdempotencyKey: md.IdempotencyKey})
	if err != nil {
		return zero, fmt.Errorf("save %s %s: %w", r.Kind, id, err)
	}
	if res.Duplicate {
		agg, _, err := r.Load(ctx, id)
		return agg, err
	}
	all := make([]events.Envelope, 0, len(loaded)+len(envs))
	all = append(append(all, loaded...), envs...)
	return r.Rebuild(all)
}

func hasKey(evs []events.Envelope, key string) bool {
	for _, e := range evs {
		if e.IdempotencyKey == key {
			return true
		}
	}
	return false
}

func staleVersion(kind, id string, expected, actual uint64) error {
	return problem.New(problem.CodePreconditionFailed, "%s %s is at version %d, not %d; reload it and try again", kind, id, actual, expected)
}

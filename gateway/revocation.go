package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
)

// revocations are the sessions whose access tokens this gateway refuses
// before they expire: fed by the identity events that end sessions (every
// replica reads them) and, at once, by this replica's own logouts. An
// entry lives as long as the longest access token of its session could.
type revocations struct {
	mu      sync.Mutex
	entries map[string]time.Time // session id → when to forget it
	// caughtUp is closed once the feed has read every identity event of
	// the last token lifetime; until then the set may miss ended sessions.
	caughtUp  chan struct{}
	catchOnce sync.Once
}

func newRevocations() *revocations {
	return &revocations{entries: map[string]time.Time{}, caughtUp: make(chan struct{})}
}

// revocationCatchUpWait bounds how long a request with a session token
// waits for a starting gateway's feed to catch up before it is refused.
const revocationCatchUpWait = 5 * time.Second

// markCaughtUp records that the feed has read the backlog.
func (r *revocations) markCaughtUp() { r.catchOnce.Do(func() { close(r.caughtUp) }) }

// waitCaughtUp waits until the feed has read the backlog, so that a
// starting gateway does not accept tokens of sessions that ended before it
// started (fail closed): a problem (503) when it does not within
// revocationCatchUpWait or ctx ends first.
func (r *revocations) waitCaughtUp(ctx context.Context) error {
	select {
	case <-r.caughtUp:
		return nil
	default:
	}
	t := time.NewTimer(revocationCatchUpWait)
	defer t.Stop()
	select {
	case <-r.caughtUp:
		return nil
	case <-ctx.Done():
	case <-t.C:
	}
	return problem.New(problem.CodeUnavailable, "the gateway is still reading which sessions have ended; try again shortly")
}

// add refuses the tokens of session sid until until.
func (r *revocations) add(sid string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.entries) >= 4096 {
		now := time.Now()
		for k, t := range r.entries {
			if now.After(t) {
				delete(r.entries, k)
			}
		}
	}
	if until.After(r.entries[sid]) {
		r.entries[sid] = until
	}
}

// has reports whether session sid is revoked at now.
func (r *revocations) has(sid string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.entries[sid]
	return ok && now.Before(until)
}

// followRevocations reads the identity stream from now − TokenTTL − 1
// minute (older events end sessions whose access tokens have all expired)
// with an ordered consumer, and revokes the sessions its events end, until
// ctx ends. It marks the set caught up once it has read that backlog, and
// waits for the stream when it does not exist yet. The ordered consumer
// recreates itself after a gap or a lost connection and goes on after the
// last event it delivered, so no event is skipped.
func (s *Server) followRevocations(ctx context.Context) {
	defer func() {
		// nats.go v1.55 panics on a request over a connection closed before
		// its first request; the feed then simply ends with the connection.
		if r := recover(); r != nil && !s.cfg.Conn.IsClosed() {
			panic(r)
		}
	}()
	js, err := jetstream.New(s.cfg.Conn)
	if err != nil {
		s.cfg.Logger.Error("revocations: jetstream", "error", err)
		return
	}
	for ctx.Err() == nil && !s.cfg.Conn.IsClosed() {
		// Tokens are accepted a few seconds past their expiry (leeway):
		// read a minute more than their lifetime.
		start := time.Now().Add(-s.cfg.TokenTTL - time.Minute)
		cons, err := js.OrderedConsumer(ctx, subjects.Stream(subjects.ServiceIdentity), jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{subjects.User("*").Subject()},
			DeliverPolicy:  jetstream.DeliverByStartTimePolicy, OptStartTime: &start,
		})
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			// No identity event was ever stored: no session to revoke.
			s.revoked.markCaughtUp()
		}
		if err != nil {
			if !errors.Is(err, jetstream.ErrStreamNotFound) && ctx.Err() == nil {
				s.cfg.Logger.Warn("revocations: consumer", "error", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
			s.revoked.markCaughtUp() // nothing to read from the last TTL
		}
		cc, err := cons.Consume(func(m jetstream.Msg) { s.revokeFrom(m) },
			jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
				if ctx.Err() == nil {
					// Until the consumer recovers, ended sessions are not
					// learnt from the other replicas: make it visible.
					s.cfg.Logger.Warn("revocations: feed", "error", err)
				}
			}))
		if err != nil {
			s.cfg.Logger.Warn("revocations: consume", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		<-ctx.Done()
		cc.Stop()
	}
}

// revokeFrom revokes the sessions one identity event ends, and marks the
// feed caught up after the last event pending.
func (s *Server) revokeFrom(m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		return
	}
	if meta.NumPending == 0 {
		defer s.revoked.markCaughtUp()
	}
	env, err := eventstore.DecodeMsg(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
	if err != nil {
		s.cfg.Logger.Warn("revocations: undecodable event", "subject", m.Subject(), "error", err)
		return
	}
	sids, ok, err := identityapi.SessionEnding(env.Type, env.Decode)
	if !ok || err != nil {
		return
	}
	until := env.OccurredAt.Add(s.cfg.TokenTTL + time.Minute)
	for _, sid := range sids {
		s.revoked.add(sid, until)
	}
}

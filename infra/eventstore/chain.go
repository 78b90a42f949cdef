package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
)

// maxHeads bounds the chain heads a store remembers (about 200 bytes each).
const maxHeads = 1 << 15

// chainHead is the version and hash of an aggregate's last stored event.
type chainHead struct {
	version uint64
	hash    string
}

// chainHeads remembers the last event of the aggregates this store loaded
// or appended to, so that an append finds the hash to link to without a
// round trip to the server. An entry is used only when its version is the
// append's expected version, which the server checks: a stale entry costs
// a lookup, never a wrong link.
type chainHeads struct {
	mu    sync.Mutex
	heads map[string]chainHead // by aggregate subject
}

func (c *chainHeads) get(subject string, version uint64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heads[subject]
	if !ok || h.version != version {
		return "", false
	}
	return h.hash, true
}

// put records the head of subject unless a later one is known.
func (c *chainHeads) put(subject string, version uint64, hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.heads[subject]; ok && h.version >= version {
		return
	}
	if c.heads == nil || len(c.heads) >= maxHeads {
		c.heads = make(map[string]chainHead)
	}
	c.heads[subject] = chainHead{version: version, hash: hash}
}

// remember records the last of evs, once stored, as the head of agg.
func (c *chainHeads) remember(agg subjects.Aggregate, evs []events.Envelope) {
	if len(evs) > 0 {
		last := evs[len(evs)-1]
		c.put(agg.Subject(), last.AggregateVersion, last.Hash)
	}
}

// prevHash returns the hash the next event of agg links to when agg is at
// version expected: "" for a new aggregate or one whose last event predates
// the chain. It asks the server only when the store does not know agg's
// head at that version; when the server's head is another version it
// returns ErrConflict without appending.
func (s *JetStream) prevHash(ctx context.Context, agg subjects.Aggregate, expected uint64) (string, error) {
	if expected == 0 {
		return "", nil
	}
	subject := agg.Subject()
	if h, ok := s.heads.get(subject, expected); ok {
		return h, nil
	}
	raw, err := s.lastMsg(ctx, agg.Stream(), subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", fmt.Errorf("append to %s: %w (it has no events, not version %d)", subject, ErrConflict, expected)
	}
	if err != nil {
		return "", fmt.Errorf("append to %s: read the last event's hash: %w", subject, err)
	}
	if raw.Sequence != expected {
		return "", fmt.Errorf("append to %s: %w (version %d, not %d)", subject, ErrConflict, raw.Sequence, expected)
	}
	hash := raw.Header.Get(events.HeaderHash)
	s.heads.put(subject, raw.Sequence, hash)
	return hash, nil
}

// link sets Hash and PrevHash of evs, each event linked to the one before
// it and the first to prev.
func link(evs []events.Envelope, prev string) {
	for i := range evs {
		evs[i].PrevHash = prev
		evs[i].Hash = evs[i].ChainHash(prev)
		prev = evs[i].Hash
	}
}

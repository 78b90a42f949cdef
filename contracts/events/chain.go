package events

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// ChainScheme names the hash-chain encoding; it is the first field hashed,
// so that a later encoding can never produce the same hash by accident.
const ChainScheme = "helpdesk-chain-v1"

// ChainHash is the event's link in its aggregate's hash chain: the
// lowercase hex SHA-256 of the netstrings ("<byte length>:<bytes>,") of
// ChainScheme, prev and the event's content, in this order: id, type,
// schema version (decimal), source, aggregate type, aggregate id,
// occurred_at (RFC 3339 with nanoseconds, UTC, as in the ce-time header),
// actor, actor role, source IP, request id, correlation id, causation id,
// idempotency key, data (the message body). Empty fields are "0:,".
//
// prev is the Hash of the aggregate's event before this one, or "" for the
// first event of a chain. The aggregate version, Hash, PrevHash and the
// trace context are not hashed. contracts/EVENTS.md shows how to recompute
// the hash from a stored message with ordinary tools.
func (e Envelope) ChainHash(prev string) string {
	h := sha256.New()
	buf := make([]byte, 0, 512+len(e.Data))
	field := func(s string) {
		buf = strconv.AppendInt(buf, int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
		buf = append(buf, ',')
	}
	for _, s := range []string{
		ChainScheme, prev, e.ID, e.Type, strconv.Itoa(e.SchemaVersion), e.Source, e.AggregateType, e.AggregateID,
		e.OccurredAt.UTC().Format(time.RFC3339Nano), e.Actor, e.ActorRole, e.SourceIP, e.RequestID,
		e.CorrelationID, e.CausationID, e.IdempotencyKey,
	} {
		field(s)
	}
	field(string(e.Data))
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

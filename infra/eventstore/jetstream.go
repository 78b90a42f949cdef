package eventstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
)

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id: a retry with
// the same idempotency key within it is refused by the server itself. A
// later retry is still recognised: its expected version no longer matches,
// and Append finds the key recorded on the aggregate's events (creates use
// an id derived from the key, see aggregate.IDFor). The window is short
// because the server re-reads every message within it at each start: a
// million events of the last 24 hours cost 3 s of start-up and 150 MiB.
const DuplicateWindow = 2 * time.Minute

// JetStream error codes for a failed expected-last-sequence check: 10071 on a
// single server or R1 stream, 10164 from replicated streams.
const (
	errCodeWrongLastMsgID              = 10070
	errCodeWrongLastSequence           = 10071
	errCodeWrongLastSequenceReplicated = 10164
)

// JetStream is the Store on NATS JetStream: one stream per service, one
// subject per aggregate, the stream sequence as the version.
type JetStream struct {
	js      jetstream.JetStream
	atomic  bool
	streams sync.Map // stream name → jetstream.Stream
	heads   chainHeads
}

var _ Store = (*JetStream)(nil)

// MaxReplicas is the largest replica count JetStream allows for a stream.
const MaxReplicas = 5

// NewJetStream is NewReplicatedJetStream with one replica: for a single
// server, and for tests.
func NewJetStream(ctx context.Context, js jetstream.JetStream, services ...string) (*JetStream, error) {
	return NewReplicatedJetStream(ctx, js, 1, services...)
}

// NewReplicatedJetStream ensures that the streams of the given services
// exist, with file storage, replicas copies (1 to MaxReplicas; 3 on a
// three-node cluster), no limits (events are never trimmed), DenyDelete and
// DenyPurge, and returns a store on them. An existing stream keeps what an
// operator changed (see EnsureStream): its replicas are raised to replicas
// but never lowered, and only the subjects, the absence of limits, the
// duplicate window and the deny flags are set back. Atomic multi-event
// appends need NATS server 2.12 or later; on older servers Append of
// several events fails with ErrBatchUnsupported.
func NewReplicatedJetStream(ctx context.Context, js jetstream.JetStream, replicas int, services ...string) (*JetStream, error) {
	if replicas < 1 || replicas > MaxReplicas {
		return nil, fmt.Errorf("event store: %d replicas, want 1 to %d", replicas, MaxReplicas)
	}
	s := &JetStream{js: js, atomic: serverAtLeast(js.Conn().ConnectedServerVersion(), 2, 12)}
	for _, svc := range services {
		cfg := jetstream.StreamConfig{
			Name:               subjects.Stream(svc),
			Description:        "Helpdesk " + svc + " events; never trimmed",
			Subjects:           []string{subjects.StreamSubjects(svc)},
			Storage:            jetstream.FileStorage,
			Retention:          jetstream.LimitsPolicy,
			Discard:            jetstream.DiscardOld,
			MaxAge:             0,
			MaxMsgs:            -1,
			MaxBytes:           -1,
			MaxMsgsPerSubject:  -1,
			Duplicates:         DuplicateWindow,
			DenyDelete:         true,
			DenyPurge:          true,
			AllowAtomicPublish: s.atomic,
			Replicas:           replicas,
		}
		own := func(have *jetstream.StreamConfig) {
			have.Subjects, have.Retention = cfg.Subjects, jetstream.LimitsPolicy // interest or work-queue retention would delete events
			have.MaxAge, have.MaxMsgs, have.MaxBytes, have.MaxMsgsPerSubject = 0, -1, -1, -1
			have.Duplicates, have.DenyDelete, have.DenyPurge = cfg.Duplicates, true, true
			have.AllowAtomicPublish = have.AllowAtomicPublish || s.atomic
		}
		if _, err := EnsureStream(ctx, js, cfg, own); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// EnsureStream makes sure a stream exists without undoing what an operator
// changed: it creates the stream from want when it is missing; when it
// exists, own sets on its current configuration the fields Helpdesk relies
// on (subjects, limits, deny flags), Replicas becomes the larger of the
// current and want.Replicas (a start with a smaller count never shrinks a
// stream an operator raised), every other field (description, placement,
// compression, …) stays, and no update is sent when nothing changes.
// Processes ensuring the same stream at once retry what goes unanswered or
// loses a race (at most ensureAttempts times, each ensureAttemptTimeout).
func EnsureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig, own func(have *jetstream.StreamConfig)) (jetstream.Stream, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, ensureAttemptTimeout)
		st, err := ensureStreamOnce(actx, js, want, own)
		cancel()
		if err == nil || attempt == ensureAttempts || ctx.Err() != nil || !retryableEnsure(err) {
			return st, err
		}
		// On a cluster, processes changing one stream at once can leave a
		// request unanswered while the meta leader applies another one's.
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// ensureAttempts and ensureAttemptTimeout bound EnsureStream's retries.
const (
	ensureAttempts       = 6
	ensureAttemptTimeout = 3 * time.Second
)

// retryableEnsure reports errors that another attempt may not meet: no
// answer in time, no responders, or a create that lost a race.
func retryableEnsure(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse)
}

func ensureStreamOnce(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig, own func(have *jetstream.StreamConfig)) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("create stream %s: %w", want.Name, replicasHint(err, want.Replicas))
		}
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	next := have
	own(&next)
	next.Replicas = max(have.Replicas, want.Replicas)
	if reflect.DeepEqual(have, next) {
		return st, nil
	}
	if st, err = js.UpdateStream(ctx, next); err != nil {
		return nil, fmt.Errorf("update stream %s: %w", want.Name, replicasHint(err, next.Replicas))
	}
	return st, nil
}

// StreamReplicas returns the replica count to ask for when creating or
// updating a stream with a configuration of its own kind (a key-value or
// object store bucket): the larger of the stream's current count and want,
// or want when the stream does not exist.
func StreamReplicas(ctx context.Context, js jetstream.JetStream, stream string, want int) (int, error) {
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return want, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return max(st.CachedInfo().Config.Replicas, want), nil
}

// replicasHint explains the server's refusal of replicas on a server that
// is not part of a cluster (API error 10074), or on a cluster with fewer
// nodes (10005 no suitable peers, 10023 insufficient resources).
func replicasHint(err error, replicas int) error {
	var apiErr *jetstream.APIError
	if replicas > 1 && errors.As(err, &apiErr) && slices.Contains([]jetstream.ErrorCode{10005, 10023, 10074}, apiErr.ErrorCode) {
		return fmt.Errorf("%w (%d replicas need a JetStream cluster of at least %d nodes; use --stream-replicas 1 on a single server)", err, replicas, replicas)
	}
	return err
}

// serverAtLeast reports whether a "major.minor.patch" version is at least
// major.minor.
func serverAtLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// Append implements Store. One event is a plain publish with the
// expected-last-subject-sequence header and a Nats-Msg-Id (the idempotency
// key, or the event id); several events are one atomic batch whose first
// message carries the expected sequence.
//
// The idempotency key is also recorded on every event (ce-idempotencykey).
// Servers check the expected sequence before the Nats-Msg-Id, so a retry
// whose first attempt was stored fails the sequence check; Append then finds
// the key on the aggregate's events and reports the retry as a duplicate.
//
// Every event is linked into its aggregate's hash chain (Hash, PrevHash):
// the first to the aggregate's last event, each later one to the event
// before it. The last event's hash is usually known from the Load before
// the append; otherwise it costs one read of the aggregate's last message.
func (s *JetStream) Append(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (AppendResult, error) {
	if opts.IdempotencyKey != "" {
		for i := range evs {
			evs[i].IdempotencyKey = opts.IdempotencyKey
		}
	}
	switch {
	case len(evs) == 0:
		return AppendResult{}, ErrNoEvents
	case len(evs) > 1 && !s.atomic:
		return AppendResult{}, fmt.Errorf("append %d events to %s: %w", len(evs), agg.Subject(), ErrBatchUnsupported)
	}
	var res AppendResult
	prev, err := s.prevHash(ctx, agg, opts.ExpectedVersion)
	if err == nil {
		link(evs, prev)
		if len(evs) == 1 {
			res, err = s.appendOne(ctx, agg, evs, opts)
		} else {
			res, err = s.appendBatch(ctx, agg, evs, opts)
		}
	}
	if err == nil && !res.Duplicate {
		s.heads.remember(agg, evs)
	}
	if errors.Is(err, ErrConflict) && opts.IdempotencyKey != "" {
		if v, found := s.findKey(ctx, agg, opts.IdempotencyKey); found {
			return AppendResult{Version: v, Duplicate: true}, nil
		}
	}
	return res, err
}

// findKey returns the version of the last event of agg that was appended
// with the idempotency key.
func (s *JetStream) findKey(ctx context.Context, agg subjects.Aggregate, key string) (uint64, bool) {
	evs, err := s.Load(ctx, agg)
	if err != nil {
		return 0, false
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].IdempotencyKey == key {
			return evs[i].AggregateVersion, true
		}
	}
	return 0, false
}

func (s *JetStream) appendOne(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (AppendResult, error) {
	msgID := opts.IdempotencyKey
	if msgID == "" {
		msgID = evs[0].ID
	}
	ack, err := s.js.PublishMsg(ctx, EncodeMsg(agg.Subject(), evs[0]),
		jetstream.WithExpectLastSequencePerSubject(opts.ExpectedVersion),
		jetstream.WithMsgID(msgID))
	if err != nil {
		return AppendResult{}, wrapPublishError(agg, err)
	}
	if ack.Duplicate {
		evs[0].Hash, evs[0].PrevHash = "", "" // the stored event is the first attempt's
	} else {
		evs[0].AggregateVersion = ack.Sequence
	}
	return AppendResult{Version: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// appendBatch appends several events atomically (NATS 2.12+). Batches carry
// no Nats-Msg-Id; their idempotency rests on the expected version and the
// recorded idempotency key (see Append).
func (s *JetStream) appendBatch(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (AppendResult, error) {
	batch, err := jetstreamext.NewBatchPublisher(s.js)
	if err != nil {
		return AppendResult{}, fmt.Errorf("append to %s: %w", agg.Subject(), err)
	}
	subject := agg.Subject()
	for i, e := range evs[:len(evs)-1] {
		var bopts []jetstreamext.BatchMsgOpt
		if i == 0 {
			bopts = append(bopts, jetstreamext.WithBatchExpectLastSequencePerSubject(opts.ExpectedVersion))
		}
		if err := batch.AddMsg(EncodeMsg(subject, e), bopts...); err != nil {
			_ = batch.Discard()
			return AppendResult{}, wrapPublishError(agg, err)
		}
	}
	ack, err := batch.CommitMsg(ctx, EncodeMsg(subject, evs[len(evs)-1]))
	if err != nil {
		return AppendResult{}, wrapPublishError(agg, err)
	}
	first := ack.Sequence - uint64(len(evs)) + 1
	for i := range evs {
		evs[i].AggregateVersion = first + uint64(i)
	}
	return AppendResult{Version: ack.Sequence}, nil
}

// AppendChain implements Store: every event is published at once with its
// id as Nats-Msg-Id; the first expects the aggregate's version, each later
// one Nats-Expected-Last-Msg-Id of the event before it. The events are
// linked into the aggregate's hash chain as by Append.
func (s *JetStream) AppendChain(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (ChainResult, error) {
	res := ChainResult{Version: opts.ExpectedVersion}
	if len(evs) == 0 {
		return res, ErrNoEvents
	}
	if opts.IdempotencyKey != "" {
		return res, fmt.Errorf("append chain to %s: idempotency keys are not supported", agg.Subject())
	}
	prev, err := s.prevHash(ctx, agg, opts.ExpectedVersion)
	if err != nil {
		return res, err
	}
	link(evs, prev)
	defer func() { s.heads.remember(agg, evs[:res.Stored]) }()
	subject := agg.Subject()
	acks := make([]jetstream.PubAckFuture, 0, len(evs))
	var sendErr error
	for i, e := range evs {
		expect := jetstream.WithExpectLastSequencePerSubject(opts.ExpectedVersion)
		if i > 0 {
			expect = jetstream.WithExpectLastMsgID(evs[i-1].ID)
		}
		ack, err := s.js.PublishMsgAsync(EncodeMsg(subject, e), expect, jetstream.WithMsgID(e.ID))
		if err != nil {
			sendErr = wrapPublishError(agg, err)
			break
		}
		acks = append(acks, ack)
	}
	var firstErr error
	for i, ack := range acks {
		select {
		case pa := <-ack.Ok():
			switch {
			case firstErr != nil:
			case pa.Duplicate:
				// The server checks Nats-Msg-Id before the expected last
				// message id: an event stored earlier and sent again is
				// acknowledged as a duplicate, and the events after it
				// would link to a hash that was never stored. The caller
				// must reload instead.
				firstErr = fmt.Errorf("append chain to %s: event %s was stored before: %w", agg.Subject(), evs[i].ID, ErrConflict)
			default:
				evs[i].AggregateVersion = pa.Sequence
				res.Stored, res.Version = i+1, pa.Sequence
			}
		case err := <-ack.Err():
			if firstErr == nil {
				firstErr = wrapPublishError(agg, err)
			}
		case <-ctx.Done():
			// The outcome is unknown: the caller must reload.
			return res, fmt.Errorf("append chain to %s: %w", agg.Subject(), ctx.Err())
		}
	}
	return res, errors.Join(firstErr, sendErr)
}

func wrapPublishError(agg subjects.Aggregate, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeWrongLastSequence, errCodeWrongLastSequenceReplicated:
			return fmt.Errorf("append to %s: %w (%s)", agg.Subject(), ErrConflict, apiErr.Description)
		case errCodeWrongLastMsgID:
			return fmt.Errorf("append to %s: %w (%s)", agg.Subject(), ErrInterleaved, apiErr.Description)
		}
	}
	return fmt.Errorf("append to %s: %w", agg.Subject(), err)
}

// Load implements Store: it reads the aggregate's subject from the start
// with an ordered consumer until the subject's last message. On a cluster
// the consumer may not answer its first fetches (no responders) until it
// runs on its node: Load retries them for up to consumerReadyTimeout.
func (s *JetStream) Load(ctx context.Context, agg subjects.Aggregate) ([]events.Envelope, error) {
	stream, subject := agg.Stream(), agg.Subject()
	raw, err := s.lastMsg(ctx, stream, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return []events.Envelope{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", subject, err)
	}
	if raw.Sequence == 0 {
		return []events.Envelope{}, nil
	}
	cons, err := s.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", subject, err)
	}
	// Deleted in the background: the load's answer does not wait for it.
	defer func() { go s.deleteConsumer(ctx, stream, cons) }()
	var out []events.Envelope
	defer func() { s.heads.remember(agg, out) }()
	notReadyUntil := time.Now().Add(consumerReadyTimeout)
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", subject, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", subject, err)
			}
			env, err := DecodeMsg(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
			if err != nil {
				return nil, err
			}
			out = append(out, env)
			if meta.Sequence.Stream >= raw.Sequence {
				return out, nil
			}
		}
		err = batch.Error()
		if got == 0 && errors.Is(err, nats.ErrNoResponders) && time.Now().Before(notReadyUntil) {
			// On a cluster the consumer can be created but not yet
			// running on its node: nobody answers the first fetches.
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("load %s: %w", subject, ctx.Err())
			case <-time.After(2 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", subject, err)
		}
		if got == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("load %s: %w", subject, err)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// consumerReadyTimeout bounds the wait of Load for its ordered consumer to
// answer fetches.
const consumerReadyTimeout = 5 * time.Second

// deleteConsumer removes the ordered consumer of a finished load at once.
// Left alone it would linger for its inactivity threshold (5 minutes), and
// NATS 2.11 and later refuse more than 1,000 consumers on a stream by
// default: loads of a busy stream would soon fail. A failed delete only
// leaves the consumer to expire.
func (s *JetStream) deleteConsumer(ctx context.Context, stream string, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, stream, info.Name)
}

func (s *JetStream) lastMsg(ctx context.Context, stream, subject string) (*jetstream.RawStreamMsg, error) {
	st, ok := s.streams.Load(stream)
	if !ok {
		handle, err := s.js.Stream(ctx, stream)
		if err != nil {
			return nil, err
		}
		st, _ = s.streams.LoadOrStore(stream, handle)
	}
	return st.(jetstream.Stream).GetLastMsgForSubject(ctx, subject)
}

// EncodeMsg builds the NATS message of an event: CloudEvents binary mode,
// the attributes as headers and the event data as the body.
func EncodeMsg(subject string, e events.Envelope) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = e.Data
	h := m.Header
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set(events.HeaderSpecVersion, events.SpecVersion)
	set(events.HeaderID, e.ID)
	set(events.HeaderType, e.Type)
	set(events.HeaderSource, e.Source)
	set(events.HeaderSubject, e.AggregateID)
	set(events.HeaderTime, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	set(events.HeaderDataSchema, e.DataSchema())
	set(events.HeaderContentType, "application/json")
	set(events.HeaderSchemaVersion, strconv.Itoa(e.SchemaVersion))
	set(events.HeaderAggregateType, e.AggregateType)
	set(events.HeaderActor, e.Actor)
	set(events.HeaderActorRole, e.ActorRole)
	set(events.HeaderSourceIP, e.SourceIP)
	set(events.HeaderRequestID, e.RequestID)
	set(events.HeaderCorrelationID, e.CorrelationID)
	set(events.HeaderCausationID, e.CausationID)
	set(events.HeaderIdempotencyKey, e.IdempotencyKey)
	set(events.HeaderTraceParent, e.TraceParent)
	set(events.HeaderTraceState, e.TraceState)
	set(events.HeaderHash, e.Hash)
	set(events.HeaderPrevHash, e.PrevHash)
	return m
}

// DecodeMsg turns a stored event message back into its envelope; seq is the
// message's stream sequence, which becomes the aggregate version. It is the
// one place that reads the wire format, for loads and projections alike.
func DecodeMsg(subject string, hdr nats.Header, data []byte, seq uint64) (events.Envelope, error) {
	if hdr.Get(events.HeaderID) == "" || hdr.Get(events.HeaderType) == "" {
		return events.Envelope{}, fmt.Errorf("decode event on %s (seq %d): missing ce-id or ce-type header", subject, seq)
	}
	at, err := time.Parse(time.RFC3339Nano, hdr.Get(events.HeaderTime))
	if err != nil {
		return events.Envelope{}, fmt.Errorf("decode event on %s (seq %d): ce-time: %w", subject, seq, err)
	}
	version := 1
	if v := hdr.Get(events.HeaderSchemaVersion); v != "" {
		if version, err = strconv.Atoi(v); err != nil {
			return events.Envelope{}, fmt.Errorf("decode event on %s (seq %d): ce-schemaversion: %w", subject, seq, err)
		}
	}
	body := make([]byte, len(data))
	copy(body, data)
	return events.Envelope{
		ID:               hdr.Get(events.HeaderID),
		Type:             hdr.Get(events.HeaderType),
		SchemaVersion:    version,
		Source:           hdr.Get(events.HeaderSource),
		AggregateType:    hdr.Get(events.HeaderAggregateType),
		AggregateID:      hdr.Get(events.HeaderSubject),
		AggregateVersion: seq,
		OccurredAt:       at,
		Actor:            hdr.Get(events.HeaderActor),
		ActorRole:        hdr.Get(events.HeaderActorRole),
		SourceIP:         hdr.Get(events.HeaderSourceIP),
		RequestID:        hdr.Get(events.HeaderRequestID),
		CorrelationID:    hdr.Get(events.HeaderCorrelationID),
		CausationID:      hdr.Get(events.HeaderCausationID),
		IdempotencyKey:   hdr.Get(events.HeaderIdempotencyKey),
		TraceParent:      hdr.Get(events.HeaderTraceParent),
		TraceState:       hdr.Get(events.HeaderTraceState),
		Data:             body,
		Hash:             hdr.Get(events.HeaderHash),
		PrevHash:         hdr.Get(events.HeaderPrevHash),
	}, nil
}

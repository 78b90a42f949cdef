package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/eventstore"
	"helpdesk/infra/telemetry"
)

// The access trail's stream and subjects.
const (
	// AccessStream holds the gateways' access records.
	AccessStream = "AUDIT"
	// AccessSubjectPrefix starts the subject of every access record:
	// "audit.access.<gateway instance>".
	AccessSubjectPrefix = "audit.access"
)

// Retention of audit data, in days: at least six months (184 days covers
// any six calendar months), a year by default.
const (
	MinRetentionDays     = 184
	DefaultRetentionDays = 365
)

// AccessRecord is one API request as the access trail keeps it: never a
// body, a query string or a credential.
type AccessRecord struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	// Route is the route pattern, e.g. /api/v1/tickets/:id, or "unmatched".
	Route  string `json:"route"`
	Status int    `json:"status"`
	// Actor and ActorRole are who the request was authenticated as; empty
	// when it was not (a denied request, a login).
	Actor         string  `json:"actor,omitempty"`
	ActorRole     string  `json:"actor_role,omitempty"`
	SourceIP      string  `json:"source_ip"`
	RequestID     string  `json:"request_id"`
	CorrelationID string  `json:"correlation_id,omitempty"`
	DurationMS    float64 `json:"duration_ms"`
	// Gateway is the instance that answered.
	Gateway string `json:"gateway"`
}

// AccessTrailConfig configures an AccessTrail.
type AccessTrailConfig struct {
	// Conn reaches the NATS server that keeps the AUDIT stream.
	Conn *nats.Conn
	// RetentionDays is how long records are kept: the stream's MaxAge. At
	// least MinRetentionDays.
	RetentionDays int
	// Instance names this gateway in the subject; default
	// "<hostname>-<pid>", reduced to letters, digits, '-' and '_'.
	Instance string
	// Buffer bounds the records waiting to be published; default 8192.
	// Beyond it records are dropped, counted and logged: requests never
	// wait for the trail.
	Buffer int
	// Replicas is the AUDIT stream's replica count when this start creates
	// it or has more than it (see eventstore.EnsureStream); default 1.
	Replicas   int
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

func (c *AccessTrailConfig) setDefaults() {
	if c.Instance == "" {
		host, _ := os.Hostname()
		c.Instance = host + "-" + strconv.Itoa(os.Getpid())
	}
	c.Instance = subjectToken(c.Instance)
	if c.Buffer <= 0 {
		c.Buffer = 8192
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
}

// Validate reports every missing or unsafe setting.
func (c *AccessTrailConfig) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("access trail: Conn is required"))
	}
	if err := CheckRetention(c.RetentionDays); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckRetention refuses an audit retention below MinRetentionDays.
func CheckRetention(days int) error {
	if days < MinRetentionDays {
		return fmt.Errorf("audit retention is %d days: audit data must be kept at least six months (%d days)", days, MinRetentionDays)
	}
	return nil
}

// subjectToken keeps the letters, digits, '-' and '_' of s.
func subjectToken(s string) string {
	token := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
	if token == "" {
		return "gateway"
	}
	return token
}

// AccessTrail publishes access records to the AUDIT stream in the
// background. Record never blocks; Close flushes what is pending.
type AccessTrail struct {
	cfg     AccessTrailConfig
	js      jetstream.JetStream
	subject string
	records chan AccessRecord
	stop    chan struct{}
	done    chan struct{}
	closed  sync.Once

	published, dropped, failed prometheus.Counter
	// lastDropLog and lastFailLog are the unix nanos of the last warning
	// about dropped and about unsent records (see warnSparingly).
	lastDropLog, lastFailLog atomic.Int64
}

// NewAccessTrail ensures the AUDIT stream (file storage, MaxAge the
// retention, deletes and purges denied, at least cfg.Replicas replicas;
// other changes an operator made stay) and starts publishing.
func NewAccessTrail(ctx context.Context, cfg AccessTrailConfig) (*AccessTrail, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &AccessTrail{
		cfg: cfg, subject: AccessSubjectPrefix + "." + cfg.Instance,
		records: make(chan AccessRecord, cfg.Buffer), stop: make(chan struct{}), done: make(chan struct{}),
		published: telemetry.Register(cfg.Registerer, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helpdesk_audit_access_records_total", Help: "Access records sent to the AUDIT stream.",
		})),
		dropped: telemetry.Register(cfg.Registerer, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helpdesk_audit_access_dropped_total", Help: "Access records dropped because the publish buffer was full.",
		})),
		failed: telemetry.Register(cfg.Registerer, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helpdesk_audit_access_failed_total", Help: "Access records the AUDIT stream did not acknowledge.",
		})),
	}
	js, err := jetstream.New(cfg.Conn, jetstream.WithPublishAsyncMaxPending(1024),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			n, _ := strconv.Atoi(m.Header.Get(HeaderRecords))
			a.failed.Add(float64(n))
			a.warnSparingly(&a.lastFailLog, "access record not stored (see helpdesk_audit_access_failed_total)",
				"records", n, "error", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("access trail: jetstream: %w", err)
	}
	a.js = js
	want := jetstream.StreamConfig{
		Name:        AccessStream,
		Description: "Helpdesk access trail: one record per API request",
		Subjects:    []string{AccessSubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Duplicates:  2 * time.Minute,
		DenyDelete:  true,
		DenyPurge:   true,
		Replicas:    cfg.Replicas,
	}
	// The retention is ours (--audit-retention-days); a size limit an
	// operator set stays.
	own := func(have *jetstream.StreamConfig) {
		have.Subjects, have.MaxAge, have.Duplicates = want.Subjects, want.MaxAge, want.Duplicates
		have.Retention = jetstream.LimitsPolicy
		have.DenyDelete, have.DenyPurge = true, true
	}
	if _, err := eventstore.EnsureStream(ctx, js, want, own); err != nil {
		return nil, fmt.Errorf("access trail: %w", err)
	}
	go a.run()
	return a, nil
}

// Record queues r for publishing, stamped with this gateway's instance. It
// never blocks: when the buffer is full the record is dropped, counted in
// helpdesk_audit_access_dropped_total and logged (at most every 10 s).
func (a *AccessTrail) Record(r AccessRecord) {
	r.Gateway = a.cfg.Instance
	select {
	case <-a.stop:
		a.drop(r)
		return
	default:
	}
	select {
	case a.records <- r:
	default:
		a.drop(r)
	}
}

func (a *AccessTrail) drop(r AccessRecord) {
	a.dropped.Inc()
	a.warnSparingly(&a.lastDropLog, "access trail overloaded: records dropped (see helpdesk_audit_access_dropped_total)",
		"request_id", r.RequestID, "route", r.Route)
}

// warnSparingly logs a warning unless one was logged through last less
// than 10 s ago: while NATS is unreachable every record fails, and a
// warning per request would flood the log. The counters count them all.
func (a *AccessTrail) warnSparingly(last *atomic.Int64, msg string, args ...any) {
	now := time.Now().UnixNano()
	prev := last.Load()
	if now-prev >= int64(10*time.Second) && last.CompareAndSwap(prev, now) {
		a.cfg.Logger.Warn(msg, args...)
	}
}

// Records travel in messages of up to batchRecords records, sent at least
// every flushInterval: one stream write per request would double the
// JetStream writes of a busy gateway (a hotline call's routing decision is
// one event), for records nobody reads at once.
const (
	batchRecords  = 256
	flushInterval = 100 * time.Millisecond
)

// run publishes the queued records until Close, then what is left.
func (a *AccessTrail) run() {
	defer close(a.done)
	batch := make([]AccessRecord, 0, batchRecords)
	add := func(r AccessRecord) {
		if batch = append(batch, r); len(batch) == batchRecords {
			a.publish(batch)
			batch = batch[:0]
		}
	}
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-a.records:
			add(r)
		case <-tick.C:
			if len(batch) > 0 {
				a.publish(batch)
				batch = batch[:0]
			}
		case <-a.stop:
			for {
				select {
				case r := <-a.records:
					add(r)
				default:
					if len(batch) > 0 {
						a.publish(batch)
					}
					return
				}
			}
		}
	}
}

// HeaderRecords is the number of access records in a message of the
// AUDIT stream.
const HeaderRecords = "Helpdesk-Records"

// publish sends records as one message: JSON lines, one record a line.
func (a *AccessTrail) publish(records []AccessRecord) {
	var body []byte
	n := 0
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			a.failed.Inc()
			continue
		}
		body = append(append(body, line...), '\n')
		n++
	}
	if n == 0 {
		return
	}
	m := nats.NewMsg(a.subject)
	m.Data = body
	// No Nats-Msg-Id: records are not retried, and the server would keep
	// every id for the duplicate window for nothing.
	m.Header.Set(HeaderRecords, strconv.Itoa(n))
	m.Header.Set("Content-Type", "application/x-ndjson")
	if _, err := a.js.PublishMsgAsync(m); err != nil {
		a.failed.Add(float64(n))
		a.warnSparingly(&a.lastFailLog, "access records not sent (see helpdesk_audit_access_failed_total)",
			"records", n, "error", err)
		return
	}
	a.published.Add(float64(n))
}

// DecodeAccessRecords reads the records of one message of the AUDIT
// stream.
func DecodeAccessRecords(data []byte) ([]AccessRecord, error) {
	var out []AccessRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var r AccessRecord
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("decode access record %d: %w", len(out)+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Close stops taking records, publishes the queued ones and waits, until
// ctx ends, for the server to acknowledge them.
func (a *AccessTrail) Close(ctx context.Context) error {
	a.closed.Do(func() { close(a.stop) })
	select {
	case <-a.done:
	case <-ctx.Done():
		return fmt.Errorf("close access trail: %w", ctx.Err())
	}
	select {
	case <-a.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close access trail: %d records unacknowledged: %w", a.js.PublishAsyncPending(), ctx.Err())
	}
}

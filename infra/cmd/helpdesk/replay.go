package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"helpdesk/infra/csvsafe"
	"helpdesk/infra/eventlog"
)

// replayColumns are the CSV columns, named as the envelope's JSON fields
// (service and stream_seq say where the event is stored), so that a field
// added to the envelope needs nothing here but its column.
var replayColumns = []string{"occurred_at", "service", "stream_seq", "aggregate_type", "aggregate_id", "aggregate_version",
	"type", "actor", "actor_role", "source_ip", "request_id", "correlation_id", "data"}

// replay streams the events that match the flags to stdout, as JSON lines or
// CSV, with progress and a summary on stderr. The data is as stored but for
// secrets (eventlog.Redact): internal notes and callers' numbers stay whole,
// because the operator reads the streams with NATS credentials, which show
// them anyway. Users get the role-based eventlog.View over REST.
func replay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	var p eventlog.Params
	fs.StringVar(&p.Service, "service", "", "only this service's events (default all)")
	fs.StringVar(&p.Aggregate, "aggregate", "", "only this aggregate: <type>/<id>, <type>/* or <id>")
	fs.StringVar(&p.Type, "type", "", "event types, comma-separated; ticket.* for a prefix")
	fs.StringVar(&p.Actor, "actor", "", "only events caused by this user id")
	fs.StringVar(&p.From, "from", "", "occurred at or after this RFC 3339 time")
	fs.StringVar(&p.To, "to", "", "occurred before this RFC 3339 time")
	format := fs.String("format", "jsonl", "output: jsonl (one event envelope per line) or csv")
	every := fs.Int("progress-events", 10000, "report progress on stderr every this many events written")
	interval := fs.Duration("progress-interval", 2*time.Second, "and at least this often")
	natsURL := natsFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
		return fmt.Errorf("--format: want jsonl or csv, got %q", *format)
	}
	f, err := eventlog.ParseFilter(p)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	nc, js, err := connectJetStream(*natsURL, "helpdesk-replay")
	if err != nil {
		return err
	}
	defer nc.Close()
	scan, err := eventlog.NewReader(js).Open(ctx, f, nil)
	if err != nil {
		return err
	}
	defer scan.Close()
	progress := func(st eventlog.Stats) {
		fmt.Fprintf(stderr, "replay: %d matched of %d read, %s\n", st.Matched, st.Scanned, st.Elapsed.Round(time.Millisecond))
	}
	scan.OnProgress(*interval, progress)
	out := newReplayWriter(*format, stdout)
	if err := out.header(); err != nil {
		return err
	}
	for {
		ev, ok, err := scan.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := out.write(ev); err != nil {
			return err
		}
		if *every > 0 && scan.Stats().Matched%*every == 0 {
			progress(scan.Stats())
		}
	}
	if err := out.flush(); err != nil {
		return err
	}
	st := scan.Stats()
	fmt.Fprintf(stderr, "replay done: %d events matched, %d read, in %s\n", st.Matched, st.Scanned, st.Elapsed.Round(time.Millisecond))
	return nil
}

// replayWriter writes events in one output format.
type replayWriter struct {
	jsonl *json.Encoder
	csv   *csv.Writer
}

func newReplayWriter(format string, w io.Writer) *replayWriter {
	if format == "csv" {
		return &replayWriter{csv: csv.NewWriter(w)}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the text as it was written: <, > and & stay readable
	return &replayWriter{jsonl: enc}
}

func (w *replayWriter) header() error {
	if w.csv == nil {
		return nil
	}
	return w.csv.Write(replayColumns)
}

func (w *replayWriter) write(ev eventlog.Event) error {
	if w.jsonl != nil {
		if err := w.jsonl.Encode(ev.Envelope); err != nil {
			return fmt.Errorf("write event %s: %w", ev.Envelope.ID, err)
		}
		return nil
	}
	raw, err := json.Marshal(ev.Envelope)
	if err != nil {
		return fmt.Errorf("write event %s: %w", ev.Envelope.ID, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("write event %s: %w", ev.Envelope.ID, err)
	}
	fields["service"], _ = json.Marshal(ev.Service)
	fields["stream_seq"] = json.RawMessage(strconv.FormatUint(ev.StreamSeq, 10))
	row := make([]string, len(replayColumns))
	for i, col := range replayColumns {
		row[i] = csvCell(col, fields[col])
	}
	if err := w.csv.Write(row); err != nil {
		return fmt.Errorf("write event %s: %w", ev.Envelope.ID, err)
	}
	return nil
}

// csvCell is a JSON value as CSV text: strings unquoted, data as JSON. A
// string that a spreadsheet would run as a formula (it starts with = + - @
// or a tab or carriage return) gets a leading ' so it stays text: clients
// choose some of these values, e.g. the correlation id (X-Request-Id).
func csvCell(col string, v json.RawMessage) string {
	if len(v) == 0 || col == "data" {
		return string(v)
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return string(v)
	}
	return csvsafe.Text(s)
}

func (w *replayWriter) flush() error {
	if w.csv == nil {
		return nil
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

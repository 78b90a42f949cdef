package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"helpdesk/infra/auditlog"
)

// errChainBroken is the error of `audit verify` when a chain is broken:
// the exit status is then non-zero.
var errChainBroken = errors.New("the event log's hash chain is broken")

// audit runs `helpdesk audit verify`.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("audit: say 'verify' (helpdesk audit verify [--stream NAME])")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	stream := fs.String("stream", "", "verify only this stream, e.g. EVENTS_TICKET (default every event stream)")
	every := fs.Duration("progress-interval", 2*time.Second, "report progress on stderr this often")
	natsURL := natsFlag(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	nc, js, err := connectJetStream(*natsURL, "helpdesk-audit")
	if err != nil {
		return err
	}
	defer nc.Close()
	opts := auditlog.VerifyOptions{
		ProgressEvery: *every,
		Progress: func(p auditlog.Progress) {
			fmt.Fprintf(stderr, "%s: %d/%d events\n", p.Stream, p.Done, p.Total)
		},
	}
	if *stream != "" {
		opts.Streams = []string{*stream}
	}
	rep, err := auditlog.Verify(ctx, js, opts)
	if err != nil {
		return err
	}
	if b := rep.Broken; b != nil {
		fmt.Fprintf(stdout, "BROKEN at %s sequence %d\n  subject: %s\n  event:   %s\n  problem: %s\n  detail:  %s\n",
			b.Stream, b.Sequence, b.Subject, b.EventID, b.Problem, b.Detail)
	}
	fmt.Fprintf(stdout, "%d events in %d subjects of %v: %d chained, %d unchained (legacy), in %s\n",
		rep.Events, rep.Subjects, rep.Streams, rep.Chained, rep.Legacy, rep.Elapsed.Round(time.Millisecond))
	if rep.Broken != nil {
		return errChainBroken
	}
	fmt.Fprintln(stdout, "every hash chain is intact")
	return nil
}

// auditRetentionFlag registers --audit-retention-days, for the commands
// that run a gateway.
func auditRetentionFlag(fs *flag.FlagSet) *int {
	return fs.Int("audit-retention-days", envInt("HELPDESK_AUDIT_RETENTION_DAYS", auditlog.DefaultRetentionDays),
		fmt.Sprintf("days the gateway's access audit trail (stream %s) is kept; at least %d, six months; the event streams are never trimmed (HELPDESK_AUDIT_RETENTION_DAYS)",
			auditlog.AccessStream, auditlog.MinRetentionDays))
}

// checkAuditRetention refuses to start with less than six months of audit
// retention.
func checkAuditRetention(days int) error {
	if err := auditlog.CheckRetention(days); err != nil {
		return fmt.Errorf("--audit-retention-days: %w", err)
	}
	return nil
}

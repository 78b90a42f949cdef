package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/contracts/problem"
	"helpdesk/infra/telemetry"
)

// DefaultTimeout bounds a request whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// Call sends req as JSON to subject and decodes the reply into a Resp. The
// caller in ctx (see WithCaller) and the trace context travel in headers. A
// service error comes back as a *problem.Error; a missing service as
// problem.CodeUnavailable.
func Call[Resp any](ctx context.Context, nc *nats.Conn, subject string, req any) (Resp, error) {
	var resp Resp
	data, err := request(ctx, nc, subject, req)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return resp, fmt.Errorf("decode reply of %s: %w", subject, err)
	}
	return resp, nil
}

// CallRaw is Call without decoding: it returns the reply's JSON as the
// service wrote it, for a caller that only passes it on (the gateway
// answering a search, say) and would otherwise decode and encode it again.
func CallRaw(ctx context.Context, nc *nats.Conn, subject string, req any) (json.RawMessage, error) {
	data, err := request(ctx, nc, subject, req)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("reply of %s is not JSON", subject)
	}
	return data, nil
}

// request sends req and returns the reply's body, or the service's error.
func request(ctx context.Context, nc *nats.Conn, subject string, req any) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request for %s: %w", subject, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	ctx, span := otel.Tracer("helpdesk/rpc").Start(ctx, "rpc "+subject, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()

	msg := nats.NewMsg(subject)
	msg.Data = body
	CallerFrom(ctx).writeTo(msg.Header)
	msg.Header.Set(HeaderCommandID, uuid.Must(uuid.NewV7()).String())
	telemetry.Inject(ctx, msg.Header)

	reply, err := nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			return nil, problem.New(problem.CodeUnavailable, "no %s service is running", subject)
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
			return nil, problem.New(problem.CodeUnavailable, "%s did not answer in time", subject)
		}
		return nil, fmt.Errorf("request %s: %w", subject, err)
	}
	if code := reply.Header.Get(micro.ErrorCodeHeader); code != "" {
		perr := &problem.Error{}
		if json.Unmarshal(reply.Data, perr) != nil || perr.Code == "" {
			perr = problem.New(problem.Code(code), "%s", reply.Header.Get(micro.ErrorHeader))
		}
		span.SetStatus(codes.Error, string(perr.Code))
		return nil, perr
	}
	return reply.Data, nil
}

package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/problem"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

type echoReq struct {
	Text string `json:"text"`
	Fail string `json:"fail,omitempty"`
}

type echoResp struct {
	Text   string `json:"text"`
	Caller string `json:"caller"`
	Key    string `json:"key"`
	Cause  string `json:"cause"`
}

func TestCall(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	svc, err := rpc.NewService(nc, rpc.ServiceConfig{Name: "echo", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	err = rpc.Register(svc, "say", func(ctx context.Context, req echoReq) (echoResp, error) {
		switch req.Fail {
		case "conflict":
			return echoResp{}, &problem.Error{Code: problem.CodeConflict, Message: "no", Fields: []problem.FieldError{{Field: "text", Message: "bad"}}}
		case "secret":
			return echoResp{}, errors.New("database password is hunter2")
		case "slow":
			<-ctx.Done()
			return echoResp{}, fmt.Errorf("query: %w", ctx.Err())
		}
		c := rpc.CallerFrom(ctx)
		md := rpc.Metadata(ctx)
		return echoResp{Text: req.Text, Caller: c.ID + "/" + c.Role, Key: md.IdempotencyKey, Cause: md.CausationID}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := rpc.WithCaller(context.Background(), rpc.Caller{ID: "u1", Role: "agent", IdempotencyKey: "k1"})

	got, err := rpc.Call[echoResp](ctx, nc, "helpdesk.echo.say", echoReq{Text: "你好"})
	if err != nil || got.Text != "你好" || got.Caller != "u1/agent" || got.Key != "u1:k1" || len(got.Cause) != 36 {
		t.Fatalf("call: %+v %v", got, err)
	}
	_, err = rpc.Call[echoResp](ctx, nc, "helpdesk.echo.say", echoReq{Fail: "conflict"})
	if p := problem.As(err); p == nil || p.Code != problem.CodeConflict || len(p.Fields) != 1 {
		t.Fatalf("conflict: %v", err)
	}
	_, err = rpc.Call[echoResp](ctx, nc, "helpdesk.echo.say", echoReq{Fail: "secret"})
	if p := problem.As(err); p == nil || p.Code != problem.CodeInternal || p.Message != "internal error" {
		t.Fatalf("internal error leaked or lost: %v", err)
	}
	_, err = rpc.Call[echoResp](ctx, nc, "helpdesk.echo.say", echoReq{Fail: "slow"})
	if problem.CodeOf(err) != problem.CodeUnavailable {
		t.Fatalf("a handler out of time: %v, want unavailable (503), not internal", err)
	}
	_, err = rpc.Call[echoResp](ctx, nc, "helpdesk.echo.say", "not an object")
	if problem.CodeOf(err) != problem.CodeInvalidArgument {
		t.Fatalf("malformed request: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := rpc.Call[echoResp](short, nc, "helpdesk.nobody.home", echoReq{}); problem.CodeOf(err) != problem.CodeUnavailable {
		t.Fatalf("no responders: %v", err)
	}
}

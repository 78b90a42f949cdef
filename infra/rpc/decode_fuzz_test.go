package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

// fuzzMsg is a request or reply with the field kinds contracts messages
// use.
type fuzzMsg struct {
	Open     ticketapi.OpenTicket `json:"open"`
	Version  uint64               `json:"version"`
	Limit    int                  `json:"limit"`
	Internal bool                 `json:"internal"`
	Tags     []string             `json:"tags"`
	At       time.Time            `json:"at"`
	Due      *time.Time           `json:"due,omitempty"`
	Attrs    map[string]string    `json:"attrs"`
	Score    float64              `json:"score"`
	Data     json.RawMessage      `json:"data,omitempty"`
}

var fuzzBodies = []string{
	`{"open":{"title":"打印机无法连接网络","description":"三楼的打印机离线 🖨️","priority":"P2"},"version":3,"tags":["网络"],"at":"2026-11-20T10:00:00+08:00"}`,
	`{"open":{"title":"<script>alert(1)</script>","requester":"' OR 1=1 --"},"attrs":{"a":"b"},"data":{"x":[1,2,{"y":null}]}}`,
	`{"version":18446744073709551615,"limit":-9223372036854775808,"score":1.7976931348623157e308}`,
	`{"version":18446744073709551616}`, `{"limit":1e400}`, `{"score":1e400}`, `{"version":-1}`, `{"limit":1.5}`,
	`{"at":"2026-13-45T99:99:99Z"}`, `{"at":"0000-01-01T00:00:00+23:59"}`, `{"at":"9999-12-31T23:59:59.999999999-23:59"}`, `{"due":null}`,
	`{"open":{"title":"x","title":"y"}}`, `{"open":"x"}`, `{"tags":"x"}`, `{"unknown":1}`,
	"{\"open\":{\"title\":\"\xff\xfe\"}}", `{"open":{"title":"\u0000\ud800"}}`,
	`{"version":1} {"version":2}`, `{"version":1} trailing`, `{"version":`, `null`, `[]`, `""`, ``, ` `,
	strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000),
	`{"data":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `}`,
}

// FuzzServiceRequest: a service answers any request body, never panics
// (a panic in an endpoint's goroutine would end the process): a body that
// json decodes into the endpoint's request type reaches the handler as
// that value, anything else is answered with an invalid_argument problem
// (HTTP 400) in the micro error headers and the body. Trace and caller
// headers are fuzzed too. One embedded NATS server serves every input.
func FuzzServiceRequest(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "u-1")
	}
	f.Add([]byte(fuzzBodies[0]), "00-00000000000000000000000000000000-0000000000000000-ff", "system:gateway")
	f.Add([]byte(fuzzBodies[0]), "ff-"+strings.Repeat("a", 4096), "用户\xff")
	f.Add([]byte(fuzzBodies[0]), "", "")
	_, nc := natsembed.StartForTest(f)
	svc, err := rpc.NewService(nc, rpc.ServiceConfig{Name: "fuzz", Logger: slog.New(slog.DiscardHandler),
		Registerer: prometheus.NewRegistry(), Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Stop() })
	if err := rpc.Register(svc, "echo", func(_ context.Context, req fuzzMsg) (fuzzMsg, error) { return req, nil }); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, traceparent, actor string) {
		msg := nats.NewMsg("helpdesk.fuzz.echo")
		msg.Data = body
		msg.Header.Set("traceparent", traceparent)
		msg.Header.Set("tracestate", traceparent)
		msg.Header.Set(rpc.HeaderActorID, actor)
		reply, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatalf("body %q: no answer: %v", body, err)
		}
		var want fuzzMsg
		if derr := json.NewDecoder(bytes.NewReader(body)).Decode(&want); derr != nil {
			if code := reply.Header.Get(micro.ErrorCodeHeader); code != string(problem.CodeInvalidArgument) {
				t.Fatalf("body %q (%v): error code header %q, want invalid_argument", body, derr, code)
			}
			var p problem.Error
			if err := json.Unmarshal(reply.Data, &p); err != nil || p.Code != problem.CodeInvalidArgument {
				t.Fatalf("body %q: problem body %q (%v)", body, reply.Data, err)
			}
			return
		}
		if code := reply.Header.Get(micro.ErrorCodeHeader); code != "" {
			t.Fatalf("body %q: refused with %q: %s", body, code, reply.Data)
		}
		wantJSON, err := json.Marshal(want)
		if err != nil {
			t.Fatalf("body %q decodes as %+v, which does not encode: %v", body, want, err)
		}
		if !bytes.Equal(reply.Data, wantJSON) {
			t.Fatalf("body %q: the handler got\n %s\nwant\n %s", body, reply.Data, wantJSON)
		}
	})
}

// replyOrder tells the fuzz responder what to answer.
type replyOrder struct {
	Code, Message, Data []byte
}

// headerValue is s as a NATS header carries it: one line, trimmed.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.Trim(s, " \t")
}

// FuzzCallReply: the client side reads any reply, never panics. Without an
// error code header the body is the answer: Call decodes it as
// json.Unmarshal does, CallRaw returns it when it is JSON. With one, the
// error is a *problem.Error: the body's problem when it decodes with a
// code (keeping that code, message and fields), else the header's code
// and description.
func FuzzCallReply(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add("", "", []byte(b))
	}
	codes := []string{"invalid_argument", "validation_failed", "not_found", "conflict", "internal", "unavailable", "precondition_failed", "500", "工单", "\xff"}
	for i, c := range codes {
		p, _ := json.Marshal(problem.Error{Code: problem.Code(codes[(i+1)%len(codes)]), Message: "工单 \"t-1\" 不存在",
			Fields: []problem.FieldError{{Field: "title", Message: "<script>alert(1)</script>"}}})
		f.Add(c, "ticket \"t-1\" not found", p)
		f.Add(c, "", []byte(`{"code":"","message":"x"}`))
		f.Add(c, "x", []byte(`{"code":"not_found","fields":5}`))
		f.Add(c, "x", []byte(`{"code":"conflict","message":"a"} {"code":"internal"}`))
		f.Add(c, "x", []byte(`{"code":`+strings.Repeat(`[`, 5000)+`}`))
		f.Add(c, "x", []byte(`{"code":"not_found","code":"internal","CODE":"conflict"}`))
		f.Add(c, "x", []byte(`{"code":1e400}`))
		f.Add(c, "x", []byte("{\"code\":\"\xff\",\"message\":\"\xfe\"}"))
		f.Add(c, strings.Repeat("很长", 2000), []byte(nil))
	}
	_, nc := natsembed.StartForTest(f)
	sub, err := nc.Subscribe("fuzz.reply", func(m *nats.Msg) {
		var o replyOrder
		if err := json.Unmarshal(m.Data, &o); err != nil {
			return
		}
		r := nats.NewMsg(m.Reply)
		if len(o.Code) > 0 {
			r.Header.Set(micro.ErrorCodeHeader, string(o.Code))
			r.Header.Set(micro.ErrorHeader, string(o.Message))
		}
		r.Data = o.Data
		_ = m.RespondMsg(r)
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = sub.Unsubscribe() })
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, code, message string, data []byte) {
		code, message = headerValue(code), headerValue(message)
		order := replyOrder{Code: []byte(code), Message: []byte(message), Data: data}
		got, err := rpc.Call[fuzzMsg](ctx, nc, "fuzz.reply", order)
		raw, rawErr := rpc.CallRaw(ctx, nc, "fuzz.reply", order)
		if code == "" {
			var want fuzzMsg
			if uerr := json.Unmarshal(data, &want); (uerr == nil) != (err == nil) {
				t.Fatalf("reply %q: Call error %v, json.Unmarshal error %v", data, err, uerr)
			} else if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("reply %q: Call decoded %+v, want %+v", data, got, want)
			} else if err != nil && problem.As(err) != nil {
				t.Fatalf("reply %q: a reply that does not decode is a problem %v, not a failure of the call", data, err)
			}
			if json.Valid(data) != (rawErr == nil) || rawErr == nil && !bytes.Equal(raw, data) {
				t.Fatalf("reply %q: CallRaw gave %q, %v", data, raw, rawErr)
			}
			return
		}
		var want problem.Error
		if json.Unmarshal(data, &want) != nil || want.Code == "" {
			want = problem.Error{Code: problem.Code(code), Message: message}
		}
		for _, e := range []error{err, rawErr} {
			var p *problem.Error
			if !errors.As(e, &p) || !reflect.DeepEqual(*p, want) {
				t.Fatalf("error reply %q %q %q: %#v, want %#v", code, message, data, e, want)
			}
		}
	})
}

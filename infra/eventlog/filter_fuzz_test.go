package eventlog_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventlog"
)

// paramsOf renders a parsed filter back as the parameters a user would
// write for it.
func paramsOf(f eventlog.Filter) eventlog.Params {
	var p eventlog.Params
	if len(f.Services) == 1 {
		p.Service = f.Services[0]
	}
	switch {
	case f.AggregateType != "" && f.AggregateID == "":
		p.Aggregate = f.AggregateType + "/*"
	case f.AggregateType != "":
		p.Aggregate = f.AggregateType + "/" + f.AggregateID
	default:
		p.Aggregate = f.AggregateID
	}
	types := make([]string, len(f.Types))
	for i, t := range f.Types {
		if strings.HasSuffix(t, ".") {
			t += "*"
		}
		types[i] = t
	}
	p.Type = strings.Join(types, ",")
	p.Actor = f.Actor
	if !f.From.IsZero() {
		p.From = f.From.Format(time.RFC3339Nano)
	}
	if !f.To.IsZero() {
		p.To = f.To.Format(time.RFC3339Nano)
	}
	return p
}

// subjectToken reports whether s can stand as one token of a NATS subject
// filter without widening it: no dots, wildcards or spaces.
func subjectToken(s string) bool {
	return !strings.ContainsAny(s, ".*> \t\r\n") && !strings.ContainsFunc(s, unicode.IsControl)
}

// FuzzParseFilter: any audit query parameters parse into a filter or give
// one invalid_argument problem (HTTP 400) that names only fields of
// Params, never a panic. A filter that parses has only known services,
// aggregate parts that cannot widen the stream's subject filter, from
// before to, and parses back to itself from its own rendering; a cursor
// made for it decodes for it.
func FuzzParseFilter(f *testing.F) {
	seeds := [][6]string{
		{"ticket", "ticket/t-1", "ticket.opened,ticket.*", "u-1", "2026-11-20T10:00:00+08:00", "2026-11-21T10:00:00Z"},
		{"", "ticket/*", "", "system:gateway", "", ""},
		{"identity", "u-42", "user.registered", "", "2026-11-20T02:00:00.123456789Z", ""},
		{"工单", "工单/一号", "工单.已创建", "张三", "2026年11月20日", ""},
		{"ticket", "*", "*", "a b", "2026-11-20T10:00:00Z", "2026-11-20T10:00:00Z"},
		{"ticket", "ticket/>", "ticket.>", "u\x00", "2026-13-45T99:99:99Z", "0000-01-01T00:00:00Z"},
		{"", "ticket.x/t-1", "Ticket.Opened", strings.Repeat("x", 201), "9999-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z"},
		{"", "../../etc/passwd", "a,,b", "\xff\xfe", "1e400", "-1"},
		{"", "ticket/t.1", " ticket.opened , ticket.* ", "' OR 1=1 --", "2026-11-20T10:00:00+99:99", "2026-11-20T10:00:00-23:59"},
		{"", "ticket/a/b", "ticket..opened", "<script>alert(1)</script>", "", "1970-01-01T00:00:00Z"},
		{"", strings.Repeat("a", 129), strings.Repeat("ticket.", 1000) + "*", strings.Repeat("🙂", 50), "", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	fields := []string{"service", "aggregate", "type", "actor", "from", "to"}
	f.Fuzz(func(t *testing.T, service, aggregate, typ, actor, from, to string) {
		p := eventlog.Params{Service: service, Aggregate: aggregate, Type: typ, Actor: actor, From: from, To: to}
		flt, err := eventlog.ParseFilter(p)
		if err != nil {
			pe := problem.As(err)
			if pe == nil || pe.Code != problem.CodeInvalidArgument || len(pe.Fields) == 0 {
				t.Fatalf("%+v: %v, want an invalid_argument problem with fields", p, err)
			}
			for _, fe := range pe.Fields {
				if !slices.Contains(fields, fe.Field) {
					t.Fatalf("%+v: problem names field %q", p, fe.Field)
				}
			}
			if !reflect.DeepEqual(flt, eventlog.Filter{}) {
				t.Fatalf("%+v: error %v with filter %+v", p, err, flt)
			}
			return
		}
		for _, s := range flt.Services {
			if !slices.Contains(subjects.Services, s) {
				t.Fatalf("%+v: unknown service %q", p, s)
			}
		}
		if !subjectToken(flt.AggregateType) || !subjectToken(flt.AggregateID) || strings.Contains(flt.AggregateID, "/") {
			t.Fatalf("%+v: aggregate %q/%q could widen the subject filter", p, flt.AggregateType, flt.AggregateID)
		}
		for _, ty := range flt.Types {
			if ty == "" || strings.ContainsAny(ty, "*, ") {
				t.Fatalf("%+v: type entry %q", p, ty)
			}
		}
		if strings.ContainsFunc(flt.Actor, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			t.Fatalf("%+v: actor %q", p, flt.Actor)
		}
		if !flt.From.IsZero() && !flt.To.IsZero() && !flt.From.Before(flt.To) {
			t.Fatalf("%+v: from %v not before to %v", p, flt.From, flt.To)
		}
		back, err := eventlog.ParseFilter(paramsOf(flt))
		if err != nil {
			t.Fatalf("%+v parsed as %+v, whose rendering %+v does not parse: %v", p, flt, paramsOf(flt), err)
		}
		if !back.From.Equal(flt.From) || !back.To.Equal(flt.To) {
			t.Fatalf("%+v: times %v..%v read back as %v..%v", p, flt.From, flt.To, back.From, back.To)
		}
		back.From, back.To = flt.From, flt.To
		if len(back.Types) == 0 && len(flt.Types) == 0 {
			back.Types = flt.Types
		}
		if !reflect.DeepEqual(back, flt) {
			t.Fatalf("%+v: parsed %+v, rendered and parsed again %+v", p, flt, back)
		}
		cur := eventlog.Cursor{"EVENTS_TICKET": 7}
		if got, err := eventlog.DecodeCursor(cur.Encode(flt), back); err != nil || !reflect.DeepEqual(got, cur) {
			t.Fatalf("%+v: a cursor for the filter decodes for its re-parse as %v, %v", p, got, err)
		}
	})
}

// cursorFilters are distinct filters a fuzzed cursor is decoded for.
var cursorFilters = func() []eventlog.Filter {
	var fs []eventlog.Filter
	for _, p := range []eventlog.Params{
		{},
		{Service: "ticket", Aggregate: "ticket/t-1"},
		{Type: "ticket.*,user.registered", Actor: "u-1"},
		{From: "2026-11-20T10:00:00+08:00", To: "2026-11-21T00:00:00Z"},
	} {
		f, err := eventlog.ParseFilter(p)
		if err != nil {
			panic(err)
		}
		fs = append(fs, f)
	}
	return fs
}()

// FuzzDecodeCursor: any cursor text decodes or gives an invalid_argument
// problem (HTTP 400) on the field "cursor", never a panic. A cursor that
// decodes names only known streams, encodes again to a cursor that decodes
// to the same positions, and is refused for any other filters.
func FuzzDecodeCursor(f *testing.F) {
	digest := func(flt eventlog.Filter) string {
		raw, err := base64.RawURLEncoding.DecodeString(eventlog.Cursor{}.Encode(flt))
		if err != nil {
			f.Fatal(err)
		}
		var w struct{ F string }
		if err := json.Unmarshal(raw, &w); err != nil {
			f.Fatal(err)
		}
		return w.F
	}
	for i, flt := range cursorFilters {
		d := digest(flt)
		valid := eventlog.Cursor{"EVENTS_TICKET": 42, "EVENTS_IDENTITY": 7}.Encode(flt)
		f.Add(uint8(i), []byte(valid), false)
		f.Add(uint8(i), []byte(valid+"="), false)
		f.Add(uint8(i), []byte(strings.ToUpper(valid)), false)
		for _, body := range []string{
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":42}}`,
			`{"v":1,"f":"` + d + `","p":null}`,
			`{"v":1,"f":"` + d + `"}`,
			`{"V":1,"F":"` + d + `","P":{"EVENTS_KNOWLEDGE":1}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":18446744073709551615}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":18446744073709551616}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":-1}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":1e400}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":1.5}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_工单":1}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET\xff":1}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":1,"EVENTS_TICKET":2}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":{"a":[[[[1]]]]}}}`,
			`{"v":2,"f":"` + d + `","p":{}}`,
			`{"v":1,"f":"0000000000000000","p":{}}`,
			`{"v":1,"f":"` + d + `","p":{"EVENTS_TICKET":1}} trailing`,
			`{"v":1,"f":"` + d + `","p":{"../../etc/passwd":1}}`,
			strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000),
			`null`, `[]`, ``,
		} {
			f.Add(uint8(i), []byte(body), true)
		}
	}
	f.Add(uint8(0), []byte("' OR 1=1 --"), false)
	f.Add(uint8(0), []byte("\xff\xfe"), false)
	f.Add(uint8(0), []byte("游标"), false)
	f.Fuzz(func(t *testing.T, which uint8, payload []byte, encode bool) {
		text := string(payload)
		if encode {
			text = base64.RawURLEncoding.EncodeToString(payload)
		}
		i := int(which) % len(cursorFilters)
		flt := cursorFilters[i]
		cur, err := eventlog.DecodeCursor(text, flt)
		if err != nil {
			pe := problem.As(err)
			if pe == nil || pe.Code != problem.CodeInvalidArgument || len(pe.Fields) != 1 || pe.Fields[0].Field != "cursor" {
				t.Fatalf("cursor %q: %v, want an invalid_argument problem on cursor", text, err)
			}
			if cur != nil {
				t.Fatalf("cursor %q: error %v with cursor %v", text, err, cur)
			}
			return
		}
		if cur == nil {
			t.Fatalf("cursor %q: nil cursor without an error", text)
		}
		for stream := range cur {
			if !slices.ContainsFunc(subjects.Services, func(svc string) bool { return subjects.Stream(svc) == stream }) {
				t.Fatalf("cursor %q: unknown stream %q", text, stream)
			}
		}
		again, err := eventlog.DecodeCursor(cur.Encode(flt), flt)
		if err != nil || !reflect.DeepEqual(again, cur) {
			t.Fatalf("cursor %q decodes as %v, which encodes and decodes again as %v, %v", text, cur, again, err)
		}
		if text == "" {
			return
		}
		other := cursorFilters[(i+1)%len(cursorFilters)]
		if _, err := eventlog.DecodeCursor(text, other); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Fatalf("cursor %q made for %+v decodes for %+v: %v", text, flt, other, err)
		}
	})
}

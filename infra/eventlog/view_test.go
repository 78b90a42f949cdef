package eventlog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"helpdesk/contracts/events"
	"helpdesk/contracts/events/schema"
	"helpdesk/infra/eventlog"
)

func TestView(t *testing.T) {
	const (
		note     = `{"reply_id":"r1","author":"agent-1","author_role":"agent","body":"客户是 VIP <b>","internal":true,"status":"in_progress"}`
		reply    = `{"reply_id":"r2","author":"agent-1","author_role":"agent","body":"请重启客户端","internal":false,"status":"waiting_on_customer"}`
		received = `{"call_id":"c1","caller":"13812345678","hotline":"4008001234","routing":{"position":1}}`
		cdr      = `{"call_id":"c1","source":"asterisk","key":"k","caller":"+86 138-1234-5678","hotline":"4008001234","started_at":"2026-11-20T02:00:00Z","ended_at":"2026-11-20T02:05:00Z","disposition":"answered"}`
		resolved = `{"call_id":"c1","question":"VPN 连不上","resolution":"重装客户端","category":"网络"}`
	)
	hiddenNote := `{"author":"agent-1","author_role":"agent","body":"[internal note]","internal":true,"reply_id":"r1","status":"in_progress"}`
	for _, tt := range []struct {
		name, role, typ, data, want string
	}{
		{"auditor sees that a note was written, not its text", "auditor", "ticket.replied", note, hiddenNote},
		{"customer neither", "customer", "ticket.replied", note, hiddenNote},
		{"unknown role neither", "", "ticket.replied", note, hiddenNote},
		{"agent reads the note", "agent", "ticket.replied", note, note},
		{"public reply stays", "auditor", "ticket.replied", reply, reply},
		{"a reply without the flag counts as a note", "auditor", "ticket.replied", `{"body":"x"}`, `{"body":"[internal note]"}`},
		{"auditor sees the caller masked", "auditor", "hotline.call_received", received,
			`{"call_id":"c1","caller":"138****5678","hotline":"4008001234","routing":{"position":1}}`},
		{"supervisor too", "supervisor", "hotline.call_received", received,
			`{"call_id":"c1","caller":"138****5678","hotline":"4008001234","routing":{"position":1}}`},
		{"admin sees the full number", "admin", "hotline.call_received", received, received},
		{"CDR caller masked", "auditor", "call.cdr_ingested", cdr,
			`{"call_id":"c1","caller":"+86 138-****-5678","disposition":"answered","ended_at":"2026-11-20T02:05:00Z","hotline":"4008001234","key":"k","source":"asterisk","started_at":"2026-11-20T02:00:00Z"}`},
		{"a caller that is not a string is hidden whole", "auditor", "call.cdr_ingested", `{"caller":13812345678}`, `{"caller":"[redacted]"}`},
		{"auditor does not read the agent's call note", "auditor", "call.resolved", resolved,
			`{"call_id":"c1","category":"网络","question":"[internal note]","resolution":"[internal note]"}`},
		{"agent does", "agent", "call.resolved", resolved, resolved},
		{"other events stay as they are", "auditor", "ticket.opened", `{"title":"13812345678"}`, `{"title":"13812345678"}`},
		{"data that is not an object stays", "auditor", "ticket.replied", `"x"`, `"x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := events.Envelope{ID: "e1", Type: tt.typ, Actor: "agent-1", Data: json.RawMessage(tt.data)}
			got := eventlog.View(tt.role, e)
			if string(got.Data) != tt.want {
				t.Errorf("data\n %s\nwant\n %s", got.Data, tt.want)
			}
			if got.ID != e.ID || got.Type != e.Type || got.Actor != e.Actor {
				t.Errorf("the envelope changed: %+v", got)
			}
			if string(e.Data) != tt.data {
				t.Errorf("View changed its argument's data: %s", e.Data)
			}
		})
	}
}

// TestView_covers_every_event_schema walks the JSON Schema of every event
// and fails on a property whose name speaks of an internal note or a phone
// number but which View does not decide on, so that a new event cannot
// show one to the auditor unnoticed. View works on top-level fields only:
// such a name nested deeper fails unless it is listed as harmless.
func TestView_covers_every_event_schema(t *testing.T) {
	// Names that only look private.
	harmless := map[string]string{
		"work_number": "the staff number (工号) the hotline announces to callers, not a phone number",
	}
	words := []string{"internal", "note", "phone", "mobile", "caller", "callee", "number"}
	all := schema.All()
	if len(all) == 0 {
		t.Fatal("no event schemas found")
	}
	for file, raw := range all {
		eventType, _, _ := strings.Cut(file, ".v")
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, p := range schemaProperties(doc, "") {
			leaf := strings.ToLower(p[strings.LastIndex(p, ".")+1:])
			suspicious := false
			for _, w := range words {
				suspicious = suspicious || strings.Contains(leaf, w)
			}
			if !suspicious || harmless[leaf] != "" {
				continue
			}
			if strings.Contains(p, ".") {
				t.Errorf("%s: nested property %q looks private; View handles top-level fields only", file, p)
			} else if !eventlog.IsPrivateField(eventType, p) {
				t.Errorf("%s: property %q looks private but has no line in eventlog's privateFields", file, p)
			}
		}
	}
}

// schemaProperties lists the properties of a schema as dotted paths from
// the top of the data.
func schemaProperties(v any, prefix string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props, _ := v["properties"].(map[string]any)
		for name, inner := range props {
			out = append(out, prefix+name)
			out = append(out, schemaProperties(inner, prefix+name+".")...)
		}
		for k, inner := range v {
			if k != "properties" {
				out = append(out, schemaProperties(inner, prefix)...)
			}
		}
	case []any:
		for _, inner := range v {
			out = append(out, schemaProperties(inner, prefix)...)
		}
	}
	return out
}

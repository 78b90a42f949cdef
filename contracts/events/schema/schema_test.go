package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	sjs "github.com/santhosh-tekuri/jsonschema/v6"

	"helpdesk/contracts/catalog"
	"helpdesk/contracts/events"
	"helpdesk/contracts/events/schema"
)

var update = flag.Bool("update", false, "rewrite the schema files from the Go types")

// generate reflects the JSON Schema of a payload type: self-contained, no
// unknown properties, fields without omitempty required.
func generate(p events.Payload) []byte {
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, AllowAdditionalProperties: false}
	s := r.Reflect(p)
	s.ID = jsonschema.ID(events.SchemaPath(p.EventType(), p.SchemaVersion()))
	s.Title = p.EventType()
	s.Description = "Payload (CloudEvents data) of " + p.EventType() + ", schema version " + strconv.Itoa(p.SchemaVersion())
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// TestSchemasMatchTypes fails when a checked-in schema differs from its Go
// type, or when a type has no schema file or a file no type.
func TestSchemasMatchTypes(t *testing.T) {
	files := schema.All()
	for _, p := range catalog.Payloads() {
		name := schema.FileName(p.EventType(), p.SchemaVersion())
		want := generate(p)
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			delete(files, name)
			continue
		}
		got, ok := files[name]
		if !ok {
			t.Errorf("%s (%T) has no schema file %s; run go test ./events/schema -run TestSchemas -update", p.EventType(), p, name)
			continue
		}
		delete(files, name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s drifted from %T; review the change and run go test ./events/schema -run TestSchemas -update", name, p)
		}
	}
	for name := range files {
		t.Errorf("schema file %s belongs to no event type in the catalog", name)
	}
}

// TestSchemas_validate_payloads checks that real payloads pass their schema
// and broken ones fail.
func TestSchemas_validate_payloads(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		payload string
		valid   bool
	}{
		{"opened in Chinese", "ticket.opened", `{"title":"打印机无法连接网络","description":"从昨天开始","priority":"P2","channel":"web","requester":"u1","first_response_due":"2026-03-02T13:00:00Z","resolution_due":"2026-03-03T09:00:00Z"}`, true},
		{"opened without title", "ticket.opened", `{"description":"x","priority":"P2","channel":"web","requester":"u1","first_response_due":"2026-03-02T13:00:00Z","resolution_due":"2026-03-03T09:00:00Z"}`, false},
		{"opened with a 201-character title", "ticket.opened", `{"title":"` + strings.Repeat("长", 201) + `","description":"","priority":"P2","channel":"web","requester":"u1","first_response_due":"2026-03-02T13:00:00Z","resolution_due":"2026-03-03T09:00:00Z"}`, false},
		{"opened with an unknown priority", "ticket.opened", `{"title":"t","description":"","priority":"P9","channel":"web","requester":"u1","first_response_due":"2026-03-02T13:00:00Z","resolution_due":"2026-03-03T09:00:00Z"}`, false},
		{"breach with an unknown target", "ticket.sla_breached", `{"target":"lunch","due_at":"2026-03-02T13:00:00Z"}`, false},
		{"unknown property", "ticket.assigned", `{"assignee":"a","colour":"red"}`, false},
	}
	c := sjs.NewCompiler()
	for name, b := range schema.All() {
		doc, err := sjs.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.Compile(schema.FileName(tt.event, 1))
			if err != nil {
				t.Fatal(err)
			}
			v, err := sjs.UnmarshalJSON(strings.NewReader(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); (err == nil) != tt.valid {
				t.Fatalf("valid = %v, want %v (%v)", err == nil, tt.valid, err)
			}
		})
	}
}

// TestCatalog_types_are_unique guards against two payloads claiming one type.
func TestCatalog_types_are_unique(t *testing.T) {
	seen := map[string]reflect.Type{}
	for _, p := range catalog.Payloads() {
		if prev, ok := seen[p.EventType()]; ok {
			t.Errorf("%s claimed by %v and %T", p.EventType(), prev, p)
		}
		seen[p.EventType()] = reflect.TypeOf(p)
	}
}

// TestEventsDoc_mentions_every_event keeps contracts/EVENTS.md complete.
func TestEventsDoc_mentions_every_event(t *testing.T) {
	doc, err := os.ReadFile("../../EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range catalog.Payloads() {
		if !strings.Contains(string(doc), "`"+p.EventType()+"`") {
			t.Errorf("EVENTS.md does not document %s", p.EventType())
		}
	}
}

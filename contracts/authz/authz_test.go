package authz_test

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"helpdesk/contracts/authz"
)

var update = flag.Bool("update", false, "rewrite docs/authz-matrix.md from the matrix")

func TestAllowed(t *testing.T) {
	tests := []struct {
		name string
		role string
		op   authz.Operation
		want bool
	}{
		{"customer opens a ticket", authz.Customer, authz.TicketOpen, true},
		{"auditor reads the audit trail", authz.Auditor, authz.AuditEventsRead, true},
		{"admin cannot read the audit trail", authz.Admin, authz.AuditEventsRead, false},
		{"supervisor cannot read the audit trail", authz.Supervisor, authz.AuditEventsRead, false},
		{"auditor reads a ticket's history", authz.Auditor, authz.TicketHistoryRead, true},
		{"auditor cannot list tickets", authz.Auditor, authz.TicketList, false},
		{"auditor cannot reply", authz.Auditor, authz.TicketReply, false},
		{"auditor never sees internal notes", authz.Auditor, authz.TicketInternalNote, false},
		{"customer never sees internal notes", authz.Customer, authz.TicketInternalNote, false},
		{"supervisor manages categories", authz.Supervisor, authz.KBCategoryManage, true},
		{"agent does not manage categories", authz.Agent, authz.KBCategoryManage, false},
		{"supervisor completes follow-ups", authz.Supervisor, authz.SatisfactionFollowUpComplete, true},
		{"agent does not complete follow-ups", authz.Agent, authz.SatisfactionFollowUpComplete, false},
		{"only admins create accounts", authz.Supervisor, authz.UserCreate, false},
		{"the PBX offers calls", authz.PBX, authz.CallOffer, true},
		{"the PBX is no user", authz.PBX, authz.TicketOpen, false},
		{"anyone signs in", "", authz.AuthLogin, true},
		{"no role is denied", "", authz.TicketOpen, false},
		{"unknown role is denied", "root", authz.TicketOpen, false},
		{"system is no matrix role", "system", authz.TicketOpen, false},
		{"unknown operation is denied", authz.Admin, "ticket.delete", false},
		{"empty operation is denied", authz.Admin, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := authz.Allowed(tt.role, tt.op); got != tt.want {
				t.Errorf("Allowed(%q, %q) = %v, want %v", tt.role, tt.op, got, tt.want)
			}
		})
	}
}

// TestAuditor_reads_audit_data_and_nothing_else pins the separation of
// duties: the auditor's whole reach is the audit trail, ticket history and
// their own account, and the auditor writes nothing.
func TestAuditor_reads_audit_data_and_nothing_else(t *testing.T) {
	want := []authz.Operation{authz.AuthLogin, authz.AuthRefresh, authz.AuthLogout, authz.AuthPasswordChange,
		authz.AccountRead, authz.AuditEventsRead, authz.TicketHistoryRead, authz.TicketReadAll}
	var got []authz.Operation
	for _, r := range authz.Rules() {
		if authz.Allowed(authz.Auditor, r.Op) {
			got = append(got, r.Op)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the auditor may %v, want exactly %v", got, want)
	}
}

func TestRules_are_well_formed(t *testing.T) {
	for _, r := range authz.Rules() {
		if r.Summary == "" {
			t.Errorf("%s: no summary", r.Op)
		}
		if parts := strings.Split(string(r.Op), "."); len(parts) < 2 || slices.Contains(parts, "") {
			t.Errorf("%s: want a dotted name such as ticket.open", r.Op)
		}
		if r.Public == (len(r.Roles) > 0) {
			t.Errorf("%s: want either Public or roles", r.Op)
		}
		for _, role := range r.Roles {
			if !slices.Contains(authz.Roles, role) {
				t.Errorf("%s: unknown role %q", r.Op, role)
			}
		}
		if got, ok := authz.Lookup(r.Op); !ok || got.Op != r.Op {
			t.Errorf("Lookup(%s) = %v, %v", r.Op, got, ok)
		}
	}
}

func TestRules_returns_a_copy(t *testing.T) {
	rules := authz.Rules()
	for _, r := range rules {
		if len(r.Roles) > 0 {
			r.Roles[0] = authz.Customer // writes into the returned slice's array
		}
	}
	if authz.Allowed(authz.Customer, authz.UserCreate) {
		t.Fatal("changing the slice Rules returned changed the matrix")
	}
}

// TestTable_matches_docs keeps docs/authz-matrix.md the matrix's own
// rendering; `go test ./authz -run TestTable -update` rewrites it.
func TestTable_matches_docs(t *testing.T) {
	const path = "../../docs/authz-matrix.md"
	doc := docHeader + authz.Table()
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./authz -run TestTable -update)", err)
	}
	if string(got) != doc {
		t.Errorf("%s is out of date: run `cd contracts && go test ./authz -run TestTable -update`", path)
	}
	if !strings.Contains(doc, "| `audit.events.read` | route |  |  |  |  | ✓ |  |") {
		t.Errorf("the table does not show the auditor alone reading audit events:\n%s", doc)
	}
}

const docHeader = `# Authorization matrix

Generated from contracts/authz (the one place the matrix is written) by
` + "`cd contracts && go test ./authz -run TestTable -update`" + `; do not edit by hand.

The gateway checks the route operations on every /api/v1 request before it
calls a service (403 problem+json "your role may not …"); the services
re-check the same matrix, the service rules below, and ownership: a customer
reaches only their own tickets, surveys and requests (others are "not
found"), and internal notes never leave agents, supervisors and admins.
The pbx column is a request signed with a PBX key (X-API-Key).

`

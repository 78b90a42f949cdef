package ticket_test

import (
	"testing"

	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a ticket or an error, never a panic; a ticket that folds renders
// for a customer and for an agent.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, ticketapi.Opened{Title: "打印机无法连接网络", Description: "<script>alert(1)</script>", Priority: "P2", Requester: "u-1"},
		ticketapi.Replied{ReplyID: "r-1", Body: "'; DROP TABLE tickets; --", Internal: true})
	eventfuzz.Seed(f, ticketapi.Opened{Title: "VPN 🔒"}, ticketapi.Resolved{Resolution: "已解决"})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		tk, err := ticket.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		for _, a := range []identityapi.Actor{{ID: "u-1", Role: identityapi.RoleCustomer}, {ID: "a-1", Role: identityapi.RoleAgent}} {
			if v := tk.View(a); v.Version != tk.Version() {
				t.Fatalf("view version %d, ticket version %d", v.Version, tk.Version())
			}
		}
	})
}

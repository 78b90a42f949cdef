package call_test

import (
	"testing"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/services/callrecord/domain/call"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a call record or an error, never a panic.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, callapi.CallRated{CallID: "c-1", Score: 5},
		callapi.CallResolved{CallID: "c-1", Question: "<script>alert(1)</script>", Resolution: "重启路由器 📶"})
	eventfuzz.Seed(f, callapi.TicketOpened{CallID: "c-1"}, callapi.RecordingStored{CallID: "c-1"})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		c, err := call.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		if c.Version() != 2 {
			t.Fatalf("version %d after two events", c.Version())
		}
	})
}

package acd_test

import (
	"testing"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/services/callrecord/domain/acd"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into the hotline board or an error, never a panic; the board it folds
// into lists its agents and waiting calls.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, callapi.AgentLoggedIn{AgentID: "a-1", Extension: "1001", WorkNumber: "007", Skills: []string{"vpn"}},
		callapi.CallReceived{CallID: "c-1", Caller: "13800000000", Hotline: "400"})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		b, err := acd.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		for _, a := range b.Agents() {
			a.View()
		}
		b.Waiting()
	})
}

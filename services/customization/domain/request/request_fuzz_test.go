package request_test

import (
	"testing"

	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/customization/domain/request"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a customization request or an error, never a panic; a request that
// folds renders for its requester.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, custapi.Submitted{Kind: "new_feature", Title: "导出报表 <script>alert(1)</script>", Requester: "u-1",
		Justification: "\" OR \"\"=\""}, custapi.Estimated{EffortDays: 3, Cost: 1200, PlannedStart: "2026-10-12", PlannedEnd: "2026-10-15"})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		r, err := request.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		if v := r.View(identityapi.Actor{ID: "u-1", Role: identityapi.RoleCustomer}); v.Version != 2 {
			t.Fatalf("view version %d after two events", v.Version)
		}
	})
}

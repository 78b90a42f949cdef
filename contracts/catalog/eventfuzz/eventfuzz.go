// Package eventfuzz helps fuzz the rebuild of aggregates from their events:
// the fuzzer picks two events of any type of the catalog (the aggregate's own
// and every other service's) with any data, and the aggregate must fold them
// into a value or an error, never a panic. Every FuzzFromEvents target of
// the services' domain packages uses it.
package eventfuzz

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"helpdesk/contracts/catalog"
	"helpdesk/contracts/events"
)

// types are the event types of every payload of the catalog.
var types = func() []string {
	var ts []string
	for _, p := range catalog.Payloads() {
		ts = append(ts, p.EventType())
	}
	return ts
}()

// Seed adds two events of an aggregate, a then b, to f's seed corpus. The
// fuzz function takes (first uint8, data1 []byte, second uint8, data2
// []byte) and passes them to Events.
func Seed(f *testing.F, a, b events.Payload) {
	f.Helper()
	da, errA := json.Marshal(a)
	db, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		f.Fatal(errA, errB)
	}
	f.Add(uint8(slices.Index(types, a.EventType())), da, uint8(slices.Index(types, b.EventType())), db)
}

// Events returns two stored events of one aggregate with the types the
// fuzzer picked (by index into the catalog's types) and its data.
func Events(first uint8, data1 []byte, second uint8, data2 []byte) []events.Envelope {
	at := time.Date(2026, 10, 9, 2, 0, 0, 0, time.UTC)
	return []events.Envelope{
		{ID: "e-1", Type: types[int(first)%len(types)], SchemaVersion: 1, AggregateID: "agg-1", AggregateVersion: 1, OccurredAt: at, Data: data1},
		{ID: "e-2", Type: types[int(second)%len(types)], SchemaVersion: 1, AggregateID: "agg-1", AggregateVersion: 2, OccurredAt: at.Add(time.Minute), Data: data2},
	}
}

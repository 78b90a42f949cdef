package projectiontest

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"helpdesk/contracts/events"
)

// Deliveries orders evs as a consumer might receive them: mixed up between
// aggregates (but in order within each), about one in redeliverOneIn of
// them again somewhat after their first delivery (so possibly after later
// events of their aggregate), in transactions of 1 to 64 events. The same
// seed gives the same deliveries.
func Deliveries(evs []events.Envelope, seed uint64, redeliverOneIn int) [][]events.Envelope {
	r := rand.New(rand.NewPCG(seed, 11))
	type keyed struct {
		key float64
		env events.Envelope
	}
	last := map[string]float64{}
	var order []keyed
	for i, e := range evs {
		k := float64(i) + r.Float64()*80
		if l, ok := last[e.AggregateID]; ok && k <= l {
			k = l + 1e-6
		}
		last[e.AggregateID] = k
		order = append(order, keyed{k, e})
	}
	for _, k := range slices.Clone(order) {
		if r.IntN(redeliverOneIn) == 0 {
			order = append(order, keyed{k.key + 1 + r.Float64()*300, k.env})
		}
	}
	slices.SortStableFunc(order, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	var batches [][]events.Envelope
	for len(order) > 0 {
		n := min(1+r.IntN(64), len(order))
		var b []events.Envelope
		for _, k := range order[:n] {
			b = append(b, k.env)
		}
		batches, order = append(batches, b), order[n:]
	}
	return batches
}

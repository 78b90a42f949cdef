package roster_test

import (
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/identity/domain/roster"
)

func rosterOf(t *testing.T, payloads ...events.Payload) *roster.Roster {
	t.Helper()
	var envs []events.Envelope
	for i, p := range payloads {
		env, err := events.New(identityapi.Source, "admin_roster", roster.ID, p, time.Now(), events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env.AggregateVersion = uint64(i + 1)
		envs = append(envs, env)
	}
	r, err := roster.FromEvents(envs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoster_Remove(t *testing.T) {
	a, b := identityapi.AdminAdded{UserID: "a"}, identityapi.AdminAdded{UserID: "b"}
	tests := []struct {
		name   string
		r      *roster.Roster
		remove string
		ok     bool
	}{
		{"one of two", rosterOf(t, a, b), "a", true},
		{"the last one", rosterOf(t, a, b, identityapi.AdminRemoved{UserID: "b"}), "a", false},
		{"an uncounted admin while one is counted", rosterOf(t, a), "x", true},
		{"anyone from an empty roster", rosterOf(t), "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.r.Remove(tt.remove)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && problem.CodeOf(err) != problem.CodeConflict {
				t.Fatalf("err = %v, want conflict", err)
			}
			if err == nil && len(evs) != 1 {
				t.Fatalf("a removal must append, to order it against others: %v", evs)
			}
		})
	}
	if got := rosterOf(t, a).Add("a"); len(got) != 0 {
		t.Fatalf("adding a counted admin again: %v", got)
	}
}

// Package acd is the hotline's automatic call distribution: which agent a
// call rings and which calls wait. A call rings the ready agent with the
// skill it needs who has been idle longest; when none is free it waits, and
// waiting calls are served in arrival order. An agent rings for one call
// at a time, and an agent who lets a call ring out is set away and the
// call goes to the next agent.
//
// The package does no I/O and reads no clock: every operation takes the
// time. A Board is not safe for concurrent use: the service applies one
// operation at a time, which is what rules out two calls for one agent.
package acd

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"helpdesk/contracts/problem"
)

// State is an agent's state on the hotline.
type State string

// The states of an agent. An agent rings or talks in StateBusy; an agent
// may also set busy (or away) to take no calls.
const (
	StateOffline       State = "offline"
	StateReady         State = "ready"
	StateBusy          State = "busy"
	StateAfterCallWork State = "after_call_work"
	StateAway          State = "away"
)

// Valid tells whether s is one of the states.
func (s State) Valid() bool {
	switch s {
	case StateOffline, StateReady, StateBusy, StateAfterCallWork, StateAway:
		return true
	}
	return false
}

// Agent is a signed-in agent of the hotline.
type Agent struct {
	ID         string
	Extension  string // the phone the PBX rings
	WorkNumber string // 工号, announced to the caller
	Skills     []string
	State      State
	// Since is when the agent entered State: for a ready agent, when the
	// idleness that orders the agents began.
	Since time.Time
	// Call is the call ringing or answered at the agent, if any.
	Call string
}

// clone is a copy of the agent that shares nothing with the board's.
func (a *Agent) clone() *Agent {
	c := *a
	c.Skills = slices.Clone(a.Skills)
	return &c
}

// has tells whether the agent has the skill; a call needing no skill
// ("") can go to any agent.
func (a *Agent) has(skill string) bool {
	return skill == "" || slices.Contains(a.Skills, skill)
}

// Call is a call the board knows: waiting, ringing or answered.
type Call struct {
	ID      string
	Skill   string // the skill the caller's IVR choice needs; "" for any
	Arrived time.Time
	// Agent is the agent ringing or talking; "" while the call waits.
	Agent string
	// RingingSince is when the agent's phone began to ring, until answered.
	RingingSince time.Time
	Answered     bool
	arrival      uint64 // the order calls arrived in
}

// Decision is what the PBX does with a call: ring an agent, or keep the
// caller waiting at a place in the queue (1 is next).
type Decision struct {
	Call     string
	Agent    *Agent // the agent to ring; nil when the call waits
	Position int
}

// Board holds the agents and calls of one hotline. The zero value is not
// usable; call NewBoard.
type Board struct {
	agents   map[string]*Agent
	calls    map[string]*Call
	queue    []*Call // waiting calls, in arrival order
	arrivals uint64
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{agents: map[string]*Agent{}, calls: map[string]*Call{}}
}

// Agent returns a copy of the agent, and whether it is signed in.
func (b *Board) Agent(id string) (Agent, bool) {
	a, ok := b.agents[id]
	if !ok {
		return Agent{}, false
	}
	return *a.clone(), true
}

// Call returns a copy of the call, and whether the board knows it.
func (b *Board) Call(id string) (Call, bool) {
	c, ok := b.calls[id]
	if !ok {
		return Call{}, false
	}
	return *c, true
}

// Waiting lists the waiting calls in arrival order.
func (b *Board) Waiting() []Call {
	out := make([]Call, len(b.queue))
	for i, c := range b.queue {
		out[i] = *c
	}
	return out
}

// Login signs an agent in to the hotline, away until they say they are
// ready; signing in again changes the extension, work number and skills.
// An agent on a call cannot sign in again.
func (b *Board) Login(id, extension, workNumber string, skills []string, now time.Time) error {
	var bad []problem.FieldError
	for field, v := range map[string]string{"user_id": id, "extension": extension, "work_number": workNumber} {
		if v == "" {
			bad = append(bad, problem.FieldError{Field: field, Message: "is required"})
		}
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b problem.FieldError) int { return cmp.Compare(a.Field, b.Field) })
		return problem.Validation(bad...)
	}
	if a, ok := b.agents[id]; ok && a.Call != "" {
		return problem.New(problem.CodeConflict, "agent %s is on call %s", id, a.Call)
	}
	b.agents[id] = &Agent{ID: id, Extension: extension, WorkNumber: workNumber,
		Skills: slices.Clone(skills), State: StateAway, Since: now}
	return nil
}

// SetState changes an agent's state. An agent on a call stays busy until
// the call ends; signing off (offline) removes the agent. An agent
// becoming ready takes the longest-waiting call it has the skill for.
func (b *Board) SetState(id string, s State, now time.Time) ([]Decision, error) {
	if !s.Valid() {
		return nil, problem.InvalidArgument("state", fmt.Sprintf("%q is not one of offline, ready, busy, after_call_work, away", s))
	}
	a, ok := b.agents[id]
	if !ok {
		return nil, problem.NotFound("agent", id)
	}
	if a.Call != "" {
		return nil, problem.New(problem.CodeConflict, "agent %s is on call %s", id, a.Call)
	}
	if s == StateOffline {
		delete(b.agents, id)
		return nil, nil
	}
	if a.State != s {
		a.State, a.Since = s, now
	}
	if s != StateReady {
		return nil, nil
	}
	for i, c := range b.queue {
		if a.has(c.Skill) {
			b.queue = slices.Delete(b.queue, i, i+1)
			return []Decision{b.ring(c, a, now)}, nil
		}
	}
	return nil, nil
}

// Offer routes an arriving call. Offering a call the board knows again (a
// PBX retrying) changes nothing and returns where the call is.
func (b *Board) Offer(id, skill string, now time.Time) (Decision, error) {
	if id == "" {
		return Decision{}, problem.InvalidArgument("call_id", "is required")
	}
	if c, ok := b.calls[id]; ok {
		return b.where(c), nil
	}
	b.arrivals++
	c := &Call{ID: id, Skill: skill, Arrived: now, arrival: b.arrivals}
	b.calls[id] = c
	if a := b.longestIdle(skill); a != nil {
		return b.ring(c, a, now), nil
	}
	b.queue = append(b.queue, c)
	return Decision{Call: id, Position: len(b.queue)}, nil
}

// Answered records that the ringing agent answered. Answering again
// changes nothing.
func (b *Board) Answered(id string) error {
	c, ok := b.calls[id]
	switch {
	case !ok:
		return problem.NotFound("call", id)
	case c.Agent == "":
		return problem.New(problem.CodeConflict, "call %s is waiting, not ringing", id)
	}
	c.Answered = true
	return nil
}

// NoAnswer re-routes a call whose agent did not answer in time: the agent
// is set away (they may have left their desk) and the call rings the next
// agent, or waits at the head of the queue, where its arrival puts it.
func (b *Board) NoAnswer(id string, now time.Time) (Decision, error) {
	c, ok := b.calls[id]
	switch {
	case !ok:
		return Decision{}, problem.NotFound("call", id)
	case c.Agent == "" || c.Answered:
		return Decision{}, problem.New(problem.CodeConflict, "call %s is not ringing", id)
	}
	a := b.agents[c.Agent]
	a.Call, a.State, a.Since = "", StateAway, now
	c.Agent, c.RingingSince = "", time.Time{}
	if next := b.longestIdle(c.Skill); next != nil {
		return b.ring(c, next, now), nil
	}
	at, _ := slices.BinarySearchFunc(b.queue, c, func(q, c *Call) int { return cmp.Compare(q.arrival, c.arrival) })
	b.queue = slices.Insert(b.queue, at, c)
	return Decision{Call: id, Position: at + 1}, nil
}

// RingingTooLong lists the calls that have rung longer than timeout, by
// when they began to ring: the calls to re-route with NoAnswer.
func (b *Board) RingingTooLong(now time.Time, timeout time.Duration) []string {
	var out []*Call
	for _, c := range b.calls {
		if c.Agent != "" && !c.Answered && now.Sub(c.RingingSince) > timeout {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y *Call) int {
		return cmp.Or(x.RingingSince.Compare(y.RingingSince), cmp.Compare(x.ID, y.ID))
	})
	ids := make([]string, len(out))
	for i, c := range out {
		ids[i] = c.ID
	}
	return ids
}

// Ended removes a call: a waiting call was abandoned; an agent whose call
// ended goes to after-call work. Ending an unknown call (already ended)
// changes nothing and reports false.
func (b *Board) Ended(id string, now time.Time) bool {
	c, ok := b.calls[id]
	if !ok {
		return false
	}
	delete(b.calls, id)
	if c.Agent == "" {
		b.queue = slices.DeleteFunc(b.queue, func(q *Call) bool { return q == c })
		return true
	}
	a := b.agents[c.Agent]
	a.Call, a.State, a.Since = "", StateAfterCallWork, now
	return true
}

// ring makes agent a ring for call c.
func (b *Board) ring(c *Call, a *Agent, now time.Time) Decision {
	a.State, a.Since, a.Call = StateBusy, now, c.ID
	c.Agent, c.RingingSince = a.ID, now
	return Decision{Call: c.ID, Agent: a.clone()}
}

// longestIdle is the ready agent with the skill who has been ready
// longest (on equal times, the smaller id), or nil.
func (b *Board) longestIdle(skill string) *Agent {
	var best *Agent
	for _, a := range b.agents {
		if a.State != StateReady || !a.has(skill) {
			continue
		}
		if best == nil || a.Since.Before(best.Since) || (a.Since.Equal(best.Since) && a.ID < best.ID) {
			best = a
		}
	}
	return best
}

// where tells the decision that stands for a known call.
func (b *Board) where(c *Call) Decision {
	if c.Agent != "" {
		return Decision{Call: c.ID, Agent: b.agents[c.Agent].clone()}
	}
	return Decision{Call: c.ID, Position: slices.Index(b.queue, c) + 1}
}

// Package acd is the hotline's automatic call distribution: which agent a
// call rings and which calls wait. A call rings the ready agent with the
// skill it needs who has been idle longest; when none is free it waits, and
// waiting calls are served in arrival order. An agent rings for one call
// at a time, and an agent who lets a call ring out is set away and the
// call goes to the next agent.
//
// The board is event sourced: every operation records what it decided as
// events (contracts/callapi), applied to the board as they are recorded,
// and Changes hands them to the caller to store. FromEvents and Apply
// rebuild a board from stored events with the same code.
//
// The package does no I/O and reads no clock: every operation takes the
// time. A Board is not safe for concurrent use: the service applies one
// operation at a time, which is what rules out two calls for one agent.
package acd

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
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

// Change is one event an operation recorded, with when it happened.
type Change struct {
	Event events.Payload
	At    time.Time
}

// Board holds the agents and calls of one hotline. The zero value is not
// usable; call NewBoard.
type Board struct {
	agents   map[string]*Agent
	calls    map[string]*Call
	queue    []*Call // waiting calls, in arrival order
	arrivals uint64
	changes  []Change // recorded, not yet taken by Changes
	// ended remembers calls that ended in the last EndedMemory, by when,
	// so that a PBX offering one again is refused, not given a new call.
	ended map[string]time.Time
}

// EndedMemory is how long the board remembers an ended call: a PBX
// retries within seconds, and JetStream's duplicate window is a day.
const EndedMemory = 24 * time.Hour

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{agents: map[string]*Agent{}, calls: map[string]*Call{}, ended: map[string]time.Time{}}
}

// FromEvents rebuilds a board from its stored events, in order.
func FromEvents(evs []events.Envelope) (*Board, error) {
	b := NewBoard()
	for _, env := range evs {
		p, err := decode(env)
		if err != nil {
			return nil, fmt.Errorf("hotline event %d (%s): %w", env.AggregateVersion, env.Type, err)
		}
		if p != nil {
			b.Apply(p, env.OccurredAt)
		}
	}
	return b, nil
}

// decode returns the board event in env, or nil for a type the board does
// not know.
func decode(env events.Envelope) (events.Payload, error) {
	switch env.Type {
	case callapi.EventAgentLoggedIn:
		return decodeAs[callapi.AgentLoggedIn](env)
	case callapi.EventAgentStateChanged:
		return decodeAs[callapi.AgentStateChanged](env)
	case callapi.EventCallReceived:
		return decodeAs[callapi.CallReceived](env)
	case callapi.EventCallAnswered:
		return decodeAs[callapi.CallAnswered](env)
	case callapi.EventCallNotAnswered:
		return decodeAs[callapi.CallNotAnswered](env)
	case callapi.EventCallEnded:
		return decodeAs[callapi.CallEnded](env)
	case callapi.EventCallTransferred:
		return decodeAs[callapi.CallTransferred](env)
	}
	return nil, nil
}

func decodeAs[T events.Payload](env events.Envelope) (events.Payload, error) {
	var p T
	err := env.Decode(&p)
	return p, err
}

// Changes returns the events recorded since the last call, in order, and
// forgets them: the caller stores them.
func (b *Board) Changes() []Change {
	out := b.changes
	b.changes = nil
	return out
}

// record applies an event and keeps it for Changes.
func (b *Board) record(p events.Payload, at time.Time) {
	b.Apply(p, at)
	b.changes = append(b.changes, Change{Event: p, At: at})
}

// Apply folds one event into the board. Events about agents or calls the
// board does not know (a call ended twice, say) change nothing.
func (b *Board) Apply(p events.Payload, at time.Time) {
	switch e := p.(type) {
	case callapi.AgentLoggedIn:
		b.agents[e.AgentID] = &Agent{ID: e.AgentID, Extension: e.Extension, WorkNumber: e.WorkNumber,
			Skills: slices.Clone(e.Skills), State: StateAway, Since: at}
	case callapi.AgentStateChanged:
		a, ok := b.agents[e.AgentID]
		switch {
		case !ok:
		case State(e.State) == StateOffline:
			delete(b.agents, e.AgentID)
		case a.State != State(e.State):
			a.State, a.Since = State(e.State), at
		}
		if e.Routing != nil {
			b.applyRouting(*e.Routing, at)
		}
	case callapi.CallReceived:
		if _, ok := b.calls[e.CallID]; !ok {
			b.arrivals++
			b.calls[e.CallID] = &Call{ID: e.CallID, Skill: e.Skill, Arrived: at, arrival: b.arrivals}
			b.applyRouting(e.Routing, at)
		}
	case callapi.CallAnswered:
		if c, ok := b.calls[e.CallID]; ok {
			c.Answered = true
		}
	case callapi.CallNotAnswered:
		if c, ok := b.calls[e.CallID]; ok && c.Agent != "" {
			if a, ok := b.agents[c.Agent]; ok {
				a.Call, a.State, a.Since = "", StateAway, at
			}
			c.Agent, c.RingingSince = "", time.Time{}
			b.applyRouting(e.Routing, at)
		}
	case callapi.CallTransferred:
		c, ok := b.calls[e.CallID]
		if !ok {
			return
		}
		if a, ok := b.agents[c.Agent]; ok {
			a.Call, a.State, a.Since = "", StateAfterCallWork, at
		}
		c.Agent, c.RingingSince, c.Answered = "", time.Time{}, false
		if e.Skill != "" {
			c.Skill = e.Skill
		}
		b.applyRouting(e.Routing, at)
	case callapi.CallEnded:
		c, ok := b.calls[e.CallID]
		if !ok {
			return
		}
		delete(b.calls, e.CallID)
		b.queue = slices.DeleteFunc(b.queue, func(q *Call) bool { return q == c })
		if a, ok := b.agents[c.Agent]; ok {
			a.Call, a.State, a.Since = "", StateAfterCallWork, at
		}
		b.ended[e.CallID] = at
		if len(b.ended)%1024 == 0 { // forget the old ones now and then
			maps.DeleteFunc(b.ended, func(_ string, t time.Time) bool { return at.Sub(t) > EndedMemory })
		}
	}
}

// applyRouting rings the agent a decision names for its call, or puts the
// call in the queue where its arrival places it.
func (b *Board) applyRouting(r callapi.Routing, at time.Time) {
	c, ok := b.calls[r.CallID]
	if !ok {
		return
	}
	if r.Action == callapi.ActionRing && r.Agent != nil {
		if a, ok := b.agents[r.Agent.ID]; ok {
			b.queue = slices.DeleteFunc(b.queue, func(q *Call) bool { return q == c })
			a.State, a.Since, a.Call = StateBusy, at, c.ID
			c.Agent, c.RingingSince = a.ID, at
			return
		}
	}
	if !slices.Contains(b.queue, c) {
		b.queue = slices.Insert(b.queue, b.placeInQueue(c.arrival), c)
	}
}

// placeInQueue is the index a call that arrived as the arrival-th takes
// in the queue: behind every waiting call that arrived before it.
func (b *Board) placeInQueue(arrival uint64) int {
	i, _ := slices.BinarySearchFunc(b.queue, arrival, func(q *Call, arrival uint64) int { return cmp.Compare(q.arrival, arrival) })
	return i
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
// Signing in again with the same details (a retry) changes nothing. An
// agent on a call cannot sign in again.
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
	if a, ok := b.agents[id]; ok {
		if a.Call != "" {
			return problem.New(problem.CodeConflict, "agent %s is on call %s", id, a.Call)
		}
		if a.Extension == extension && a.WorkNumber == workNumber && slices.Equal(a.Skills, skills) {
			return nil
		}
	}
	b.record(callapi.AgentLoggedIn{AgentID: id, Extension: extension, WorkNumber: workNumber, Skills: slices.Clone(skills)}, now)
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
	if a.State == s {
		return nil, nil
	}
	change := callapi.AgentStateChanged{AgentID: id, State: string(s)}
	var decided []Decision
	if s == StateReady {
		for _, c := range b.queue {
			if a.has(c.Skill) {
				d := Decision{Call: c.ID, Agent: a.clone()}
				r := d.Routing()
				change.Routing, decided = &r, []Decision{d}
				break
			}
		}
	}
	b.record(change, now)
	return decided, nil
}

// Offer routes an arriving call from caller to hotline. Offering a call
// the board knows again (a PBX retrying) changes nothing and returns where
// the call is.
func (b *Board) Offer(id, skill, caller, hotline string, now time.Time) (Decision, error) {
	if id == "" {
		return Decision{}, problem.InvalidArgument("call_id", "is required")
	}
	if c, ok := b.calls[id]; ok {
		return b.where(c), nil
	}
	if at, ok := b.ended[id]; ok && now.Sub(at) <= EndedMemory {
		return Decision{}, problem.New(problem.CodeConflict, "call %s ended at %s; a new call needs a new call_id", id, at.UTC().Format(time.RFC3339))
	}
	d := b.decide(id, skill, b.arrivals+1)
	b.record(callapi.CallReceived{CallID: id, Caller: caller, Hotline: hotline, Skill: skill, Routing: d.Routing()}, now)
	return d, nil
}

// decide is where a call that rings nobody goes: to the longest-idle
// ready agent with the skill, or into the queue where its arrival (the
// arrival-th call) places it.
func (b *Board) decide(id, skill string, arrival uint64) Decision {
	if a := b.longestIdle(skill); a != nil {
		return Decision{Call: id, Agent: a.clone()}
	}
	return Decision{Call: id, Position: b.placeInQueue(arrival) + 1}
}

// Answered records that the ringing agent answered. Answering again
// changes nothing.
func (b *Board) Answered(id string, now time.Time) error {
	c, ok := b.calls[id]
	switch {
	case !ok:
		return problem.NotFound("call", id)
	case c.Agent == "":
		return problem.New(problem.CodeConflict, "call %s is waiting, not ringing", id)
	case !c.Answered:
		b.record(callapi.CallAnswered{CallID: id, AgentID: c.Agent}, now)
	}
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
	d := b.decide(id, c.Skill, c.arrival)
	b.record(callapi.CallNotAnswered{CallID: id, AgentID: c.Agent, Routing: d.Routing()}, now)
	return d, nil
}

// Transfer hands an answered call on: to the agent toAgent, who must be
// ready and have the skill the call needs, or, with no agent named, to the
// longest-idle ready agent with skill (the call's own when empty), or the
// queue at the call's place by arrival. The agent who had it goes to
// after-call work.
func (b *Board) Transfer(id, toAgent, skill string, now time.Time) (Decision, error) {
	c, ok := b.calls[id]
	switch {
	case !ok:
		return Decision{}, problem.NotFound("call", id)
	case !c.Answered:
		return Decision{}, problem.New(problem.CodeConflict, "call %s is not answered; only a call being talked is transferred", id)
	}
	need := cmp.Or(skill, c.Skill)
	var d Decision
	if toAgent != "" {
		a, ok := b.agents[toAgent]
		switch {
		case !ok:
			return Decision{}, problem.NotFound("agent", toAgent)
		case a.State != StateReady:
			return Decision{}, problem.New(problem.CodeConflict, "agent %s is %s, not ready", toAgent, a.State)
		case !a.has(need):
			return Decision{}, problem.New(problem.CodeConflict, "agent %s does not have the skill %s", toAgent, need)
		}
		d = Decision{Call: id, Agent: a.clone()}
	} else {
		d = b.decide(id, need, c.arrival)
	}
	b.record(callapi.CallTransferred{CallID: id, FromAgentID: c.Agent, Skill: skill, Routing: d.Routing()}, now)
	return d, nil
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

// Ended removes a call with its disposition and returns the end it
// recorded: a waiting call was abandoned; an agent whose call ended goes
// to after-call work. A call the board saw answered ended answered,
// whatever the PBX says; a ringing call the PBX says ended answered was
// answered, and the answer the PBX did not report is recorded now. Ending
// an unknown call (already ended) changes nothing and reports false.
func (b *Board) Ended(id, disposition string, now time.Time) (callapi.CallEnded, bool) {
	c, ok := b.calls[id]
	if !ok {
		return callapi.CallEnded{}, false
	}
	switch {
	case c.Answered:
		disposition = callapi.DispositionAnswered
	case disposition == callapi.DispositionAnswered && c.Agent != "":
		b.record(callapi.CallAnswered{CallID: id, AgentID: c.Agent}, now)
	}
	end := callapi.CallEnded{CallID: id, Disposition: disposition, AgentID: c.Agent}
	b.record(end, now)
	return end, true
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

// View is the agent as the API shows it.
func (a Agent) View() callapi.Agent {
	return callapi.Agent{ID: a.ID, Extension: a.Extension, WorkNumber: a.WorkNumber,
		Skills: slices.Clone(a.Skills), State: string(a.State), Since: a.Since, CallID: a.Call}
}

// Agents lists the signed-in agents by id.
func (b *Board) Agents() []Agent {
	out := make([]Agent, 0, len(b.agents))
	for _, a := range b.agents {
		out = append(out, *a.clone())
	}
	slices.SortFunc(out, func(x, y Agent) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// Routing is the decision as the PBX reads it: ring an agent and announce
// their work number, or keep the caller waiting.
func (d Decision) Routing() callapi.Routing {
	if d.Agent == nil {
		return callapi.Routing{CallID: d.Call, Action: callapi.ActionQueue, QueuePosition: d.Position}
	}
	return callapi.Routing{CallID: d.Call, Action: callapi.ActionRing,
		Agent: &callapi.AgentRef{ID: d.Agent.ID, Extension: d.Agent.Extension, WorkNumber: d.Agent.WorkNumber}}
}

// Where tells where a known call stands, and whether the board knows it.
func (b *Board) Where(id string) (Decision, bool) {
	c, ok := b.calls[id]
	if !ok {
		return Decision{}, false
	}
	return b.where(c), true
}

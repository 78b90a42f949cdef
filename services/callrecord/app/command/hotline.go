package command

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/domain/acd"
)

// HotlineBoard runs operations on the hotline board one at a time and
// stores the events they record before it answers.
type HotlineBoard interface {
	Do(ctx context.Context, run func(b *acd.Board, now time.Time) (any, error)) (any, error)
}

// onBoard runs run on the board with its result typed.
func onBoard[T any](ctx context.Context, b HotlineBoard, run func(b *acd.Board, now time.Time) (T, error)) (T, error) {
	v, err := b.Do(ctx, func(b *acd.Board, now time.Time) (any, error) { return run(b, now) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// Staff tells what the hotline needs to know of a user account.
type Staff interface {
	// User returns the account, or a problem.CodeNotFound error.
	User(ctx context.Context, userID string) (identityapi.User, error)
}

// mayDriveAgent refuses callers other than the agent and the roles the
// authorization matrix lets drive any agent (a PBX, supervisors, admins).
func mayDriveAgent(ctx context.Context, agentID string) error {
	c := rpc.CallerFrom(ctx)
	if c.ID != "" && c.ID == agentID || authz.Allowed(c.Role, authz.HotlineAgentDriveAny) {
		return nil
	}
	return problem.New(problem.CodePermissionDenied, "only the agent, a supervisor, an admin or a PBX may sign in or change agent %s", agentID)
}

// HotlineHandler takes the commands of the hotline board: agents signing
// in and changing state, calls offered, answered and ended, and calls
// that ring too long re-routed.
type HotlineHandler struct {
	board       HotlineBoard
	staff       Staff
	known       CallDirectory
	ringTimeout time.Duration
}

// NewHotlineHandler returns the handler; staff gives agents' work
// numbers, known tells calls that have ended, and a phone that rings
// longer than ringTimeout is not answered.
func NewHotlineHandler(board HotlineBoard, staff Staff, known CallDirectory, ringTimeout time.Duration) HotlineHandler {
	if board == nil || staff == nil || known == nil || ringTimeout <= 0 {
		panic("NewHotlineHandler: nil dependency or no ring timeout")
	}
	return HotlineHandler{board: board, staff: staff, known: known, ringTimeout: ringTimeout}
}

// Login signs the agent in with the work number of their account.
func (h HotlineHandler) Login(ctx context.Context, cmd callapi.Login) (callapi.Agent, error) {
	if err := mayDriveAgent(ctx, cmd.AgentID); err != nil {
		return callapi.Agent{}, err
	}
	u, err := h.staff.User(ctx, cmd.AgentID)
	if err != nil {
		return callapi.Agent{}, err
	}
	if !authz.Allowed(u.Role, authz.HotlineAgentServe) {
		return callapi.Agent{}, problem.Validation(problem.FieldError{Field: "user_id", Message: "is a " + u.Role + ", not an agent"})
	}
	if u.WorkNumber == "" {
		return callapi.Agent{}, problem.Validation(problem.FieldError{Field: "user_id",
			Message: "has no work number (工号) to announce; give the account one first"})
	}
	return onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.Agent, error) {
		if err := b.Login(cmd.AgentID, cmd.Extension, u.WorkNumber, cmd.Skills, now); err != nil {
			return callapi.Agent{}, err
		}
		a, _ := b.Agent(cmd.AgentID)
		return a.View(), nil
	})
}

// SetState sets an agent's state; an agent signing off answers with
// state offline.
func (h HotlineHandler) SetState(ctx context.Context, cmd callapi.SetState) (callapi.Agent, error) {
	if err := mayDriveAgent(ctx, cmd.AgentID); err != nil {
		return callapi.Agent{}, err
	}
	return onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.Agent, error) {
		if _, err := b.SetState(cmd.AgentID, acd.State(cmd.State), now); err != nil {
			return callapi.Agent{}, err
		}
		a, ok := b.Agent(cmd.AgentID)
		if !ok {
			return callapi.Agent{ID: cmd.AgentID, State: callapi.StateOffline, Since: now}, nil
		}
		return a.View(), nil
	})
}

// Offer routes an arriving call: the agent to ring, or the place in the
// queue.
func (h HotlineHandler) Offer(ctx context.Context, cmd callapi.Offer) (callapi.Routing, error) {
	if err := mayAct(ctx, "offering a call", authz.CallOffer); err != nil {
		return callapi.Routing{}, err
	}
	return onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.Routing, error) {
		d, err := b.Offer(cmd.CallID, cmd.Skill, cmd.Caller, cmd.Hotline, now)
		return d.Routing(), err
	})
}

// Transfer hands an answered call on and answers where it went.
func (h HotlineHandler) Transfer(ctx context.Context, cmd callapi.Transfer) (callapi.Routing, error) {
	caller := rpc.CallerFrom(ctx)
	mayTransfer := authz.Allowed(caller.Role, authz.CallTransferAny)
	return onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.Routing, error) {
		if c, ok := b.Call(cmd.CallID); ok && !mayTransfer && c.Agent != caller.ID { // an unknown call is not found below
			return callapi.Routing{}, problem.New(problem.CodePermissionDenied, "a call is transferred by the PBX, a supervisor, an admin or the agent who has it")
		}
		d, err := b.Transfer(cmd.CallID, cmd.AgentID, cmd.Skill, now)
		return d.Routing(), err
	})
}

// Answered records that the ringing agent answered. A call that already
// ended (the PBX reported the end first) is a conflict: its record stays
// as the end left it.
func (h HotlineHandler) Answered(ctx context.Context, cmd callapi.CallTarget) (callapi.CallState, error) {
	if err := mayAct(ctx, "reporting a call", authz.CallReport); err != nil {
		return callapi.CallState{}, err
	}
	state, err := onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.CallState, error) {
		c, ok := b.Call(cmd.CallID)
		if !ok {
			return callapi.CallState{}, nil
		}
		err := b.Answered(cmd.CallID, now)
		return callapi.CallState{CallID: cmd.CallID, Status: callapi.StatusAnswered, AgentID: c.Agent}, err
	})
	if err != nil || state.Status != "" {
		return state, err
	}
	if known, err := h.known.Known(ctx, cmd.CallID); err != nil || !known {
		return state, problem.Or(err, notFoundCall(cmd.CallID))
	}
	return state, problem.New(problem.CodeConflict, "call %s has already ended; an answer reported after the end is not recorded", cmd.CallID)
}

// Ended records the end of a call. Reporting the end of a call that has
// ended (a PBX retrying) changes nothing.
func (h HotlineHandler) Ended(ctx context.Context, cmd callapi.End) (callapi.CallState, error) {
	if err := mayAct(ctx, "reporting a call", authz.CallReport); err != nil {
		return callapi.CallState{}, err
	}
	if !validDisposition(cmd.Disposition) {
		return callapi.CallState{}, problem.Validation(problem.FieldError{Field: "disposition",
			Message: "must be one of answered, abandoned, no_answer, busy, failed"})
	}
	end, err := onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (callapi.CallEnded, error) {
		end, _ := b.Ended(cmd.CallID, cmd.Disposition, now)
		return end, nil
	})
	state := callapi.CallState{CallID: cmd.CallID, Status: callapi.StatusEnded, Disposition: end.Disposition, AgentID: end.AgentID}
	if err != nil || end.CallID != "" {
		return state, err
	}
	if known, err := h.known.Known(ctx, cmd.CallID); err != nil || !known {
		return callapi.CallState{}, problem.Or(err, notFoundCall(cmd.CallID))
	}
	return state, nil
}

func validDisposition(d string) bool {
	switch d {
	case callapi.DispositionAnswered, callapi.DispositionAbandoned, callapi.DispositionNoAnswer,
		callapi.DispositionBusy, callapi.DispositionFailed:
		return true
	}
	return false
}

// Reroute re-routes every call that has rung longer than the ring timeout
// and says how many.
func (h HotlineHandler) Reroute(ctx context.Context) (int, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:acd", Role: identityapi.RoleSystem})
	return onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (int, error) {
		ids := b.RingingTooLong(now, h.ringTimeout)
		for _, id := range ids {
			if _, err := b.NoAnswer(id, now); err != nil {
				return 0, err
			}
		}
		return len(ids), nil
	})
}

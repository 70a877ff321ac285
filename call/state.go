package call

import (
	"fmt"
	"slices"
	"time"
)

// A call's state machine. The call's actor owns the state (stateMachine):
// only its goroutine reads or moves it, so the actor reads it without a
// lock. Every move is checked against callTransitions first; a move the
// table refuses changes nothing. An accepted move is then published to
// Call.state, with the step's details, under the call's lock, which is
// where State, Details and the waiters read it.

// callTransitions lists, per direction and state, the states a call may
// move to: forward only, one step at a time along
// Initiating, Progressing, Ringing, Answered, Established (outbound) or
// Ringing, Answered, Established (inbound), or to Ended from any state
// but Ended, which is final. A state missing from a direction's map is
// one a call of that direction is never in.
var callTransitions = map[Direction]map[State][]State{
	Outbound: {
		Initiating:  {Progressing, Ended},
		Progressing: {Ringing, Ended},
		Ringing:     {Answered, Ended},
		Answered:    {Established, Ended},
		Established: {Ended},
		Ended:       nil,
	},
	Inbound: {
		Ringing:     {Answered, Ended},
		Answered:    {Established, Ended},
		Established: {Ended},
		Ended:       nil,
	},
}

// initialState is the state a new call of direction dir starts in.
func initialState(dir Direction) State {
	if dir == Inbound {
		return Ringing
	}
	return Initiating
}

// checkNextState returns nil when a call of direction dir may move from
// cur to next, and an error naming the refused transition otherwise.
func checkNextState(dir Direction, cur, next State) error {
	from, ok := callTransitions[dir]
	if !ok {
		return fmt.Errorf("call state transition %v->%v refused: unknown direction %v", cur, next, dir)
	}
	if slices.Contains(from[cur], next) {
		return nil
	}
	return fmt.Errorf("call state transition %v->%v refused for an %v call: a call moves forward one step at a time, or to Ended", cur, next, dir)
}

// stateMachine is a call's state as its actor owns it.
type stateMachine struct {
	dir Direction
	cur State
}

func newStateMachine(dir Direction) stateMachine {
	return stateMachine{dir: dir, cur: initialState(dir)}
}

// current returns the state; only the actor's goroutine calls it.
func (m *stateMachine) current() State { return m.cur }

// move moves to next if the table allows it; otherwise it returns why not
// and the state stays as it was.
func (m *stateMachine) move(next State) error {
	if err := checkNextState(m.dir, m.cur, next); err != nil {
		return err
	}
	m.cur = next
	return nil
}

// transition moves the actor's state to next and publishes it on the
// call, with f's changes to the details, in one step under the call's
// lock. It reports whether the table allowed the move; a refused one is
// logged (it is a bug) and changes nothing.
func (a *actor) transition(next State, f func(d *Details)) bool {
	if err := a.state.move(next); err != nil {
		a.c.log.Error("call state not changed", "err", err)
		return false
	}
	a.c.publish(next, f)
	return true
}

// stamp records in d the time at which the call entered state s.
func stamp(d *Details, s State, now time.Time) {
	switch s {
	case Progressing:
		d.ProgressedTime = now
	case Ringing:
		d.RungTime = now
	case Answered:
		d.AnsweredTime = now
	case Established:
		d.EstablishedTime = now
	case Ended:
		d.EndedTime = now
	}
}

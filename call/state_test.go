package call

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allStates are the states, and two values outside them, that the
// transition test tries in every combination.
var allStates = []State{Initiating, Progressing, Ringing, Answered, Established, Ended, State(-1), State(6)}

// TestCallStateTransitions checks every pair of states in both directions
// against the transitions written out here (independently of
// callTransitions, as pion's signalingstate_test.go does): allowed ones
// return nil, every other one an error naming it.
func TestCallStateTransitions(t *testing.T) {
	type transition struct {
		dir      Direction
		cur, nxt State
	}
	allowed := map[transition]bool{
		// Outbound: Initiating, Progressing, Ringing, Answered,
		// Established, one step at a time, or to Ended.
		{Outbound, Initiating, Progressing}: true,
		{Outbound, Initiating, Ended}:       true,
		{Outbound, Progressing, Ringing}:    true,
		{Outbound, Progressing, Ended}:      true,
		{Outbound, Ringing, Answered}:       true,
		{Outbound, Ringing, Ended}:          true,
		{Outbound, Answered, Established}:   true,
		{Outbound, Answered, Ended}:         true,
		{Outbound, Established, Ended}:      true,
		// Inbound: starts Ringing.
		{Inbound, Ringing, Answered}:     true,
		{Inbound, Ringing, Ended}:        true,
		{Inbound, Answered, Established}: true,
		{Inbound, Answered, Ended}:       true,
		{Inbound, Established, Ended}:    true,
	}
	tried, accepted := 0, 0
	for _, dir := range []Direction{Outbound, Inbound, Direction(7)} {
		for _, cur := range allStates {
			for _, nxt := range allStates {
				name := fmt.Sprintf("%v %v->%v", dir, cur, nxt)
				err := checkNextState(dir, cur, nxt)
				tried++
				if allowed[transition{dir, cur, nxt}] {
					accepted++
					assert.NoError(t, err, name)
					continue
				}
				if assert.Error(t, err, name) {
					assert.Contains(t, err.Error(), fmt.Sprintf("%v->%v", cur, nxt), name)
				}
			}
		}
	}
	assert.Equal(t, len(allowed), accepted, "every allowed transition was tried")
	assert.Equal(t, 3*len(allStates)*len(allStates), tried)
}

// The refused transitions a reader would look for first, with the reason
// the table gives.
func TestCallStateRefusals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      Direction
		cur, nxt State
	}{
		{"backwards", Outbound, Answered, Ringing},
		{"a step skipped", Outbound, Progressing, Answered},
		{"established without answer", Inbound, Ringing, Established},
		{"ended is final", Outbound, Ended, Established},
		{"ended twice", Inbound, Ended, Ended},
		{"standing still", Outbound, Ringing, Ringing},
		{"inbound is never initiating", Inbound, Initiating, Progressing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkNextState(tc.dir, tc.cur, tc.nxt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "forward one step at a time, or to Ended")
		})
	}
}

func TestStateMachineMovesOnlyAsTheTableSays(t *testing.T) {
	out := newStateMachine(Outbound)
	assert.Equal(t, Initiating, out.current())
	in := newStateMachine(Inbound)
	assert.Equal(t, Ringing, in.current())

	require.Error(t, out.move(Answered))
	assert.Equal(t, Initiating, out.current(), "a refused move changes nothing")
	for _, s := range []State{Progressing, Ringing, Answered, Established, Ended} {
		require.NoError(t, out.move(s))
		assert.Equal(t, s, out.current())
	}
	require.Error(t, out.move(Ended))
	assert.Equal(t, Ended, out.current())

	require.NoError(t, in.move(Ended), "an unanswered call may end")
}

// A call starts in its direction's initial state, both as its actor sees
// it and as published.
func TestNewCallStartsInItsInitialState(t *testing.T) {
	ctl := &Controller{s: describedSession{}, log: slog.New(slog.DiscardHandler)}
	for _, dir := range []Direction{Outbound, Inbound} {
		c := newCall(ctl, callParams{id: "c", dir: dir})
		a := newActor(c)
		assert.Equal(t, initialState(dir), c.State(), "%v", dir)
		assert.Equal(t, c.State(), a.state.current(), "%v", dir)
	}
}

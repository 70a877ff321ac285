package call_test

import (
	"cmp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// ending is one call of an end-cause case: alice's outgoing call and what
// bob's devices received.
type ending struct {
	out      *call.Call
	outRec   *recorder
	incoming []<-chan inbound // one per bob device
	in       *inbound         // the callee's call whose end is checked; nil: none
}

// next waits for the call on bob's device i and makes it the checked one.
func (e *ending) next(t *testing.T, device int) inbound {
	t.Helper()
	in := next(t, e.incoming[device])
	e.in = &in
	return in
}

func (e *ending) waitRinging(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool { return e.out.State() == call.Ringing }, waitTimeout, time.Millisecond)
}

// Every way a call between alice and bob can end, with the end cause and
// the events each side sees. (A call answered and hung up by the caller is
// TestCallAnsweredAndHungUpByCaller, which checks much more.)
func TestEndCauses(t *testing.T) {
	noAnswer := func(outgoing, incoming time.Duration) func(*sinch.SinchClientBuilder) {
		return func(b *sinch.SinchClientBuilder) { b.NoAnswerTimeouts(outgoing, incoming) }
	}
	for _, tc := range []struct {
		name       string
		to         string // default "bob"; "carol" is offline
		bothWires  bool   // run over PubNub and the WebSocket
		devices    int    // bob's devices; default 1
		callerOpts []func(*sinch.SinchClientBuilder)
		calleeOpts []func(*sinch.SinchClientBuilder)
		onIncoming func(*call.Call) // run by bob's devices inside OnIncomingCall
		run        func(t *testing.T, e *ending)

		caller, callee             call.EndCause // callee is checked when run picked a call
		callerEvents, calleeEvents []string      // nil: not checked
	}{{
		name:       "callee hangs up",
		onIncoming: answer,
		run: func(t *testing.T, e *ending) {
			in := e.next(t, 0)
			e.outRec.waitEstablished(t)
			in.rec.waitEstablished(t)
			require.NoError(t, in.call.Hangup())
		},
		caller: call.HungUp, callee: call.HungUp,
		callerEvents: []string{"progressing", "ringing", "answered", "established", "ended"},
		calleeEvents: []string{"incoming", "answered", "established", "ended"},
	}, {
		name:      "caller cancels while ringing",
		bothWires: true,
		run: func(t *testing.T, e *ending) {
			in := e.next(t, 0)
			e.waitRinging(t)
			require.ErrorIs(t, e.out.Answer(), sinch.ErrInvalidOperation, "outbound calls cannot be answered")
			require.NoError(t, e.out.Hangup())
			in.rec.waitEnded(t)
			assert.ErrorIs(t, in.call.Answer(), sinch.ErrInvalidOperation, "an ended call cannot be answered")
		},
		caller: call.Canceled, callee: call.Canceled,
		callerEvents: []string{"progressing", "ringing", "ended"},
		calleeEvents: []string{"incoming", "ended"},
	}, {
		name:   "caller hangs up right after CallUser",
		run:    func(t *testing.T, e *ending) { require.NoError(t, e.out.Hangup()) },
		caller: call.Canceled,
	}, {
		name:       "callee declines",
		onIncoming: func(c *call.Call) { _ = c.Hangup() },
		run:        func(t *testing.T, e *ending) { e.next(t, 0) },
		caller:     call.Denied, callee: call.Denied,
		callerEvents: []string{"progressing", "ringing", "ended"},
		calleeEvents: []string{"incoming", "ended"},
	}, {
		name:       "caller gives up unanswered",
		callerOpts: []func(*sinch.SinchClientBuilder){noAnswer(300*time.Millisecond, time.Minute)},
		run:        func(t *testing.T, e *ending) { e.next(t, 0) },
		// The caller cancels the call it gives up on.
		caller: call.NoAnswer, callee: call.Canceled,
		callerEvents: []string{"progressing", "ringing", "ended"},
	}, {
		name:       "callee gives up unanswered",
		calleeOpts: []func(*sinch.SinchClientBuilder){noAnswer(time.Minute, 300*time.Millisecond)},
		run: func(t *testing.T, e *ending) {
			in := e.next(t, 0)
			in.rec.waitEnded(t)
			assert.Equal(t, call.Ringing, e.out.State(), "the callee gives up silently")
			require.NoError(t, e.out.Hangup())
		},
		caller: call.Canceled, callee: call.NoAnswer,
	}, {
		name:      "another device of the callee answered",
		bothWires: true,
		devices:   2,
		run: func(t *testing.T, e *ending) {
			first := next(t, e.incoming[0])
			second := e.next(t, 1)
			e.waitRinging(t)
			require.NoError(t, first.call.Answer())
			second.rec.waitEnded(t)
			e.outRec.waitEstablished(t)
			first.rec.waitEstablished(t)
			require.NoError(t, first.call.Hangup())
		},
		caller: call.HungUp, callee: call.OtherDeviceAnswered,
		calleeEvents: []string{"incoming", "ended"},
	}, {
		name:         "callee offline",
		to:           "carol",
		caller:       call.Failure,
		callerEvents: []string{"ended"},
	}} {
		test := func(t *testing.T, opts ...ocratest.Option) {
			srv := ocratest.NewServer(opts...)
			defer srv.Close()
			alice := startClient(t, srv, "alice", tc.callerOpts...)
			e := &ending{}
			for range max(tc.devices, 1) {
				bob := startClient(t, srv, "bob", tc.calleeOpts...)
				e.incoming = append(e.incoming, onIncoming(bob, tc.onIncoming))
			}
			e.out, e.outRec = dial(t, alice, cmp.Or(tc.to, "bob"), nil)
			if tc.run != nil {
				tc.run(t, e)
			}
			e.outRec.waitEnded(t)
			d := e.out.Details()
			assert.Equal(t, tc.caller, d.EndCause, "caller's end cause")
			if tc.caller == call.Failure {
				var se *sinch.SinchError
				require.ErrorAs(t, d.Error, &se)
				assert.Equal(t, 40400, se.Code)
				assert.Contains(t, d.Error.Error(), "destination user not found")
			}
			if tc.callerEvents != nil {
				assert.Equal(t, tc.callerEvents, e.outRec.Events(), "caller's events")
			}
			if e.in == nil {
				return
			}
			e.in.rec.waitEnded(t)
			assert.Equal(t, tc.callee, e.in.call.Details().EndCause, "callee's end cause")
			if tc.calleeEvents != nil {
				assert.Equal(t, tc.calleeEvents, e.in.rec.Events(), "callee's events")
			}
		}
		t.Run(tc.name, func(t *testing.T) {
			if tc.bothWires {
				forEachTransport(t, test)
				return
			}
			test(t)
		})
	}
}

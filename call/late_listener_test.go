package call_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// TestFirstListenerGetsEarlierEvents: whatever the gap between CallUser
// and AddListener, the call's first listener gets every event, in order;
// a second listener added later gets only what happens after it.
func TestFirstListenerGetsEarlierEvents(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)

	for _, gap := range []time.Duration{0, 20 * time.Millisecond, 300 * time.Millisecond} {
		t.Run(gap.String(), func(t *testing.T) {
			out, err := alice.CallController().CallUser("bob", nil)
			require.NoError(t, err)
			in := next(t, incoming)
			require.Eventually(t, func() bool { return out.State() == call.Ringing }, waitTimeout, time.Millisecond)
			time.Sleep(gap)
			first := newRecorder()
			out.AddListener(first)
			require.NoError(t, in.call.Answer())
			first.waitEstablished(t)
			second := newRecorder()
			out.AddListener(second)
			require.NoError(t, out.Hangup())
			first.waitEnded(t)
			second.waitEnded(t)
			in.rec.waitEnded(t)
			assert.Equal(t, []string{"progressing", "ringing", "answered", "established", "ended"}, first.Events())
			assert.Equal(t, []string{"ended"}, second.Events())
		})
	}
}

// TestCallThatEndsAtOnceStillReachesItsListener: a call that fails before
// its listener is added (no such user) still ends at that listener.
func TestCallThatEndsAtOnceStillReachesItsListener(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	out, err := alice.CallController().CallUser("nobody", nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return out.State() == call.Ended }, waitTimeout, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // the ending's callback has run by now, with no listener
	rec := newRecorder()
	out.AddListener(rec)
	rec.waitEnded(t)
	assert.Equal(t, call.Failure, out.Details().EndCause)
	events := rec.Events()
	assert.Equal(t, "ended", events[len(events)-1])
}

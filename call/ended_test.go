package call_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// callMethods are every method of a Call that can change it, each as a
// function of the call.
var callMethods = []struct {
	name string
	f    func(c *call.Call) error
}{
	{"Answer", (*call.Call).Answer},
	{"Mute", (*call.Call).Mute},
	{"Unmute", (*call.Call).Unmute},
	{"PauseVideo", (*call.Call).PauseVideo},
	{"ResumeVideo", (*call.Call).ResumeVideo},
	{"SendDTMF", func(c *call.Call) error { return c.SendDTMF("1#") }},
	{"SendDTMF bad keys", func(c *call.Call) error { return c.SendDTMF("x") }},
	{"SetAudioSource", func(c *call.Call) error { return c.SetAudioSource(audio.Tone(440, 0.1)) }},
	{"SetAudioSource nil", func(c *call.Call) error { return c.SetAudioSource(nil) }},
	{"SetAudioSink", func(c *call.Call) error { return c.SetAudioSink(audio.NewToneDetector(0)) }},
	{"SetAudioSink nil", func(c *call.Call) error { return c.SetAudioSink(nil) }},
}

// On an ended call, whatever its direction, kind and end cause, Hangup is
// a no-op returning nil and every other method that would change the call
// fails with an error wrapping ErrCallEnded and ErrInvalidOperation that
// says so; the getters keep their values.
func TestEveryMethodOnAnEndedCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, answer)

	// An established video call, hung up by the caller: both sides ended.
	out, err := alice.CallController().CallUserVideo("bob", nil)
	require.NoError(t, err)
	in := next(t, incoming)
	require.NoError(t, out.WaitEstablished(ctx(t)))
	require.NoError(t, out.Mute())
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	// A call that failed before anyone answered (carol is not registered).
	failed, err := alice.CallController().CallUser("carol", nil)
	require.NoError(t, err)
	_, err = failed.WaitEnded(ctx(t))
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		c     *call.Call
		cause call.EndCause
	}{
		{"outbound video", out, call.HungUp},
		{"inbound video", in.call, call.HungUp},
		{"outbound failed", failed, call.Failure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			<-c.Done()
			muted, details := c.IsMuted(), c.Details()
			require.NoError(t, c.Hangup(), "Hangup on an ended call is a no-op")
			for _, m := range callMethods {
				err := m.f(c)
				require.Error(t, err, m.name)
				assert.ErrorIs(t, err, call.ErrCallEnded, m.name)
				assert.ErrorIs(t, err, sinch.ErrInvalidOperation, m.name)
				assert.False(t, errors.Is(err, sinch.ErrClientTerminated), m.name)
				assert.Contains(t, err.Error(), "call "+c.ID()+": it has ended ("+tc.cause.String()+")", m.name)
				assert.Equal(t, 1, strings.Count(err.Error(), "ended"), "%s: said once: %q", m.name, err)
			}
			assert.Equal(t, call.Ended, c.State())
			assert.Equal(t, muted, c.IsMuted(), "Mute/Unmute on an ended call change nothing")
			assert.Equal(t, details, c.Details(), "the details are final")
		})
	}
	assert.True(t, out.IsMuted(), "the last value is kept")
}

// After Terminate, every method that returns an error returns one
// wrapping ErrClientTerminated, Hangup included; the waits and getters
// tell how the call ended.
func TestEveryMethodOnACallOfATerminatedClient(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	onIncoming(bob, answer)

	out, err := alice.CallController().CallUserVideo("bob", nil)
	require.NoError(t, err)
	require.NoError(t, out.WaitEstablished(ctx(t)))
	alice.Terminate()

	select {
	case <-out.Done():
	default:
		t.Fatal("Terminate returned before its calls were done")
	}
	for _, m := range append(callMethods, struct {
		name string
		f    func(c *call.Call) error
	}{"Hangup", (*call.Call).Hangup}) {
		assert.ErrorIs(t, m.f(out), sinch.ErrClientTerminated, m.name)
	}
	cause, err := out.WaitEnded(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, call.HungUp, cause)
	assert.NoError(t, out.WaitEstablished(ctx(t)), "it was established")
}

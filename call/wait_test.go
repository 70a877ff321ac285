package call_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A call waited for the Go way, without a listener: WaitEstablished,
// then Done and WaitEnded, after which the details are final.
func TestWaitForACallWithoutListeners(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, answer)

	out, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	require.NoError(t, out.WaitEstablished(ctx(t)))
	assert.Equal(t, call.Established, out.State())

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	cause, err := out.WaitEnded(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the call is live")
	assert.Equal(t, call.None, cause)
	select {
	case <-out.Done():
		t.Fatal("Done is closed on a live call")
	default:
	}

	in := next(t, incoming)
	require.NoError(t, in.call.Hangup())
	select {
	case <-out.Done():
	case <-time.After(waitTimeout):
		t.Fatal("Done not closed after the peer hung up")
	}
	d := out.Details() // final once Done is closed, whether or not OnCallEnded ran
	assert.Equal(t, call.Ended, out.State())
	assert.Equal(t, call.HungUp, d.EndCause)
	assert.False(t, d.EndedTime.IsZero())
	cause, err = out.WaitEnded(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, call.HungUp, cause)
	assert.NoError(t, out.WaitEstablished(ctx(t)), "a call that was established stays so for WaitEstablished")
	assert.Equal(t, d, out.Details())
}

// WaitEstablished on a call that ends first says how it ended: the end
// cause, and the error of a failed call, which it wraps.
func TestWaitEstablishedOnACallThatNeverIs(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	onIncoming(bob, func(c *call.Call) { _ = c.Hangup() })

	denied, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	err = denied.WaitEstablished(ctx(t))
	require.ErrorIs(t, err, call.ErrCallEnded)
	assert.EqualError(t, err, "call "+denied.ID()+" ended before it was established (Denied)")
	cause, err := denied.WaitEnded(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, call.Denied, cause)

	failed, err := alice.CallController().CallUser("carol", nil) // not registered
	require.NoError(t, err)
	err = failed.WaitEstablished(ctx(t))
	require.ErrorIs(t, err, call.ErrCallEnded)
	<-failed.Done()
	d := failed.Details()
	require.Equal(t, call.Failure, d.EndCause)
	require.Error(t, d.Error)
	assert.True(t, errors.Is(err, d.Error), "wraps Details().Error")
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr, "the failure's *SinchError is reachable")
	assert.Contains(t, err.Error(), "(Failure: ")
}

// Waiting inside a callback does not wait for callbacks, so it cannot
// deadlock: Hangup and then <-Done from OnCallEstablished.
func TestWaitForTheEndInsideACallback(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	onIncoming(bob, answer)

	finished := make(chan call.EndCause, 1)
	out, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	out.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(c *call.Call) {
			_ = c.Hangup()
			<-c.Done()
			cause, _ := c.WaitEnded(context.Background())
			finished <- cause
		},
	})
	select {
	case cause := <-finished:
		assert.Equal(t, call.HungUp, cause)
	case <-time.After(waitTimeout):
		t.Fatal("waiting for the call's end inside a callback deadlocked")
	}
}

func TestWaitsRefuseANilContext(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	out, err := alice.CallController().CallUser("carol", nil)
	require.NoError(t, err)
	//lint:ignore SA1012 a nil ctx is the bad input under test
	require.ErrorIs(t, out.WaitEstablished(nil), sinch.ErrInvalidArgument)
	//lint:ignore SA1012 a nil ctx is the bad input under test
	_, err = out.WaitEnded(nil)
	require.ErrorIs(t, err, sinch.ErrInvalidArgument)
	<-out.Done()
}

// IsMuted follows the call's own Mute and Unmute, apart from the audio
// controller's mute of every call.
func TestIsMuted(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	onIncoming(bob, nil) // rings until the test ends the call
	out, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)

	assert.False(t, out.IsMuted())
	require.NoError(t, out.Mute())
	assert.True(t, out.IsMuted())
	require.NoError(t, alice.AudioController().Unmute())
	assert.True(t, out.IsMuted(), "the controller's Unmute is not the call's")
	require.NoError(t, out.Unmute())
	assert.False(t, out.IsMuted())
	require.NoError(t, alice.AudioController().Mute())
	assert.False(t, out.IsMuted(), "the controller's Mute is reported by the controller")
	assert.True(t, alice.AudioController().IsMuted())
	require.NoError(t, out.Hangup())
}

// The callee sees the display name the caller set; a caller that set none
// shows "", and so does every outbound call.
func TestRemoteUserDisplayName(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	carol := startClient(t, srv, "carol")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)
	require.NoError(t, alice.SetDisplayName("Alice Å."))

	for _, tc := range []struct {
		caller *sinch.SinchClient
		want   string
	}{{alice, "Alice Å."}, {carol, ""}} {
		out, err := tc.caller.CallController().CallUser("bob", nil)
		require.NoError(t, err)
		in := next(t, incoming)
		assert.Equal(t, tc.want, in.call.RemoteUserDisplayName(), "from %s", tc.caller.UserID())
		assert.Equal(t, tc.caller.UserID(), in.call.RemoteUserID())
		assert.Empty(t, out.RemoteUserDisplayName(), "outbound")
		require.NoError(t, out.Hangup())
		in.rec.waitEnded(t)
	}
}

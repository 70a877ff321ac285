package sinch_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// WaitStarted on a client that Start was never called on cannot succeed:
// it says so at once, even with a context that never ends, and a later
// Start and WaitStarted work as usual.
func TestWaitStartedBeforeStart(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	c.AddListener(newRecorder(func() string { return srv.Token("alice") }))

	err := c.WaitStarted(context.Background())
	require.ErrorIs(t, err, sinch.ErrNotStarted)
	require.ErrorContains(t, err, "call Start before WaitStarted")

	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
}

// startStalling starts a client of user on srv whose requests may take
// up to a minute: a stalled request would hold Terminate that long.
func startStalling(t *testing.T, srv *ocratest.Server, user string, requestTimeout time.Duration) *sinch.SinchClient {
	t.Helper()
	c, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(user).
		LoopbackOnly().
		RequestTimeout(requestTimeout).
		Build()
	require.NoError(t, err)
	t.Cleanup(c.Terminate)
	c.AddListener(newRecorder(func() string { return srv.Token(user) }))
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	return c
}

// within runs f and fails the test when it has not returned after limit,
// a bound far above what f should take and far below what it took before
// it was bounded.
func within(t *testing.T, limit time.Duration, what string, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s has not returned after %v", what, limit)
	}
	return time.Since(start)
}

// With the server stalling the call report and the instance's DELETE
// (either would hold Terminate for a minute: RequestTimeout),
// TerminateContext returns once its context is done, the call ended and
// every goroutine stopped (TestMain's goleak), and says that it cut the
// goodbyes short.
func TestTerminateContextBoundsAStalledServer(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startStalling(t, srv, "alice", time.Minute)
	bob := newTestClient(t, srv, "bob")
	bob.AddListener(newRecorder(func() string { return srv.Token("bob") }))
	require.NoError(t, bob.Start())
	require.NoError(t, bob.WaitStarted(waitCtx(t)))
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { _ = c.Answer() },
	})
	out, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	require.NoError(t, out.WaitEstablished(waitCtx(t)))

	srv.InjectFault(ocratest.Fault{Method: "POST", Path: "/calls/" + out.ID() + "/reports", Stall: -1})
	srv.InjectFault(ocratest.Fault{Method: "DELETE", Path: "/instances", Stall: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	took := within(t, 20*time.Second, "TerminateContext with a stalled server", func() {
		err = alice.TerminateContext(ctx)
	})
	t.Logf("TerminateContext(300 ms) with a stalled report and DELETE took %v", took.Round(time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "expires by itself")
	assert.False(t, alice.IsStarted())
	select {
	case <-out.Done():
	default:
		t.Fatal("the call is not done after TerminateContext returned")
	}
	assert.Equal(t, call.HungUp, out.Details().EndCause)
	assert.Len(t, srv.Instances("alice"), 1, "the stalled DELETE was abandoned: the instance is left to expire")
	require.NoError(t, alice.TerminateContext(context.Background()), "idempotent")
}

// Terminate's own bound is RequestTimeout, whatever stalls.
func TestTerminateIsBoundedByRequestTimeout(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startStalling(t, srv, "alice", 500*time.Millisecond)
	srv.InjectFault(ocratest.Fault{Method: "DELETE", Path: "/instances", Stall: -1})
	took := within(t, 20*time.Second, "Terminate with a stalled DELETE", alice.Terminate)
	t.Logf("Terminate (RequestTimeout 500 ms) with a stalled DELETE took %v", took.Round(time.Millisecond))
	assert.Len(t, srv.Instances("alice"), 1)
}

func TestTerminateContextWithoutStall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startStalling(t, srv, "alice", time.Minute)

	//lint:ignore SA1012 a nil ctx is the bad input under test
	require.ErrorIs(t, alice.TerminateContext(nil), sinch.ErrInvalidArgument)
	require.True(t, alice.IsStarted(), "a nil ctx terminates nothing")
	require.NoError(t, alice.TerminateContext(waitCtx(t)))
	require.False(t, alice.IsStarted())
	require.Empty(t, srv.Instances("alice"), "the instance was deleted")
	require.NoError(t, alice.TerminateContext(waitCtx(t)))
}

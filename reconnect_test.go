package sinch_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestReconnectAfterTheChannelDrops(t *testing.T) {
	forEachTransport(t, testReconnectAfterTheChannelDrops)
}

func testReconnectAfterTheChannelDrops(t *testing.T, tr transport) {
	srv := tr.server(t)
	alice := newPeer(t, srv, srv.URL(), "alice")
	before := srv.Instances("alice")[0].ID

	if tr.polls {
		// PubNub: a dropped poll is not a lost channel. The client polls
		// again from the same cursor; the Invite of a call placed while
		// its polls are held back arrives once they are through.
		bob := newPeer(t, srv, srv.URL(), "bob")
		remove := srv.InjectFault(ocratest.Fault{Path: "/pubsub/v2/subscribe", Stall: 2 * time.Second})
		require.Eventually(t, func() bool {
			// A poll on its way when Drop came slips through: drop again.
			srv.Disconnect("alice")
			time.Sleep(100 * time.Millisecond)
			return !srv.Instances("alice")[0].Online
		}, 10*time.Second, time.Millisecond, "alice's polls are held back")
		out, _ := bob.callUser(t, "alice")
		require.Eventually(t, func() bool { return out.State() != call.Initiating }, 10*time.Second, time.Millisecond)
		require.False(t, srv.Instances("alice")[0].Online, "the Invite went out while alice's polls were down")
		remove()
		in := waitFor(t, alice.incoming, 20*time.Second, "alice's incoming call")
		require.NoError(t, in.Hangup())
		require.Empty(t, alice.reconnecting, "no reconnect")
	} else {
		srv.Disconnect("alice")
		err := waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")
		require.ErrorContains(t, err, "connection closed")
		waitFor(t, alice.reconnected, 20*time.Second, "OnClientReconnected")
	}
	insts := srv.Instances("alice")
	require.Len(t, insts, 1)
	require.Equal(t, before, insts[0].ID, "the instance survives a dropped channel")
	require.True(t, insts[0].Online, "subscribed again")
	require.True(t, alice.IsStarted())
	require.Empty(t, alice.credentials, "no new token for a reconnect")
}

func TestRestartThatForgetsInstancesRegistersAgain(t *testing.T) {
	forEachTransport(t, testRestartThatForgetsInstancesRegistersAgain)
}

// Over PubNub, the forgotten instance's channels are revoked (403): the
// client reconnects, learns from REST that its instance is gone (40400)
// and registers a new one.
func testRestartThatForgetsInstancesRegistersAgain(t *testing.T, tr transport) {
	srv := tr.server(t)
	alice := newPeer(t, srv, srv.URL(), "alice")
	before := srv.Instances("alice")[0].ID

	srv.Restart(ocratest.ForgetInstances())
	waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")
	waitFor(t, alice.credentials, 20*time.Second, "OnCredentialsRequired for the new instance")
	waitFor(t, alice.reconnected, 20*time.Second, "OnClientReconnected")
	insts := srv.Instances("alice")
	require.Len(t, insts, 1)
	require.NotEqual(t, before, insts[0].ID, "a new instance")
	require.True(t, insts[0].Online)
}

func TestConfigRefreshThatFindsTheInstanceGoneRegistersAgain(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithConfigRefreshInterval(time.Second))
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	id := srv.Instances("alice")[0].ID
	srv.InjectFault(ocratest.Fault{Method: http.MethodGet, Path: "/instances/" + id + "/config", Code: 40400, Times: 1})

	err := waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	require.Equal(t, 40400, serr.Code)
	require.Contains(t, serr.Error(), "refreshing the configuration")
	waitFor(t, alice.credentials, 20*time.Second, "OnCredentialsRequired for the new instance")
	waitFor(t, alice.reconnected, 20*time.Second, "OnClientReconnected")
	require.NotEqual(t, id, srv.Instances("alice")[len(srv.Instances("alice"))-1].ID)
}

func TestReconnectGivesUpAfterMaxReconnects(t *testing.T) {
	forEachTransport(t, testReconnectGivesUpAfterMaxReconnects)
}

func testReconnectGivesUpAfterMaxReconnects(t *testing.T, tr transport) {
	srv := tr.server(t)
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) { b.MaxReconnects(2) })
	srv.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable})

	srv.Disconnect("alice")
	err := waitFor(t, alice.failed, 20*time.Second, "OnClientFailed")
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	require.True(t, serr.Fatal)
	require.Equal(t, 50300, serr.Code)
	require.Contains(t, serr.Error(), "gave up reconnecting after 2 attempts (MaxReconnects)")
	require.False(t, alice.IsStarted())
	require.Empty(t, alice.reconnected)
}

func TestReconnectDelayIsAskedForEachAttempt(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	attempts := make(chan int, 16)
	var mu sync.Mutex
	remove := func() {}
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.ReconnectDelay(func(attempt int) time.Duration {
			attempts <- attempt
			if attempt == 3 { // three attempts failed: the realtime channel heals
				mu.Lock()
				remove()
				mu.Unlock()
			}
			return time.Millisecond
		})
	})
	mu.Lock()
	remove = srv.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable})
	mu.Unlock()
	defer remove()

	srv.Disconnect("alice")
	waitFor(t, alice.reconnected, 20*time.Second, "OnClientReconnected")
	require.Equal(t, []int{1, 2, 3}, []int{<-attempts, <-attempts, <-attempts})
	require.Empty(t, attempts, "no delay after the attempt that succeeded")
}

func TestTerminateBreaksTheReconnectLoop(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.ReconnectDelay(func(int) time.Duration { return time.Hour })
	})
	srv.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable})
	srv.Disconnect("alice")
	waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")

	done := make(chan struct{})
	go func() {
		alice.Terminate()
		close(done)
	}()
	waitClosed(t, done, 10*time.Second, "Terminate during an hour-long reconnect delay")
	require.Empty(t, alice.reconnected)
	require.Empty(t, alice.failed, "Terminate is not a failure")
}

func TestUnansweredPingsCountAsALostChannel(t *testing.T) {
	forEachTransport(t, testUnansweredPingsCountAsALostChannel)
}

func testUnansweredPingsCountAsALostChannel(t *testing.T, tr transport) {
	srv := tr.server(t)
	px := newServerProxy(t, srv)
	alice := newPeer(t, srv, px.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.RequestTimeout(time.Second).PingInterval(200 * time.Millisecond)
	})

	px.Freeze()
	err := waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")
	require.ErrorContains(t, err, "did not answer a ping within 1s")
	px.Thaw()
	waitFor(t, alice.reconnected, 20*time.Second, "OnClientReconnected")
	require.True(t, srv.Instances("alice")[0].Online)
}

func TestCallPlacedWhileReconnectingEndsOnce(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.ReconnectDelay(func(int) time.Duration { return time.Hour })
	})
	newPeer(t, srv, srv.URL(), "bob")
	srv.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable})
	srv.Disconnect("alice")
	waitFor(t, alice.reconnecting, 20*time.Second, "OnClientReconnecting")

	cl, rec := alice.callUser(t, "bob")
	waitClosed(t, rec.ended, 20*time.Second, "the call placed while reconnecting ends")
	// Bob's answers cannot reach alice: the call never connects.
	require.Contains(t, []call.EndCause{call.NoAnswer, call.Failure}, cl.Details().EndCause)
	require.Zero(t, cl.Details().EstablishedTime)
	requireEachCallEndedOnce(t, alice)
}

func TestReconnectSettingsAreChecked(t *testing.T) {
	base := func() *sinch.SinchClientBuilder {
		return sinch.GetSinchClientBuilder().ApplicationKey("0a1b2c3d-0000-4000-8000-000000000000").UserID("alice")
	}
	for name, tc := range map[string]struct {
		b    *sinch.SinchClientBuilder
		want string
	}{
		"negative ping interval": {base().PingInterval(-time.Second), "PingInterval must be positive"},
		"max reconnects -2":      {base().MaxReconnects(-2), "MaxReconnects must be -1 (no limit) or more, not -2"},
	} {
		_, err := tc.b.Build()
		require.ErrorIs(t, err, sinch.ErrInvalidArgument, name)
		require.ErrorContains(t, err, tc.want, name)
	}
	c, err := base().MaxReconnects(0).ReconnectDelay(nil).Build()
	require.NoError(t, err, "MaxReconnects(0) and ReconnectDelay(nil) are valid")
	c.Terminate()
}

func TestDefaultReconnectDelayBacksOffWithJitter(t *testing.T) {
	for attempt, bounds := range map[int][2]time.Duration{
		1:    {125 * time.Millisecond, 250 * time.Millisecond},
		2:    {250 * time.Millisecond, 500 * time.Millisecond},
		5:    {2 * time.Second, 4 * time.Second},
		8:    {15 * time.Second, 30 * time.Second},
		1000: {15 * time.Second, 30 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := sinch.DefaultReconnectDelay(attempt)
			require.GreaterOrEqual(t, d, bounds[0], "attempt %d", attempt)
			require.LessOrEqual(t, d, bounds[1], "attempt %d", attempt)
			seen[d] = true
		}
		require.Greater(t, len(seen), 1, "attempt %d: the delay is jittered", attempt)
	}
}

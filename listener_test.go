package sinch_test

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// TestClientListenerChangesTakeEffectForCallbacksNotYetStarted is the one
// rule of every AddListener and RemoveListener, on a client: a listener
// removed by another's callback gets no later callback, not even of the
// event being delivered; one added in a callback gets the next event.
func TestClientListenerChangesTakeEffectForCallbacksNotYetStarted(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	removed, added := newRecorder(func() string { return "" }), newRecorder(func() string { return "" })
	first := newRecorder(func() string { return srv.Token("alice") })
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(c *sinch.SinchClient, reg sinch.ClientRegistration) {
			c.RemoveListener(removed)
			c.AddListener(added)
		},
	})
	c.AddListener(first)
	c.AddListener(removed)
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	require.Eventually(t, func() bool { return len(added.Events()) == 1 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, []string{"credentials", "started"}, first.Events())
	assert.Empty(t, removed.Events(), "removed before its turn in the first event")
	assert.Equal(t, []string{"started"}, added.Events(), "added during the first event, it gets the next")
}

// TestCallListenerRemovedByAnotherGetsNothingMore: the same rule on a call.
func TestCallListenerRemovedByAnotherGetsNothingMore(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newTestClient(t, srv, "alice")
	alice.AddListener(newRecorder(func() string { return srv.Token("alice") }))
	require.NoError(t, alice.Start())
	require.NoError(t, alice.WaitStarted(waitCtx(t)))

	out, err := alice.CallController().CallUser("nobody", nil)
	require.NoError(t, err)
	second := &call.ListenerFuncs{OnCallEndedFunc: func(*call.Call) { t.Error("a removed listener was called") }}
	ended := make(chan struct{})
	out.AddListener(&call.ListenerFuncs{OnCallEndedFunc: func(c *call.Call) {
		c.RemoveListener(second)
		close(ended)
	}})
	out.AddListener(second)
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the call to nobody did not end")
	}
	alice.Terminate() // runs the callbacks still queued before the test ends
}

// logBuffer collects a client's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// nearMissClient means to be a ReconnectListener, but its
// OnClientReconnected takes an extra argument.
type nearMissClient struct{ sinch.ClientListenerFuncs }

func (*nearMissClient) OnClientReconnected(*sinch.SinchClient, int) {}

// nearMissCall means to be a call.DTMFListener, but takes a rune.
type nearMissCall struct{ call.ListenerFuncs }

func (*nearMissCall) OnCallDTMF(*call.Call, rune) {}

// TestNearMissListenerIsLoggedAtAdd: a listener whose optional method has
// the wrong signature, which would never be called, is named in a warning
// when it is added, on a client and on a call.
func TestNearMissListenerIsLoggedAtAdd(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	var logs logBuffer
	c, err := sinch.GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).EnvironmentHost(srv.URL()).
		UserID("alice").LoopbackOnly().Logger(slog.New(slog.NewTextHandler(&logs, nil))).Build()
	require.NoError(t, err)
	defer c.Terminate()

	c.AddListener(newRecorder(func() string { return srv.Token("alice") }))
	require.NotContains(t, logs.String(), "level=WARN", "a listener without near misses is not logged")
	c.AddListener(&nearMissClient{})
	assert.Contains(t, logs.String(), "OnClientReconnected(*sinch.SinchClient, int)")
	assert.Contains(t, logs.String(), "never be called")
	assert.NotContains(t, logs.String(), "OnClientReconnecting(", "the method that matches is not named")

	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	out, err := c.CallController().CallUser("nobody", nil)
	require.NoError(t, err)
	out.AddListener(&nearMissCall{})
	assert.Contains(t, logs.String(), "OnCallDTMF(*call.Call, int32)")
	assert.Contains(t, logs.String(), "OnCallDTMF(*call.Call, uint8)")
}

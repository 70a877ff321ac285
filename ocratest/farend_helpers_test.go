package ocratest_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// waitTimeout bounds every wait of the tests with SDK clients.
const waitTimeout = sinchtest.WaitTimeout

// callerID is the caller identifier of the test clients.
const callerID = "+46700000001"

// startClient builds, starts and registers a loopback client of user on
// srv (caller identifier callerID), terminated when the test ends.
func startClient(t *testing.T, srv *ocratest.Server, user string, opts ...func(*sinch.SinchClientBuilder)) *sinch.SinchClient {
	t.Helper()
	return sinchtest.Client(t, srv, user, append([]sinchtest.Option{sinchtest.CallerIdentifier(callerID)}, opts...)...)
}

// tracked is a call with the events its listener got and what it hears.
type tracked struct {
	*call.Call
	hears       *audio.ToneDetector
	mu          sync.Mutex
	events      []string
	established chan struct{}
	ended       chan struct{}
}

// track attaches a tone source, a detector and a listener to c.
func track(c *call.Call, toneHz float64) *tracked {
	tc := &tracked{Call: c, hears: audio.NewToneDetector(time.Second),
		established: make(chan struct{}), ended: make(chan struct{})}
	if toneHz > 0 {
		c.SetAudioSource(audio.Tone(toneHz, 0.3))
	}
	c.SetAudioSink(tc.hears)
	c.AddListener(&call.ListenerFuncs{
		OnCallProgressingFunc: func(*call.Call) { tc.add("progressing") },
		OnCallRingingFunc:     func(*call.Call) { tc.add("ringing") },
		OnCallAnsweredFunc:    func(*call.Call) { tc.add("answered") },
		OnCallEstablishedFunc: func(*call.Call) { tc.add("established"); close(tc.established) },
		OnCallEndedFunc:       func(*call.Call) { tc.add("ended"); close(tc.ended) },
	})
	return tc
}

func (tc *tracked) add(e string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.events = append(tc.events, e)
}

// Events returns the call's events so far.
func (tc *tracked) Events() []string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return slices.Clone(tc.events)
}

func (tc *tracked) waitEstablished(t *testing.T) {
	t.Helper()
	waitFor(t, tc.established, "the call to be established")
}

func (tc *tracked) waitEnded(t *testing.T) {
	t.Helper()
	waitFor(t, tc.ended, "the call to end")
}

// listen waits until the call has heard d more audio, from now.
func (tc *tracked) listen(t *testing.T, d time.Duration) {
	t.Helper()
	tc.hears.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, tc.hears.Wait(ctx, d))
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// incoming hands the calls that client c receives to the returned channel,
// tracked with a tone of toneHz, after answering them.
func incoming(c *sinch.SinchClient, toneHz float64) <-chan *tracked {
	ch := make(chan *tracked, 8)
	c.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, cl *call.Call) {
			tc := track(cl, toneHz)
			_ = cl.Answer()
			ch <- tc
		},
	})
	return ch
}

func next(t *testing.T, ch <-chan *tracked) *tracked {
	t.Helper()
	select {
	case tc := <-ch:
		return tc
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for an incoming call")
		return nil
	}
}

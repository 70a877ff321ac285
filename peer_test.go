package sinch_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// peer is a started client that records its lifecycle and every call it
// sees, for the reliability tests.
type peer struct {
	*sinch.SinchClient
	user string

	reconnecting chan error    // OnClientReconnecting
	reconnected  chan struct{} // OnClientReconnected
	failed       chan error    // OnClientFailed
	credentials  chan struct{} // OnCredentialsRequired
	incoming     chan *call.Call

	done      chan struct{} // closed by Terminate
	closeDone sync.Once

	mu    sync.Mutex
	calls map[*call.Call]*callRecord
}

// Terminate terminates the client and stops the peer's notifications.
func (p *peer) Terminate() {
	p.SinchClient.Terminate()
	p.closeDone.Do(func() { close(p.done) })
}

// send hands v to a test through ch, unless the peer is terminated: a
// callback never blocks for good on a test that stopped listening.
func send[T any](p *peer, ch chan<- T, v T) {
	select {
	case ch <- v:
	case <-p.done:
	}
}

// callRecord is what a peer saw of one call.
type callRecord struct {
	established chan struct{} // closed on OnCallEstablished
	ended       chan struct{} // closed on the first OnCallEnded
	endings     int           // OnCallEnded count
}

// peerOption changes a peer's builder.
type peerOption = sinchtest.Option

// fastPeer makes calls and reconnects quick enough for tests on a loaded
// machine.
func fastPeer(b *sinch.SinchClientBuilder) {
	b.RequestTimeout(3*time.Second).
		PingInterval(500*time.Millisecond).
		ReconnectDelay(func(int) time.Duration { return 50 * time.Millisecond }).
		NoAnswerTimeouts(8*time.Second, 8*time.Second).
		CallSetupTimeout(8 * time.Second)
}

// newPeer builds user's client against host (srv's URL, or a proxy's) and
// starts it; the client terminates at the end of the test.
func newPeer(t testing.TB, srv *ocratest.Server, host, user string, opts ...peerOption) *peer {
	t.Helper()
	p := buildPeer(t, srv, host, user, opts...)
	sinchtest.Start(t, p.SinchClient)
	<-p.credentials
	return p
}

// buildPeer builds user's client with its listeners, not started.
func buildPeer(t testing.TB, srv *ocratest.Server, host, user string, opts ...peerOption) *peer {
	t.Helper()
	c := sinchtest.Build(t, srv, user, append([]sinchtest.Option{sinchtest.Host(host), fastPeer}, opts...)...)
	p := &peer{
		done:         make(chan struct{}),
		SinchClient:  c,
		user:         user,
		reconnecting: make(chan error, 64),
		reconnected:  make(chan struct{}, 64),
		failed:       make(chan error, 64),
		credentials:  make(chan struct{}, 64),
		incoming:     make(chan *call.Call, 64),
		calls:        make(map[*call.Call]*callRecord),
	}
	t.Cleanup(p.Terminate)
	c.AddListener(&sinch.ClientListenerFuncs{
		// After sinchtest's listener, which registers.
		OnCredentialsRequiredFunc: func(*sinch.SinchClient, sinch.ClientRegistration) { send(p, p.credentials, struct{}{}) },
		OnClientFailedFunc:        func(_ *sinch.SinchClient, err error) { send(p, p.failed, err) },
		OnClientReconnectingFunc:  func(_ *sinch.SinchClient, err error) { send(p, p.reconnecting, err) },
		OnClientReconnectedFunc:   func(*sinch.SinchClient) { send(p, p.reconnected, struct{}{}) },
	})
	c.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, cl *call.Call) {
			p.track(cl)
			send(p, p.incoming, cl)
		},
	})
	return p
}

// track starts recording cl's events. Call it from the callback goroutine
// (OnIncomingCall) or right after placing the call, before events can be
// missed: listeners get only the events after they were added, and events
// are posted to the goroutine that runs OnIncomingCall.
func (p *peer) track(cl *call.Call) *callRecord {
	rec := &callRecord{established: make(chan struct{}), ended: make(chan struct{})}
	p.mu.Lock()
	p.calls[cl] = rec
	p.mu.Unlock()
	cl.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) { close(rec.established) },
		OnCallEndedFunc: func(*call.Call) {
			p.mu.Lock()
			rec.endings++
			first := rec.endings == 1
			p.mu.Unlock()
			if first {
				close(rec.ended)
			}
		},
	})
	return rec
}

// callUser places a call to callee and records it.
func (p *peer) callUser(t testing.TB, callee string) (*call.Call, *callRecord) {
	t.Helper()
	cl, err := p.CallController().CallUser(callee, nil)
	require.NoError(t, err)
	return cl, p.track(cl)
}

// record returns what p saw of cl.
func (p *peer) record(cl *call.Call) *callRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[cl]
}

// endings returns how many OnCallEnded each call p saw got; call it after
// Terminate, when no callback can come any more.
func (p *peer) endings() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := make(map[string]int, len(p.calls))
	for cl, rec := range p.calls {
		n[cl.ID()] = rec.endings
	}
	return n
}

// requireEachCallEndedOnce terminates the peers, which ends every live
// call, and checks that every call got exactly one OnCallEnded.
func requireEachCallEndedOnce(t testing.TB, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		p.Terminate()
		p.mu.Lock()
		calls := maps.Clone(p.calls)
		p.mu.Unlock()
		// OnCallEnded of the calls Terminate hung up runs after it, within
		// Hangup's bound; a call that never ends fails here, not in a hang.
		deadline := time.After(20 * time.Second)
		for cl, rec := range calls {
			select {
			case <-rec.ended:
			case <-deadline:
				t.Fatalf("%s: call %s (%v, %v) never got OnCallEnded after Terminate; details %+v",
					p.user, cl.ID(), cl.Direction(), cl.State(), cl.Details())
			}
		}
		for id, n := range p.endings() {
			require.Equal(t, 1, n, "%s: OnCallEnded count of call %s", p.user, id)
		}
	}
}

// liveCalls returns the calls p saw that have not ended.
func (p *peer) liveCalls() []*call.Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var live []*call.Call
	for cl, rec := range p.calls {
		if rec.endings == 0 {
			live = append(live, cl)
		}
	}
	return live
}

// waitFor waits for a value on ch, failing the test after d.
func waitFor[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	return sinchtest.Receive(t, ch, d, what)
}

// waitClosed waits until ch is closed, failing the test after d.
func waitClosed(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	sinchtest.Closed(t, ch, d, what)
}

func waitCtxTB(t testing.TB, d time.Duration) context.Context { return sinchtest.Context(t, d) }

// establish places a call from caller to callee, answers it and waits until
// both sides are established.
func establish(t testing.TB, caller, callee *peer) (out, in *call.Call) {
	t.Helper()
	out, outRec := caller.callUser(t, callee.user)
	in = waitFor(t, callee.incoming, 20*time.Second, callee.user+"'s incoming call")
	require.NoError(t, in.Answer())
	waitClosed(t, outRec.established, 20*time.Second, "the caller's call established")
	waitClosed(t, callee.record(in).established, 20*time.Second, "the callee's call established")
	return out, in
}

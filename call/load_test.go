package call_test

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// talk runs one answered call from caller to the callee whose incoming
// calls arrive on incoming, and hangs it up from the caller.
func talk(t testing.TB, out *call.Call, outRec *recorder, incoming <-chan inbound) {
	t.Helper()
	in := next(t, incoming)
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.NoError(t, out.Hangup())
	outRec.waitEnded(t)
	in.rec.waitEnded(t)
	require.Equal(t, call.HungUp, in.call.Details().EndCause)
}

func TestSequentialCallsDoNotLeak(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	// Idle keep-alive connections of the REST client are pooled, not
	// leaked: the test closes them before each count, so that only what the
	// calls themselves leave behind is counted.
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	withTransport := func(b *sinch.SinchClientBuilder) { b.HTTPClient(&http.Client{Transport: transport}) }
	alice := startClient(t, srv, "alice", withTransport)
	bob := startClient(t, srv, "bob", withTransport)
	incoming := onIncoming(bob, answer)
	goroutines := func() int {
		transport.CloseIdleConnections()
		return runtime.NumGoroutine()
	}

	out, rec := dial(t, alice, "bob", nil) // warm up
	talk(t, out, rec, incoming)
	before := goroutines()
	for range 20 {
		out, rec := dial(t, alice, "bob", nil)
		talk(t, out, rec, incoming)
	}
	// Ended calls release their goroutines; pion's close their last
	// timers, and the call reports their requests, shortly after.
	require.Eventually(t, func() bool { return goroutines() <= before+2 },
		waitTimeout, 10*time.Millisecond, "goroutines before: %d", before)
}

func TestConcurrentCalls(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	const pairs = 20
	var wg sync.WaitGroup
	for i := range pairs {
		caller := startClient(t, srv, fmt.Sprintf("caller%d", i))
		callee := fmt.Sprintf("callee%d", i)
		incoming := onIncoming(startClient(t, srv, callee), answer)
		wg.Go(func() {
			out, rec := dial(t, caller, callee, nil)
			talk(t, out, rec, incoming)
		})
	}
	wg.Wait()
}

func TestAnswerAfterLongRinging(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)

	out, rec := dial(t, alice, "bob", nil)
	in := next(t, incoming)
	time.Sleep(3 * time.Second) // the user lets it ring: ICE checks give up meanwhile
	require.NoError(t, in.call.Answer())
	require.ErrorIs(t, in.call.Answer(), sinch.ErrInvalidOperation, "already answered")
	rec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
}

// BenchmarkCallSetup measures CallUser until OnCallEstablished on the
// caller, the callee answering at once.
func BenchmarkCallSetup(b *testing.B) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(b, srv, "alice")
	bob := startClient(b, srv, "bob")
	incoming := onIncoming(bob, answer)
	b.ResetTimer()
	for b.Loop() {
		out, rec := dial(b, alice, "bob", nil)
		rec.waitEstablished(b)
		b.StopTimer()
		in := next(b, incoming)
		require.NoError(b, out.Hangup())
		in.rec.waitEnded(b)
		b.StartTimer()
	}
}

// BenchmarkRawPionSetup measures the floor under BenchmarkCallSetup: two
// peer connections of the same API, descriptions and candidates exchanged
// in memory (gathering first: loopback host candidates are immediate),
// until both are connected.
func BenchmarkRawPionSetup(b *testing.B) {
	api, err := rtc.NewAPI(rtc.Config{Loopback: true})
	require.NoError(b, err)
	for b.Loop() {
		rawSetup(b, api)
	}
}

func rawSetup(b *testing.B, api *webrtc.API) {
	var pcs [2]*webrtc.PeerConnection
	connected := make(chan struct{}, 2)
	for i := range pcs {
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		require.NoError(b, err)
		defer pc.Close()
		_, err = pc.AddTrack(rtc.NewPCMUTrack("audio", "raw"))
		require.NoError(b, err)
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				connected <- struct{}{}
			}
		})
		pcs[i] = pc
	}
	connectInMemory(b, pcs, connected)
}

// connectInMemory exchanges complete (non-trickle) SDP between two raw
// peer connections in memory, as raw pion's side of the benchmarks does,
// and waits until both report connected on connected.
func connectInMemory(b testing.TB, pcs [2]*webrtc.PeerConnection, connected <-chan struct{}) {
	offer, err := pcs[0].CreateOffer(nil)
	require.NoError(b, err)
	gathered := webrtc.GatheringCompletePromise(pcs[0])
	require.NoError(b, pcs[0].SetLocalDescription(offer))
	<-gathered
	require.NoError(b, pcs[1].SetRemoteDescription(*pcs[0].LocalDescription()))
	answer, err := pcs[1].CreateAnswer(nil)
	require.NoError(b, err)
	gathered = webrtc.GatheringCompletePromise(pcs[1])
	require.NoError(b, pcs[1].SetLocalDescription(answer))
	<-gathered
	require.NoError(b, pcs[0].SetRemoteDescription(*pcs[1].LocalDescription()))
	for range pcs {
		wait(b, connected, "connected")
	}
}

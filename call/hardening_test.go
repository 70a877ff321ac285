package call_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// TestStatsWhileTheCallIsAnswered polls Stats on both sides while the
// call is placed, answered and established, as an app showing live
// statistics does: under -race, no data race with the ICE transport that
// the answer starts.
func TestStatsWhileTheCallIsAnswered(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	poll := func(stats func()) {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					stats()
				}
			}
		})
	}
	out, outRec := dial(t, alice, "bob", nil)
	poll(func() { out.Stats() })
	in := next(t, incoming)
	poll(func() { in.call.Stats() })
	require.NoError(t, in.call.Answer())
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.Eventually(t, func() bool { return out.Stats().ICERoundTripTime > 0 || out.Stats().Audio.PacketsReceived > 0 },
		waitTimeout, 10*time.Millisecond, "the established call has statistics")
	close(stop)
	wg.Wait()
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
}

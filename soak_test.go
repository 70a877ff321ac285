package sinch_test

import (
	"flag"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

var soakDuration = flag.Duration("soak", 0, "how long TestSoak runs (default 60s, 5s with -short)")

// Sizes of the soak.
const (
	soakClients   = 50
	soakLiveCalls = 8 // calls up at once, bounded to keep the machine's load sane
)

// TestSoak runs 50 clients that place, answer and hang up random calls
// while the server is disconnected, cut off, restarted (with and without
// data loss) and refuses registrations. Afterwards every call has ended
// exactly once, no goroutine is left (TestMain's goleak) and the heap is
// back near where it started.
func TestSoak(t *testing.T) {
	d := *soakDuration
	if d == 0 {
		d = 60 * time.Second
		if testing.Short() {
			d = 5 * time.Second
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("soak for %v, seed %d", d, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	heapBefore := heapInUse()

	srv := ocratest.NewServer()
	px := newServerProxy(t, srv)
	peers := make([]*peer, soakClients)
	var answering sync.WaitGroup // Answer and Hangup run off the callback goroutine
	for i := range peers {
		peers[i] = buildPeer(t, srv, px.URL(), "soak"+strconv.Itoa(i))
	}
	for _, p := range peers {
		require.NoError(t, p.Start())
	}
	for _, p := range peers {
		require.NoError(t, p.WaitStarted(waitCtxTB(t, 60*time.Second)))
		go drain(p)
	}

	var placed, faults int
	live := func() int {
		n := 0
		for _, p := range peers {
			n += len(p.liveCalls())
		}
		return n
	}
	deadline := time.Now().Add(d)
	nextFault := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		switch {
		case time.Now().After(nextFault):
			soakFault(rng, srv, px, peers)
			faults++
			nextFault = time.Now().Add(time.Second + rand.N(2*time.Second))
		case live() < 2*soakLiveCalls && rng.IntN(2) == 0: // two records per call
			a, b := peers[rng.IntN(len(peers))], peers[rng.IntN(len(peers))]
			if a == b {
				continue
			}
			if cl, err := a.CallController().CallUser(b.user, nil); err == nil {
				a.track(cl)
				placed++
			}
		default:
			calls := peers[rng.IntN(len(peers))].liveCalls()
			if len(calls) == 0 {
				break
			}
			cl, answer := calls[rng.IntN(len(calls))], rng.IntN(3) > 0
			answering.Add(1)
			go func() {
				defer answering.Done()
				if cl.Direction() == call.Inbound && answer {
					_ = cl.Answer()
				} else {
					_ = cl.Hangup()
				}
			}()
		}
		time.Sleep(20 * time.Millisecond) // the pace of the load, not a synchronisation
	}
	answering.Wait()
	requireEachCallEndedOnce(t, peers...)
	px.Close()
	srv.Close()
	var outbound, inbound int
	for _, p := range peers {
		for cl := range p.calls {
			if cl.Direction() == call.Outbound {
				outbound++
			} else {
				inbound++
			}
		}
	}
	require.Equal(t, placed, outbound, "every placed call was followed to its end")
	t.Logf("%d calls placed, %d received, %d faults; each ended exactly once on each side", placed, inbound, faults)
	require.NotZero(t, placed)

	growth := heapInUse() - heapBefore
	t.Logf("heap growth after the soak: %d KiB", growth/1024)
	require.Less(t, growth, int64(32<<20), "the heap is back near its start")
}

// drain empties a peer's notification channels, which the soak does not
// read, until the client terminates; incoming calls are tracked by the
// peer already.
func drain(p *peer) {
	for {
		select {
		case <-p.incoming:
		case <-p.reconnecting:
		case <-p.reconnected:
		case <-p.credentials:
		case <-p.failed:
		case <-p.done:
			return
		}
	}
}

// soakFault injects one random fault.
func soakFault(rng *rand.Rand, srv *ocratest.Server, px *serverProxy, peers []*peer) {
	switch rng.IntN(5) {
	case 0:
		srv.Disconnect(peers[rng.IntN(len(peers))].user)
	case 1:
		px.Cut()
	case 2:
		srv.Restart()
	case 3:
		srv.Restart(ocratest.ForgetInstances())
	case 4:
		srv.InjectFault(ocratest.Fault{Method: http.MethodPost, Path: "/instances", Status: 503, Times: 3})
		srv.Restart(ocratest.ForgetInstances())
	}
}

package call_test

import (
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/call"
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

// stallingSource gives silence for a few frames, then blocks in ReadFrame
// until released, as a PCM source reading a pipe whose writer stopped.
type stallingSource struct {
	frames  int
	stalled chan struct{} // closed when ReadFrame starts blocking
	release chan struct{}
	once    sync.Once
}

func newStallingSource() *stallingSource {
	return &stallingSource{frames: 10, stalled: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallingSource) ReadFrame(frame []int16) error {
	if s.frames > 0 {
		s.frames--
		clear(frame)
		return nil
	}
	s.once.Do(func() { close(s.stalled) })
	<-s.release
	return io.EOF
}

// stallingSink blocks in its first WriteFrame until released, as a sink
// writing to a device or pipe that hangs.
type stallingSink struct {
	stalled chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStallingSink() *stallingSink {
	return &stallingSink{stalled: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallingSink) WriteFrame([]int16) error {
	s.once.Do(func() { close(s.stalled) })
	<-s.release
	return nil
}

// hangBound bounds Hangup and Terminate with a stalled source or sink: the
// documented ~3 s, with room for a loaded machine. On failure they hang
// forever.
const hangBound = 10 * time.Second

// TestStalledMediaDoesNotHangHangupOrTerminate: a call whose audio source
// or sink blocks for good in user code still ends: Hangup and Terminate
// return within the bound, and the far end's call ends HungUp.
func TestStalledMediaDoesNotHangHangupOrTerminate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stall     func(c *call.Call) (stalled, release chan struct{})
		terminate bool
	}{
		{"source, Hangup", stallSource, false},
		{"sink, Hangup", stallSink, false},
		{"source, Terminate", stallSource, true},
		{"sink, Terminate", stallSink, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			alice := startClient(t, srv, "alice")
			bob := startClient(t, srv, "bob")
			incoming := onIncoming(bob, answer)
			out, outRec := dial(t, alice, "bob", nil)
			stalled, release := tc.stall(out)
			t.Cleanup(func() { close(release) }) // before the clients terminate
			in := next(t, incoming)
			outRec.waitEstablished(t)
			in.rec.waitEstablished(t)
			wait(t, stalled, "the stalled source or sink")

			returned := make(chan struct{})
			start := time.Now()
			go func() {
				defer close(returned)
				if tc.terminate {
					alice.Terminate()
				} else {
					_ = out.Hangup()
				}
			}()
			select {
			case <-returned:
				t.Logf("returned after %v", time.Since(start).Round(time.Millisecond))
			case <-time.After(hangBound):
				t.Fatalf("still blocked after %v on the stalled user code", hangBound)
			}
			require.Equal(t, call.Ended, out.State())
			in.rec.waitEnded(t)
			require.Equal(t, call.HungUp, in.call.Details().EndCause)
		})
	}
}

func stallSource(c *call.Call) (stalled, release chan struct{}) {
	s := newStallingSource()
	c.SetAudioSource(s)
	return s.stalled, s.release
}

func stallSink(c *call.Call) (stalled, release chan struct{}) {
	s := newStallingSink()
	c.SetAudioSink(s)
	return s.stalled, s.release
}

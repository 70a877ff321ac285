package call_test

import (
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
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

// ringing dials n calls from caller to "bob" and waits until each has
// rung on bob's side (an incoming call) or ended on the caller's side;
// it returns the calls bob received and the callers' calls that ended.
func ringing(t *testing.T, caller *sinch.SinchClient, incoming <-chan inbound, n int) (received []inbound, ended []*call.Call) {
	t.Helper()
	type placed struct {
		c   *call.Call
		rec *recorder
	}
	var out []placed
	for range n {
		c, rec := dial(t, caller, "bob", nil)
		out = append(out, placed{c, rec})
	}
	deadline := time.After(waitTimeout)
	for len(received)+len(ended) < n {
		ended = ended[:0]
		for _, p := range out {
			select {
			case <-p.rec.ended:
				ended = append(ended, p.c)
			default:
			}
		}
		select {
		case in := <-incoming:
			received = append(received, in)
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("after %v: %d calls rang, %d ended, of %d", waitTimeout, len(received), len(ended), n)
		}
	}
	return received, ended
}

// TestIncomingCallsBeyondTheBoundAreDeclined: with the default bound,
// DefaultMaxIncomingCalls calls ring at once; the ones beyond are declined
// at once (the caller's call ends Denied) without reaching the app; an
// answered call frees its slot.
func TestIncomingCallsBeyondTheBoundAreDeclined(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)

	const extra = 2
	received, ended := ringing(t, alice, incoming, sinch.DefaultMaxIncomingCalls+extra)
	require.Len(t, received, sinch.DefaultMaxIncomingCalls, "calls that rang")
	require.Len(t, ended, extra, "calls declined")
	for _, c := range ended {
		require.Equal(t, call.Denied, c.Details().EndCause)
	}

	// Answering one frees a slot: the next call rings, the one after is declined.
	first := received[0]
	require.NoError(t, first.call.Answer())
	first.rec.waitEstablished(t)
	more, moreEnded := ringing(t, alice, incoming, 2)
	require.Len(t, more, 1)
	require.Len(t, moreEnded, 1)
	require.Equal(t, call.Denied, moreEnded[0].Details().EndCause)
}

// TestMaxIncomingCalls: the builder's bound applies, and a declined or
// ended ringing call frees its slot.
func TestMaxIncomingCalls(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob", func(b *sinch.SinchClientBuilder) { b.MaxIncomingCalls(1) })
	incoming := onIncoming(bob, nil)

	received, ended := ringing(t, alice, incoming, 3)
	require.Len(t, received, 1)
	require.Len(t, ended, 2)
	require.NoError(t, received[0].call.Hangup()) // declines it: Denied
	received[0].rec.waitEnded(t)
	again, againEnded := ringing(t, alice, incoming, 1)
	require.Len(t, again, 1, "the slot is free again")
	require.Empty(t, againEnded)
}

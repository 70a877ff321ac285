package call_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// These tests impair a real call's media on a virtual network (pion's
// vnet): each client's peer connections live on a vnet.Net of their own
// behind one router, and loss and delay filters in front of each Net
// impair what that client receives. Signalling stays on the real loopback.

// linkEnd is one client's side of the virtual link.
type linkEnd struct {
	net   *vnet.Net
	loss  *vnet.LossFilter  // drops a share of what the client receives
	delay *vnet.DelayFilter // delays what the client receives
	ip    string

	jitter atomic.Int64 // see setJitter
	chunks int          // chunks to e while jitter is on; router goroutine only
}

// newLink builds a virtual network with one end per user, torn down when
// the test ends (after the clients, which are started later).
func newLink(t *testing.T, users ...string) map[string]*linkEnd {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	require.NoError(t, err)
	ends := make(map[string]*linkEnd)
	for i, u := range users {
		e := &linkEnd{ip: fmt.Sprintf("10.0.0.%d", i+1)}
		e.net, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{e.ip}})
		require.NoError(t, err)
		e.delay, err = vnet.NewDelayFilter(e.net)
		require.NoError(t, err)
		e.loss, err = vnet.NewLossFilter(e.delay, 0)
		require.NoError(t, err)
		require.NoError(t, wan.AddNet(e.loss))
		ends[u] = e
	}
	wan.AddChunkFilter(func(c vnet.Chunk) bool {
		dst, ok := c.DestinationAddr().(*net.UDPAddr)
		for _, e := range ends {
			if ok && dst.IP.String() == e.ip {
				e.onChunk()
			}
		}
		return true
	})
	require.NoError(t, wan.Start())
	t.Cleanup(func() {
		require.NoError(t, wan.Stop())
		// Stop does not wait for the router's goroutine, which may still be
		// handing a chunk to a delay filter; closing the filter under it
		// would block it for good (a leak goleak reports).
		waitRouterStopped()
		for _, e := range ends {
			require.NoError(t, e.delay.Close())
		}
	})
	return ends
}

// waitRouterStopped waits, up to 2 s, until no vnet router goroutine runs
// (the tests of this package do not run in parallel).
func waitRouterStopped() {
	buf := make([]byte, 1<<20)
	for range 200 {
		n := runtime.Stack(buf, true)
		if !strings.Contains(string(buf[:n]), "vnet.(*Router).Start.func1") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onLink makes a client's peer connections use e's virtual network, with
// ICE that waits a minute before it gives up on a silent link.
func onLink(e *linkEnd) func(*sinch.SinchClientBuilder) {
	return func(b *sinch.SinchClientBuilder) {
		b.WebRTCSettings(func(s *webrtc.SettingEngine) {
			s.SetNet(e.net)
			s.SetInterfaceFilter(func(name string) bool { return name == "eth0" })
			s.SetIPFilter(nil)
			s.SetICETimeouts(2*time.Second, time.Minute, 500*time.Millisecond)
		})
	}
}

// setLoss sets the share of packets e drops, in percent.
func (e *linkEnd) setLoss(t *testing.T, percent int) {
	t.Helper()
	require.NoError(t, e.loss.SetLossRate(percent, true))
}

// jitterBunch is how many packets setJitter bunches.
const jitterBunch = 10

// setJitter delays one in every jitterBunch packets e receives by upTo (0
// stops). The delay filter is first in, first out, so the undelayed packets
// behind a delayed one wait for it: with upTo just under jitterBunch-1
// audio frames (180 ms), packets arrive in bunches of jitterBunch, one
// bunch every jitterBunch frames. The RFC 3550 jitter of that swings
// between 32 and 41 ms (36 ms on average). No first in, first out
// impairment can make it reach 40 ms on average: a packet arrives at most
// one frame (20 ms) less late than the one before it, so the transit time
// falls by at most 20 ms per packet, and rises as much as it falls.
func (e *linkEnd) setJitter(upTo time.Duration) {
	e.jitter.Store(int64(upTo))
	e.delay.SetDelay(0)
}

// onChunk applies e's jitter to a packet on its way to e.
func (e *linkEnd) onChunk() {
	if upTo := time.Duration(e.jitter.Load()); upTo > 0 {
		if e.chunks%jitterBunch == 0 {
			e.delay.SetDelay(upTo)
		} else {
			e.delay.SetDelay(0)
		}
		e.chunks++
	}
}

// speech is a source whose level changes from frame to frame, as a voice's
// does: a healthy call raises no audio level warning.
type speech struct {
	tone  audio.Source
	frame int
}

func newSpeech() *speech { return &speech{tone: audio.Tone(440, 1)} }

func (s *speech) ReadFrame(frame []int16) error {
	if err := s.tone.ReadFrame(frame); err != nil {
		return err
	}
	s.frame++
	gain := 0.1 + 0.08*float64(s.frame*7%5)
	for i, v := range frame {
		frame[i] = int16(float64(v) * gain)
	}
	return nil
}

// warnings records the quality warnings of a call.
type warnings struct {
	ch chan call.QualityWarningEvent
}

func watchWarnings(c *call.Call) *warnings {
	w := &warnings{ch: make(chan call.QualityWarningEvent, 256)}
	c.AddListener(&call.ListenerFuncs{OnCallQualityWarningEventFunc: func(_ *call.Call, e call.QualityWarningEvent) { w.ch <- e }})
	return w
}

// linkTimeout bounds the wait for one warning event.
const linkTimeout = 20 * time.Second

// await waits for the event (skipping others) and returns how long it took.
func (w *warnings) await(t *testing.T, want call.QualityWarningEvent) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(linkTimeout)
	for {
		select {
		case e := <-w.ch:
			if e == want {
				took := time.Since(start)
				t.Logf("%s %s %s after %v", e.Warning, e.Type, e.Media, took.Round(10*time.Millisecond))
				return took
			}
		case <-deadline:
			t.Fatalf("no %s %s %s within %v", want.Warning, want.Type, want.Media, linkTimeout)
		}
	}
}

// linkedCall starts alice and bob on a virtual link, alice calls bob, and
// both send speech; it returns the link and each side's call and warnings.
func linkedCall(t *testing.T) (ends map[string]*linkEnd, alice, bob *call.Call, aliceW, bobW *warnings) {
	t.Helper()
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	ends = newLink(t, "alice", "bob")
	a := startClient(t, srv, "alice", onLink(ends["alice"]))
	b := startClient(t, srv, "bob", onLink(ends["bob"]))
	alice, in := established(t, a, b, func(c *call.Call) {
		bobW = watchWarnings(c)
		c.SetAudioSource(newSpeech())
	}, func(c *call.Call) {
		aliceW = watchWarnings(c)
		c.SetAudioSource(newSpeech())
	})
	t.Cleanup(func() { _ = alice.Hangup() })
	return ends, alice, in.call, aliceW, bobW
}

func trigger(w call.QualityWarning, m call.MediaType) call.QualityWarningEvent {
	return call.QualityWarningEvent{Warning: w, Type: call.Trigger, Media: m}
}

func recovered(w call.QualityWarning, m call.MediaType) call.QualityWarningEvent {
	return call.QualityWarningEvent{Warning: w, Type: call.Recover, Media: m}
}

func TestLinkLossWarns(t *testing.T) {
	ends, _, _, aliceW, _ := linkedCall(t)
	ends["alice"].setLoss(t, 10)
	aliceW.await(t, trigger(call.HighInboundPacketLoss, call.Audio))
	ends["alice"].setLoss(t, 0)
	aliceW.await(t, recovered(call.HighInboundPacketLoss, call.Audio))
}

func TestLinkDelayWarns(t *testing.T) {
	ends, _, _, aliceW, _ := linkedCall(t)
	for _, e := range ends {
		e.delay.SetDelay(250 * time.Millisecond)
	}
	aliceW.await(t, trigger(call.HighRemoteInboundRtt, call.Audio))
	for _, e := range ends {
		e.delay.SetDelay(0)
	}
	aliceW.await(t, recovered(call.HighRemoteInboundRtt, call.Audio))
}

func TestLinkJitterWarns(t *testing.T) {
	ends, alice, _, aliceW, _ := linkedCall(t)
	ends["alice"].setJitter(190 * time.Millisecond)
	aliceW.await(t, trigger(call.HighInboundJitter, call.Audio))
	t.Logf("jitter %v", alice.Stats().Audio.Jitter.Round(100*time.Microsecond))
	ends["alice"].setJitter(0)
	aliceW.await(t, recovered(call.HighInboundJitter, call.Audio))
}

func TestLinkMissingMediaWarns(t *testing.T) {
	ends, _, _, aliceW, _ := linkedCall(t)
	ends["alice"].setLoss(t, 100)
	aliceW.await(t, trigger(call.MissingMediaStream, call.NoMedia))
	ends["alice"].setLoss(t, 0)
	aliceW.await(t, recovered(call.MissingMediaStream, call.NoMedia))
}

func TestLinkSilenceWarns(t *testing.T) {
	call.SetLevelWindow(t, 6)
	_, _, bob, aliceW, bobW := linkedCall(t)
	bob.SetAudioSource(audio.Silence())
	bobW.await(t, trigger(call.ZeroOutboundAudioLevel, call.Audio))
	aliceW.await(t, trigger(call.ZeroInboundAudioLevel, call.Audio))
	bob.SetAudioSource(newSpeech())
	bobW.await(t, recovered(call.ZeroOutboundAudioLevel, call.Audio))
	aliceW.await(t, recovered(call.ZeroInboundAudioLevel, call.Audio))
}

// A far end whose level never changes (a steady tone, as from a stuck
// source) raises the Constant warnings on both ends of the link, and real
// speech clears them.
func TestLinkConstantLevelWarns(t *testing.T) {
	call.SetLevelWindow(t, 6)
	_, _, bob, aliceW, bobW := linkedCall(t)
	bob.SetAudioSource(audio.Tone(440, 0.5))
	bobW.await(t, trigger(call.ConstantOutboundAudioLevel, call.Audio))
	aliceW.await(t, trigger(call.ConstantInboundAudioLevel, call.Audio))
	bob.SetAudioSource(newSpeech())
	bobW.await(t, recovered(call.ConstantOutboundAudioLevel, call.Audio))
	aliceW.await(t, recovered(call.ConstantInboundAudioLevel, call.Audio))
}

// frameRecorder is a sink that counts the samples it gets, stamped with when
// they came, and measures their tone.
type frameRecorder struct {
	*audio.ToneDetector
	mu     sync.Mutex
	frames []time.Time // arrival of each 20 ms frame
}

func (r *frameRecorder) WriteFrame(frame []int16) error {
	r.mu.Lock()
	for range len(frame) / audio.FrameSize {
		r.frames = append(r.frames, time.Now())
	}
	r.mu.Unlock()
	return r.ToneDetector.WriteFrame(frame)
}

// framesBetween counts the frames that came in [from, to).
func (r *frameRecorder) framesBetween(from, to time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, at := range r.frames {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// TestLossyJitteryLinkKeepsTheRecordingWhole: over a link that loses 10 %
// of the packets and delays some by 30 ms, the receiver still plays 20 ms of
// audio every 20 ms (10 s of call, 10 s of recording, within one frame),
// concealing the losses, and the tone is still detected.
func TestLossyJitteryLinkKeepsTheRecordingWhole(t *testing.T) {
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	ends := newLink(t, "alice", "bob")
	a := startClient(t, srv, "alice", onLink(ends["alice"]))
	b := startClient(t, srv, "bob", onLink(ends["bob"]))
	rec := &frameRecorder{ToneDetector: audio.NewToneDetector(time.Second)}
	alice, in := established(t, a, b, func(c *call.Call) { c.SetAudioSource(audio.Tone(700, 0.5)) },
		func(c *call.Call) { c.SetAudioSink(rec) })
	t.Cleanup(func() { _ = alice.Hangup() })
	ends["alice"].setLoss(t, 10)
	ends["alice"].setJitter(30 * time.Millisecond)
	require.NoError(t, rec.Wait(ctx(t), time.Second))

	start := time.Now()
	time.Sleep(10 * time.Second)
	got := rec.framesBetween(start, start.Add(10*time.Second))
	t.Logf("10 s of call: %d frames of 20 ms", got)
	require.InDelta(t, 500, got, 1, "10 s of recording within one frame")

	freq, ratio := rec.Dominant(500, 700, 900)
	require.Equal(t, 700.0, freq, "the tone is still detected")
	t.Logf("tone ratio %.0f, rms %.0f", ratio, rec.RMS())
	st := alice.Stats().Audio
	t.Logf("lost %d, concealed %d, late %d, target delay %v", st.PacketsLost, st.ConcealedFrames, st.LatePackets, st.TargetDelay)
	require.Positive(t, st.ConcealedFrames, "the losses are concealed")
	require.LessOrEqual(t, st.TargetDelay, 200*time.Millisecond)
	_ = in
}

// stampRecorder is an audio.TimedSink that keeps the RTP timestamp of every
// frame it gets.
type stampRecorder struct {
	mu     sync.Mutex
	plain  int // frames given through WriteFrame
	stamps []uint32
}

func (r *stampRecorder) WriteFrame([]int16) error {
	r.mu.Lock()
	r.plain++
	r.mu.Unlock()
	return nil
}

func (r *stampRecorder) WriteFrameAt(_ []int16, ts uint32) error {
	r.mu.Lock()
	r.stamps = append(r.stamps, ts)
	r.mu.Unlock()
	return nil
}

func (r *stampRecorder) snapshot() (plain int, stamps []uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.plain, append([]uint32(nil), r.stamps...)
}

// TestTimedSinkGetsRTPTimestampsAcrossLoss: over a link that loses 10 % of
// the packets, a sink that asks for timestamps gets every frame with its
// RTP timestamp (Opus: 48 kHz clock), one frame (960) apart, the concealed
// frames of the lost packets included. The only other steps are the jitter
// buffer adapting its delay or rebasing after a stall (audio.TimedSink),
// which a 3 s window sees a few times at most on a loaded machine: far
// fewer than the losses, each of which would be a step if the concealed
// frames did not carry their slot's timestamp.
func TestTimedSinkGetsRTPTimestampsAcrossLoss(t *testing.T) {
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	ends := newLink(t, "alice", "bob")
	a := startClient(t, srv, "alice", onLink(ends["alice"]))
	b := startClient(t, srv, "bob", onLink(ends["bob"]))
	rec := &stampRecorder{}
	alice, _ := established(t, a, b, func(c *call.Call) { c.SetAudioSource(audio.Tone(700, 0.5)) },
		func(c *call.Call) { c.SetAudioSink(rec) })
	t.Cleanup(func() { _ = alice.Hangup() })
	ends["alice"].setLoss(t, 10)
	before := alice.Stats().Audio.PacketsLost
	_, early := rec.snapshot()
	from := len(early)
	time.Sleep(3 * time.Second)
	plain, stamps := rec.snapshot()
	stamps = stamps[from:]
	lost := alice.Stats().Audio.PacketsLost - before
	t.Logf("%d frames, %d packets lost meanwhile", len(stamps), lost)
	require.Zero(t, plain, "a TimedSink gets WriteFrameAt only")
	require.Greater(t, len(stamps), 100, "3 s of frames")
	require.GreaterOrEqual(t, int64(lost), int64(5), "the link lost packets")
	var odd []int32
	for i := 1; i < len(stamps); i++ {
		if step := stamps[i] - stamps[i-1]; step != 960 {
			odd = append(odd, int32(step))
		}
	}
	t.Logf("steps of other than one frame: %v", odd)
	require.LessOrEqual(t, len(odd), 3, "lost packets are concealed in their slots, one frame after the one before")
}

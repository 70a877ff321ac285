package call_test

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/video"
)

// established places a call from alice to bob, bob answering with
// setupBob, and waits until both sides are established.
func established(t *testing.T, alice, bob *sinch.SinchClient, setupBob func(*call.Call), setupAlice func(*call.Call)) (out *call.Call, in inbound) {
	t.Helper()
	incoming := onIncoming(bob, func(c *call.Call) {
		if setupBob != nil {
			setupBob(c)
		}
		answer(c)
	})
	out, rec := dial(t, alice, "bob", nil)
	if setupAlice != nil {
		setupAlice(out)
	}
	in = next(t, incoming)
	rec.waitEstablished(t)
	in.rec.waitEstablished(t)
	return out, in
}

// hearsSilence waits for what was in flight to pass, then checks that d
// hears silence for half a second.
func hearsSilence(t *testing.T, d *audio.ToneDetector) {
	t.Helper()
	d.Reset()
	require.NoError(t, d.Wait(ctx(t), 200*time.Millisecond))
	d.Reset()
	require.NoError(t, d.Wait(ctx(t), 500*time.Millisecond))
	assert.Less(t, d.RMS(), 10.0, "silence")
}

// hearsTone checks that d hears freq again within a second.
func hearsTone(t *testing.T, d *audio.ToneDetector, freq float64) {
	t.Helper()
	d.Reset()
	require.NoError(t, d.Wait(ctx(t), 200*time.Millisecond))
	d.Reset()
	require.NoError(t, d.Wait(ctx(t), 500*time.Millisecond))
	f, ratio := d.Dominant(freq, 2*freq)
	assert.Equal(t, freq, f)
	assert.Greater(t, ratio, 100.0)
}

func TestClientWideMuteSendsSilence(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	bobHears := audio.NewToneDetector(500 * time.Millisecond)
	var frames sync.WaitGroup
	frames.Add(1)
	var once sync.Once
	out, in := established(t, alice, bob, func(c *call.Call) {
		c.SetAudioSink(audio.SinkFunc(func(f []int16) {
			once.Do(frames.Done)
			_ = bobHears.WriteFrame(f)
		}))
	}, func(c *call.Call) { c.SetAudioSource(audio.Tone(600, 0.5)) })
	frames.Wait()
	hearsTone(t, bobHears, 600)

	ac := alice.AudioController()
	require.NoError(t, ac.Mute())
	assert.True(t, ac.IsMuted())
	hearsSilence(t, bobHears)
	// Muted calls keep sending frames: silence, not nothing.
	before := in.call.Stats().Audio.PacketsReceived
	bobHears.Reset()
	require.NoError(t, bobHears.Wait(ctx(t), 300*time.Millisecond))
	assert.Greater(t, in.call.Stats().Audio.PacketsReceived, before, "frames keep coming while muted")

	require.NoError(t, ac.Unmute())
	assert.False(t, ac.IsMuted())
	hearsTone(t, bobHears, 600)
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
}

// chirp returns seconds of a sweep from 300 to 3000 Hz at 8 kHz.
func chirp(seconds float64) []int16 {
	n := int(seconds * audio.SampleRate)
	s := make([]int16, n)
	phase := 0.0
	for i := range s {
		f := 300 + 2700*float64(i)/float64(n)
		phase += 2 * math.Pi * f / audio.SampleRate
		s[i] = int16(12000 * math.Sin(phase))
	}
	return s
}

// wavBytes encodes samples as a WAV file.
func wavBytes(t *testing.T, samples []int16) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.wav")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := audio.NewWAVWriter(f)
	require.NoError(t, w.WriteFrame(samples))
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// bestCorrelation returns the lag of ref in got with the highest normalised
// correlation, and that correlation.
func bestCorrelation(ref, got []int16) (lag int, corr float64) {
	var refEnergy float64
	for _, v := range ref {
		refEnergy += float64(v) * float64(v)
	}
	for l := 0; l+len(ref) <= len(got); l++ {
		var dot, energy float64
		for i, v := range ref {
			g := float64(got[l+i])
			dot += float64(v) * g
			energy += g * g
		}
		if c := dot / math.Sqrt(refEnergy*energy+1); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

func TestWAVFileThroughCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	ref := chirp(1.5)
	src, err := audio.NewWAVSource(bytes.NewReader(wavBytes(t, ref)))
	require.NoError(t, err)

	outPath := filepath.Join(t.TempDir(), "out.wav")
	f, err := os.Create(outPath)
	require.NoError(t, err)
	recorded := audio.NewWAVWriter(f)
	counter := audio.NewToneDetector(time.Second)
	out, in := established(t, alice, bob, func(c *call.Call) {
		c.SetAudioSink(audio.SinkFunc(func(frame []int16) {
			assert.NoError(t, recorded.WriteFrame(frame))
			_ = counter.WriteFrame(frame)
		}))
	}, nil)
	// The source starts when the call is established; record it whole.
	out.SetAudioSource(src)
	require.NoError(t, counter.Wait(ctx(t), 2500*time.Millisecond))
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	require.NoError(t, recorded.Close())
	require.NoError(t, f.Close())

	wav, err := audio.OpenWAV(outPath)
	require.NoError(t, err)
	defer wav.Close()
	var got []int16
	frame := make([]int16, 160)
	for wav.ReadFrame(frame) != io.EOF {
		got = append(got, frame...)
	}
	lag, corr := bestCorrelation(ref, got)
	t.Logf("delay %v, correlation %.4f", time.Duration(lag)*time.Second/audio.SampleRate, corr)
	assert.Greater(t, corr, 0.9)
}

// frameLog collects the video frames a sink gets.
type frameLog struct {
	mu     sync.Mutex
	frames []video.Frame
}

func (l *frameLog) WriteFrame(f video.Frame) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.Data = bytes.Clone(f.Data)
	l.frames = append(l.frames, f)
	return nil
}

func (l *frameLog) snapshot() []video.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]video.Frame(nil), l.frames...)
}

// waitFrames waits until the log has more than n frames.
func (l *frameLog) waitFrames(t *testing.T, n int) []video.Frame {
	t.Helper()
	var fs []video.Frame
	require.Eventually(t, func() bool { fs = l.snapshot(); return len(fs) > n },
		waitTimeout, 10*time.Millisecond, "more than %d video frames", n)
	return fs
}

func clipSource(t *testing.T) *video.IVFSource {
	f, err := os.Open("../video/testdata/clip.ivf")
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	src, err := video.NewLoopingIVFSource(f)
	require.NoError(t, err)
	return src
}

func TestVideoFramesPauseAndResume(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	aliceClip, bobClip := clipSource(t), clipSource(t)
	require.NoError(t, alice.VideoController().SetSourceFactory(func(string) video.Source { return aliceClip }))
	require.NoError(t, bob.VideoController().SetSourceFactory(func(string) video.Source { return bobClip }))
	bobSees := &frameLog{}
	require.NoError(t, bob.VideoController().SetSinkFactory(func(string) video.Sink { return bobSees }))

	incoming := onIncoming(bob, answer)
	out, err := alice.CallController().CallUserVideo("bob", nil)
	require.NoError(t, err)
	rec := newRecorder()
	out.AddListener(rec)
	in := next(t, incoming)
	rec.waitEstablished(t)

	frames := bobSees.waitFrames(t, 0)
	w, h, err := video.ParseVP8Keyframe(frames[0].Data)
	require.NoError(t, err, "the first frame is a keyframe")
	assert.Equal(t, [2]int{aliceClip.Width(), aliceClip.Height()}, [2]int{w, h})
	assert.True(t, frames[0].Keyframe)

	require.NoError(t, out.PauseVideo())
	time.Sleep(300 * time.Millisecond) // frames in flight arrive
	paused := len(bobSees.snapshot())
	time.Sleep(time.Second)
	assert.Len(t, bobSees.snapshot(), paused, "no frame while paused")

	require.NoError(t, out.ResumeVideo())
	// The receiver hands a frame on when the next one starts, so the last
	// frame before the pause comes first.
	frames = bobSees.waitFrames(t, paused+1)
	_, _, err = video.ParseVP8Keyframe(frames[paused+1].Data)
	assert.NoError(t, err, "video resumes with a keyframe")

	kinds := func(r *recorder) map[string]bool {
		m := map[string]bool{}
		for _, tr := range r.Tracks() {
			m[tr.Kind] = true
		}
		return m
	}
	require.Eventually(t, func() bool { return len(kinds(rec)) == 2 && len(kinds(in.rec)) == 2 },
		waitTimeout, 10*time.Millisecond, "OnRemoteTrack for audio and video on both sides")
	assert.Greater(t, in.call.Stats().Video.PacketsReceived, uint64(0))
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	assert.True(t, in.call.Details().HadVideo)
}

func TestDTMFDigitsArriveInOrder(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	keys := make(chan byte, 32)
	incoming := onIncoming(bob, nil)
	out, rec := dial(t, alice, "bob", nil)
	in := next(t, incoming)
	require.ErrorIs(t, out.SendDTMF("1"), sinch.ErrInvalidOperation, "not established yet")
	in.call.AddListener(&call.ListenerFuncs{OnCallDTMFFunc: func(_ *call.Call, k byte) { keys <- k }})
	require.NoError(t, in.call.Answer())
	rec.waitEstablished(t)

	require.ErrorIs(t, out.SendDTMF("12x"), sinch.ErrInvalidArgument)
	require.ErrorIs(t, out.SendDTMF(""), sinch.ErrInvalidArgument)
	const sent = "123#*0ABCD9"
	require.NoError(t, out.SendDTMF(sent[:4]))
	require.NoError(t, out.SendDTMF(sent[4:]))
	var got []byte
	for len(got) < len(sent) {
		select {
		case k := <-keys:
			got = append(got, k)
		case <-time.After(waitTimeout):
			t.Fatalf("bob got %q of %q", got, sent)
		}
	}
	assert.Equal(t, sent, string(got), "the bad strings sent nothing")
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	require.ErrorIs(t, out.SendDTMF("1"), sinch.ErrInvalidOperation, "ended")
}

func TestStatsCountMediaAndOutliveTheCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	bobHears := audio.NewToneDetector(500 * time.Millisecond)
	out, in := established(t, alice, bob, func(c *call.Call) {
		c.SetAudioSource(audio.Tone(500, 0.25))
		c.SetAudioSink(bobHears)
	}, func(c *call.Call) { c.SetAudioSource(audio.Tone(700, 0.5)) })
	require.NoError(t, bobHears.Wait(ctx(t), time.Second))

	st := out.Stats()
	assert.Greater(t, st.Audio.PacketsSent, uint64(25))
	assert.Greater(t, st.Audio.PacketsReceived, uint64(25))
	// Opus at 32 kbit/s: 80 bytes per 20 ms on average, less for a tone.
	assert.Greater(t, st.Audio.BytesSent, 25*uint64(20))
	assert.InDelta(t, 60, float64(st.Audio.BytesReceived)/float64(st.Audio.PacketsReceived), 45, "Opus payloads of 20 ms")
	assert.Positive(t, st.Audio.TargetDelay, "the jitter buffer's target")
	assert.LessOrEqual(t, st.Audio.TargetDelay, 200*time.Millisecond)
	assert.Less(t, st.Audio.ConcealedFrames, uint64(10), "a loopback call loses nothing")
	t.Logf("jitter buffer target delay on loopback after 1 s: %v", st.Audio.TargetDelay)
	assert.Zero(t, st.Audio.PacketsLost)
	assert.Positive(t, st.ICERoundTripTime, "the STUN checks were answered")
	assert.InDelta(t, 0.5/math.Sqrt2, st.Audio.OutboundAudioLevel, 0.02, "RMS of a 0.5 tone")
	assert.InDelta(t, 0.25/math.Sqrt2, st.Audio.InboundAudioLevel, 0.02)
	assert.Zero(t, st.Video)

	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	final := out.Stats()
	assert.GreaterOrEqual(t, final.Audio.PacketsSent, st.Audio.PacketsSent)
	assert.Equal(t, final, out.Stats(), "an ended call keeps its last stats")
}

// TestPCMUOnlyClientNegotiatesPCMU: a callee built with PCMUOnly answers
// an Opus-first offer with PCMU, and a PCMUOnly caller offers PCMU only:
// both directions carry their tone either way.
func TestPCMUOnlyClientNegotiatesPCMU(t *testing.T) {
	for _, who := range []string{"callee", "caller"} {
		t.Run(who, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			pcmu := func(b *sinch.SinchClientBuilder) { b.PCMUOnly() }
			var alice, bob *sinch.SinchClient
			if who == "caller" {
				alice, bob = startClient(t, srv, "alice", pcmu), startClient(t, srv, "bob")
			} else {
				alice, bob = startClient(t, srv, "alice"), startClient(t, srv, "bob", pcmu)
			}
			bobHears, aliceHears := audio.NewToneDetector(500*time.Millisecond), audio.NewToneDetector(500*time.Millisecond)
			out, in := established(t, alice, bob, func(c *call.Call) {
				c.SetAudioSource(audio.Tone(700, 0.5))
				c.SetAudioSink(bobHears)
			}, func(c *call.Call) {
				c.SetAudioSource(audio.Tone(500, 0.5))
				c.SetAudioSink(aliceHears)
			})
			hearsTone(t, bobHears, 500)
			hearsTone(t, aliceHears, 700)
			require.Eventually(t, func() bool { return len(in.rec.Tracks()) > 0 }, waitTimeout, 10*time.Millisecond)
			assert.Equal(t, "audio/PCMU", in.rec.Tracks()[0].Codec)
			st := out.Stats()
			assert.Equal(t, 160*st.Audio.PacketsReceived, st.Audio.BytesReceived, "PCMU payloads of 20 ms")
			require.NoError(t, out.Hangup())
			in.rec.waitEnded(t)
		})
	}
}

// TestWidebandToneOverOpusNotPCMU: a 6 kHz tone from a 16 kHz source is
// heard by a 16 kHz sink over an Opus call, and not over a PCMU call (8 kHz
// sampling cannot carry it), while a 1 kHz tone comes through both.
// wideWAV records d of src at rate into a WAV file and opens it as a source.
func wideWAV(t *testing.T, src audio.Source, rate int, d time.Duration) audio.Source {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wide.wav")
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := audio.NewWAVWriterAt(f, audio.Format{SampleRate: rate, Channels: 1})
	require.NoError(t, err)
	frame := make([]int16, rate/50)
	for range int(d / (20 * time.Millisecond)) {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, w.WriteFrame(frame))
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	wav, err := audio.OpenWAV(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = wav.Close() })
	require.Equal(t, rate, audio.FormatOf(wav).SampleRate, "the WAV source keeps the file's rate")
	return wav
}

func TestWidebandToneOverOpusNotPCMU(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pcmu  bool
		freq  float64
		heard bool
		wav   bool // the tone comes from a 16 kHz WAV file
		cheap bool // the caller's Opus encoder runs at complexity 1
	}{
		{"opus 6 kHz", false, 6000, true, false, false},
		{"pcmu 6 kHz", true, 6000, false, false, false},
		{"pcmu 1 kHz", true, 1000, true, false, false},
		{"opus 6 kHz from a 16 kHz WAV", false, 6000, true, true, false},
		{"pcmu 6 kHz from a 16 kHz WAV", true, 6000, false, true, false},
		{"opus 6 kHz at complexity 1", false, 6000, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			var opts []func(*sinch.SinchClientBuilder)
			if tc.pcmu {
				opts = append(opts, func(b *sinch.SinchClientBuilder) { b.PCMUOnly() })
			}
			if tc.cheap {
				opts = append(opts, func(b *sinch.SinchClientBuilder) { b.OpusComplexity(1) })
			}
			alice, bob := startClient(t, srv, "alice", opts...), startClient(t, srv, "bob")
			bobHears, err := audio.NewToneDetectorAt(500*time.Millisecond, 16000)
			require.NoError(t, err)
			tone, err := audio.ToneAt(tc.freq, 0.5, 16000)
			require.NoError(t, err)
			if tc.wav {
				tone = wideWAV(t, tone, 16000, 10*time.Second)
			}
			out, in := established(t, alice, bob, func(c *call.Call) { c.SetAudioSink(bobHears) },
				func(c *call.Call) { c.SetAudioSource(tone) })
			require.NoError(t, bobHears.Wait(ctx(t), 300*time.Millisecond))
			bobHears.Reset()
			require.NoError(t, bobHears.Wait(ctx(t), 500*time.Millisecond))
			full := 0.5 * 32767 * 0.5 * 32767 / 4 // Goertzel power of the sent tone
			p := bobHears.Power(tc.freq)
			if tc.heard {
				assert.Greater(t, p, full/4, "the tone is heard within 6 dB (rms %.0f)", bobHears.RMS())
				freq, _ := bobHears.Dominant(1000, 3000, 6000, 7000)
				assert.Equal(t, tc.freq, freq)
			} else {
				assert.Less(t, p, full/1e4, "no trace of the tone above -40 dB (rms %.0f)", bobHears.RMS())
			}
			require.NoError(t, out.Hangup())
			in.rec.waitEnded(t)
		})
	}
}

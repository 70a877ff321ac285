package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
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

// Tones of the two sides, both well inside PCMU's band.
const (
	goTone      = 440.0
	browserTone = 660.0
)

// The users of the tests.
const (
	goUser      = "gopher"
	browserUser = "chromium"
)

// clip is the video the Go side sends; its size is what the browser
// must show.
const (
	clipPath   = "../../video/testdata/clip.ivf"
	clipWidth  = 320
	clipHeight = 240
)

// The size of the page's canvas camera (index.html): not the clip's, so
// that each side's check tells the two videos apart.
const cameraWidth, cameraHeight = 256, 192

// goParty is a Go client of the tests: it sends goTone, hears into a
// tone detector, and in video calls sends the clip and counts the frames
// it receives.
type goParty struct {
	client *sinch.SinchClient
	hears  *audio.ToneDetector
	frames *frameCounter
}

func startGo(t *testing.T, srv *ocratest.Server, opts ...func(*sinch.SinchClientBuilder)) *goParty {
	t.Helper()
	b := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(goUser).
		LoopbackOnly()
	for _, o := range opts {
		o(b)
	}
	c, err := b.Build()
	require.NoError(t, err)
	t.Cleanup(c.Terminate)
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(goUser)) },
	})
	require.NoError(t, c.Start())
	ctx, cancel := contextFor()
	defer cancel()
	require.NoError(t, c.WaitStarted(ctx))

	clip, err := os.ReadFile(clipPath)
	require.NoError(t, err)
	p := &goParty{client: c, hears: audio.NewToneDetector(time.Second), frames: newFrameCounter()}
	require.NoError(t, c.VideoController().SetSourceFactory(func(string) video.Source {
		src, err := video.NewLoopingIVFSource(bytes.NewReader(clip))
		if err != nil {
			t.Errorf("the clip does not load: %v", err)
			return nil
		}
		return src
	}))
	require.NoError(t, c.VideoController().SetSinkFactory(func(string) video.Sink { return p.frames }))
	return p
}

// attach gives c the Go side's tone and ears and returns its event recorder.
func (p *goParty) attach(c *call.Call) *events {
	c.SetAudioSource(audio.Tone(goTone, 0.5))
	c.SetAudioSink(p.hears)
	e := &events{established: make(chan struct{}), ended: make(chan struct{})}
	c.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) { close(e.established) },
		OnCallEndedFunc:       func(*call.Call) { close(e.ended) },
	})
	return e
}

// checkHears fails the test unless the Go side hears browserTone, well
// above goTone (which an echo would bring).
func (p *goParty) checkHears(t *testing.T) {
	t.Helper()
	ctx, cancel := contextFor()
	defer cancel()
	require.NoError(t, p.hears.Wait(ctx, time.Second), "the Go side received no audio")
	p.hears.Reset() // the window may still hold the call's first, silent, packets
	require.NoError(t, p.hears.Wait(ctx, time.Second), "the Go side received no audio")
	freq, ratio := p.hears.Dominant(browserTone, goTone)
	assert.Equal(t, browserTone, freq, "the Go side hears the wrong tone")
	assert.Greater(t, ratio, 10.0, "the browser's tone is not clear at the Go side")
	t.Logf("Go hears %.0f Hz, %.0f dB above %.0f Hz", freq, 10*math.Log10(ratio), goTone)
}

// events are the Go call's events the tests wait for.
type events struct {
	established, ended chan struct{}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// frameCounter is the Go side's video sink: it counts the frames, keeps the
// size of the last key frame, and closes ready once it has wantFrames
// frames and a key frame.
type frameCounter struct {
	ready     chan struct{}
	readyOnce sync.Once

	mu            sync.Mutex
	frames        int
	width, height int
}

// wantFrames is how many frames the Go side must receive in a video call.
const wantFrames = 10

func newFrameCounter() *frameCounter {
	return &frameCounter{ready: make(chan struct{})}
}

func (f *frameCounter) WriteFrame(fr video.Frame) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frames++
	if w, h, err := video.ParseVP8Keyframe(fr.Data); err == nil {
		f.width, f.height = w, h
	}
	if f.frames >= wantFrames && f.width > 0 {
		f.readyOnce.Do(func() { close(f.ready) })
	}
	return nil
}

func (f *frameCounter) snapshot() (frames, width, height int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frames, f.width, f.height
}

// setup starts a server, a Go client and a registered browser page, which
// answers its calls at once with autoAnswer.
func setup(t *testing.T, autoAnswer bool, opts ...func(*sinch.SinchClientBuilder)) (*goParty, *page) {
	return setupTone(t, autoAnswer, browserTone, opts...)
}

// setupTone is setup with the browser sending a tone of toneHz.
func setupTone(t *testing.T, autoAnswer bool, toneHz float64, opts ...func(*sinch.SinchClientBuilder)) (*goParty, *page) {
	srv := ocratest.NewServer() // PubNub, as Sinch: the page speaks it through the PubNub JS SDK
	t.Cleanup(srv.Close)
	p := openPage(t, srv)
	g := startGo(t, srv, opts...)
	p.start(srv, browserUser, toneHz, autoAnswer)
	return g, p
}

// widebandTone cannot pass 8 kHz sampling (PCMU) and passes Opus.
const widebandTone = 6000.0

// TestWidebandToneGoAndBrowser: a 6 kHz tone crosses an Opus call between
// Go and Chromium both ways, and a PCMU call in neither direction.
func TestWidebandToneGoAndBrowser(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec string
		opts  []func(*sinch.SinchClientBuilder)
	}{
		{"opus", "audio/opus", nil},
		{"pcmu", "audio/PCMU", []func(*sinch.SinchClientBuilder){func(b *sinch.SinchClientBuilder) { b.PCMUOnly() }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, p := setupTone(t, true, widebandTone, tc.opts...)
			src, err := audio.ToneAt(widebandTone, 0.5, 48000)
			require.NoError(t, err)
			hears, err := audio.NewToneDetectorAt(time.Second, 48000)
			require.NoError(t, err)
			c, err := g.client.CallController().CallUser(browserUser, nil)
			require.NoError(t, err)
			ev := g.attach(c)
			c.SetAudioSource(src)
			c.SetAudioSink(hears)
			wait(t, ev.established, "the Go side's call to be established")
			id := c.ID()
			p.waitState(id, "established")

			ctx, cancel := contextFor()
			defer cancel()
			require.NoError(t, hears.Wait(ctx, time.Second), "the Go side received no audio")
			hears.Reset() // the window may still hold the call's first packets
			require.NoError(t, hears.Wait(ctx, time.Second), "the Go side received no audio")
			if tc.codec == "audio/opus" {
				p.waitTone(id, widebandTone)
				freq, ratio := hears.Dominant(widebandTone, 1000, 2000, 3000)
				assert.Equal(t, widebandTone, freq, "the Go side does not hear the browser's 6 kHz tone")
				assert.Greater(t, ratio, 100.0)
				assert.Greater(t, hears.RMS(), 3000.0, "the 6 kHz tone arrives too weak")
			} else {
				// A 6 kHz tone cannot survive 8 kHz sampling: neither side
				// hears it (at most an alias below 4 kHz of what an
				// encoder's resampler let through).
				freq, _ := hears.Dominant(widebandTone, 1000, 2000, 3000)
				assert.NotEqual(t, widebandTone, freq, "the Go side heard 6 kHz over a PCMU call")
				time.Sleep(time.Second) // the page measures every 100 ms
				st := p.call(id)
				assert.False(t, math.Abs(st.RxToneHz-widebandTone) <= 15 && st.RxToneDb > -70,
					"the browser heard %.0f Hz at %.0f dB over a PCMU call", st.RxToneHz, st.RxToneDb)
			}
			st := p.call(id)
			assert.Equal(t, tc.codec, st.RxAudioCodec)
			freq, ratio := hears.Dominant(widebandTone, 1000, 2000, 3000)
			t.Logf("%s: Go hears %.0f Hz (%.0f dB over the others), RMS %.0f; the browser hears %.0f Hz at %.0f dB",
				tc.name, freq, 10*math.Log10(ratio), hears.RMS(), st.RxToneHz, st.RxToneDb)
			require.NoError(t, c.Hangup())
			wait(t, ev.ended, "the Go side's call to end")
			p.noPageErrors()
		})
	}
}

// TestBrowserCallsGo: the browser calls, Go answers; both hear the other's
// tone; Go hangs up and both see HungUp.
func TestBrowserCallsGo(t *testing.T) {
	g, p := setup(t, false)
	incoming := make(chan *events, 1)
	var inbound *call.Call
	g.client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			inbound = c
			incoming <- g.attach(c)
			assert.NoError(t, c.Answer())
		},
	})
	id := eval[string](p, fmt.Sprintf(`sinchPage.call(%s)`, js(goUser)))
	var ev *events
	select {
	case ev = <-incoming:
	case <-time.After(waitTimeout):
		t.Fatal("the Go side got no incoming call")
	}
	wait(t, ev.established, "the Go side's call to be established")
	p.waitState(id, "established")
	t.Logf("call setup Chromium -> Go: %v ms (browser: call() to established)", p.call(id).SetupMs)

	p.waitTone(id, goTone)
	g.checkHears(t)
	st := p.call(id)
	// The page offers PCMU first (client.js, preferPCMU): the SDK still
	// answers with Opus.
	assert.Equal(t, "audio/opus", st.RxAudioCodec, "the browser should receive Opus")
	t.Logf("browser hears %.0f Hz at %.0f dB over %d packets of %s", st.RxToneHz, st.RxToneDb, st.RxAudioPackets, st.RxAudioCodec)

	require.NoError(t, inbound.Hangup())
	wait(t, ev.ended, "the Go side's call to end")
	p.waitState(id, "ended")
	assert.Equal(t, call.HungUp, inbound.Details().EndCause)
	assert.Equal(t, "HungUp", p.call(id).EndCause)
	p.noPageErrors()
}

// TestGoCallsBrowser: Go calls, the browser answers at once; both hear the other's
// tone; the browser hangs up and both see HungUp.
func TestGoCallsBrowser(t *testing.T) { goCallsBrowser(t, "audio/opus") }

// TestGoCallsBrowserOverPCMU is TestGoCallsBrowser from a Go client built
// with PCMUOnly: the call is PCMU.
func TestGoCallsBrowserOverPCMU(t *testing.T) {
	goCallsBrowser(t, "audio/PCMU", func(b *sinch.SinchClientBuilder) { b.PCMUOnly() })
}

func goCallsBrowser(t *testing.T, codec string, opts ...func(*sinch.SinchClientBuilder)) {
	g, p := setup(t, true, opts...)
	c, err := g.client.CallController().CallUser(browserUser, nil)
	require.NoError(t, err)
	ev := g.attach(c)
	wait(t, ev.established, "the Go side's call to be established")
	id := c.ID()
	p.waitState(id, "established")
	d := c.Details()
	t.Logf("call setup Go -> Chromium: %v (Go: started to established; the page answers when it rings)",
		d.EstablishedTime.Sub(d.StartedTime).Round(time.Millisecond))

	p.waitTone(id, goTone)
	g.checkHears(t)
	assert.Equal(t, codec, p.call(id).RxAudioCodec)

	p.do(fmt.Sprintf(`sinchPage.hangup(%s)`, js(id)))
	wait(t, ev.ended, "the Go side's call to end")
	assert.Equal(t, call.HungUp, c.Details().EndCause)
	assert.Equal(t, "ended", p.call(id).State)
	assert.Equal(t, "HungUp", p.call(id).EndCause)
	p.noPageErrors()
}

// TestBrowserVideoCall: a video call each way. The browser shows the Go
// side's VP8 clip; the Go side receives the browser's canvas camera.
func TestBrowserVideoCall(t *testing.T) {
	t.Run("Go calls", func(t *testing.T) {
		g, p := setup(t, false)
		c, err := g.client.CallController().CallUserVideo(browserUser, nil)
		require.NoError(t, err)
		ev := g.attach(c)
		id := p.waitIncoming()
		p.do(fmt.Sprintf(`sinchPage.answer(%s)`, js(id)))
		wait(t, ev.established, "the Go side's call to be established")
		checkVideo(t, g, p, id)
		require.NoError(t, c.Hangup())
		p.waitState(id, "ended")
		assert.Equal(t, "HungUp", p.call(id).EndCause)
		p.noPageErrors()
	})
	t.Run("browser calls", func(t *testing.T) {
		g, p := setup(t, false)
		incoming := make(chan *call.Call, 1)
		var ev *events
		g.client.CallController().AddListener(&call.ControllerListenerFuncs{
			OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
				ev = g.attach(c)
				incoming <- c
				assert.NoError(t, c.Answer())
			},
		})
		id := eval[string](p, fmt.Sprintf(`sinchPage.call(%s, {video: true})`, js(goUser)))
		var c *call.Call
		select {
		case c = <-incoming:
		case <-time.After(waitTimeout):
			t.Fatal("the Go side got no incoming call")
		}
		assert.True(t, c.Details().RequestedVideo)
		p.waitState(id, "established")
		checkVideo(t, g, p, id)
		p.do(fmt.Sprintf(`sinchPage.hangup(%s)`, js(id)))
		wait(t, ev.ended, "the Go side's call to end")
		assert.Equal(t, call.HungUp, c.Details().EndCause)
		p.noPageErrors()
	})
}

// checkVideo waits until each side shows the other's video at its size.
func checkVideo(t *testing.T, g *goParty, p *page, id string) {
	t.Helper()
	p.waitFor(fmt.Sprintf(`%s.videoWidth > 0`, callExpr(id)), "the Go side's video in the browser")
	st := p.call(id)
	assert.Equal(t, clipWidth, st.VideoWidth)
	assert.Equal(t, clipHeight, st.VideoHeight)
	select {
	case <-g.frames.ready:
	case <-time.After(waitTimeout):
		frames, w, _ := g.frames.snapshot()
		t.Fatalf("the Go side received %d video frames (key frame width %d), want %d and a key frame", frames, w, wantFrames)
	}
	frames, w, h := g.frames.snapshot()
	assert.Equal(t, cameraWidth, w)
	assert.Equal(t, cameraHeight, h)
	t.Logf("browser shows %dx%d after %d frames; Go received %d frames, key frames %dx%d",
		st.VideoWidth, st.VideoHeight, st.RxVideoFrames, frames, w, h)
}

func contextFor() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), waitTimeout)
}

// TestBrowserEndsUnansweredCalls: hanging up before the answer declines
// (callee) or cancels (caller), on both sides.
func TestBrowserEndsUnansweredCalls(t *testing.T) {
	t.Run("browser declines", func(t *testing.T) {
		g, p := setup(t, false)
		c, err := g.client.CallController().CallUser(browserUser, nil)
		require.NoError(t, err)
		ev := g.attach(c)
		id := p.waitIncoming()
		p.do(fmt.Sprintf(`sinchPage.hangup(%s)`, js(id)))
		wait(t, ev.ended, "the Go side's call to end")
		assert.Equal(t, call.Denied, c.Details().EndCause)
		assert.Equal(t, "Denied", p.call(id).EndCause)
		p.noPageErrors()
	})
	t.Run("browser cancels", func(t *testing.T) {
		g, p := setup(t, false)
		incoming := make(chan *call.Call, 1)
		var ev *events
		g.client.CallController().AddListener(&call.ControllerListenerFuncs{
			OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
				ev = g.attach(c)
				incoming <- c
			},
		})
		id := eval[string](p, fmt.Sprintf(`sinchPage.call(%s)`, js(goUser)))
		var c *call.Call
		select {
		case c = <-incoming:
		case <-time.After(waitTimeout):
			t.Fatal("the Go side got no incoming call")
		}
		p.waitState(id, "ringing")
		p.do(fmt.Sprintf(`sinchPage.hangup(%s)`, js(id)))
		wait(t, ev.ended, "the Go side's call to end")
		assert.Equal(t, call.Canceled, c.Details().EndCause)
		assert.Equal(t, "Canceled", p.call(id).EndCause)
		p.noPageErrors()
	})
}

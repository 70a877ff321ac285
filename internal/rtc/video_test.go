package rtc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/video"
)

// The clip of package video: 45 frames of 320×240 VP8 at 15 fps.
const (
	clipPath   = "../../video/testdata/clip.ivf"
	clipWidth  = 320
	clipHeight = 240
)

// watchPLI reads the sender's RTCP until it fails and closes the returned
// channel at the first Picture Loss Indication for ssrc. done is closed when
// it stops reading.
func watchPLI(sender *webrtc.RTPSender, ssrc webrtc.SSRC) (pli, done <-chan struct{}) {
	pliCh, doneCh := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(doneCh)
		var once sync.Once
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if p, ok := p.(*rtcp.PictureLossIndication); ok && p.MediaSSRC == uint32(ssrc) {
					once.Do(func() { close(pliCh) })
				}
			}
		}
	}()
	return pliCh, doneCh
}

// frameLog records received frames and lets a test wait for a count.
type frameLog struct {
	mu      sync.Mutex
	frames  []video.Frame
	changed chan struct{} // closed and replaced at each frame
}

func newFrameLog() *frameLog { return &frameLog{changed: make(chan struct{})} }

func (l *frameLog) add(f video.Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frames = append(l.frames, f)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *frameLog) snapshot() []video.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]video.Frame(nil), l.frames...)
}

// waitFor waits until at least n frames have arrived and returns them.
func (l *frameLog) waitFor(ctx context.Context, n int) ([]video.Frame, error) {
	for {
		l.mu.Lock()
		frames, changed := append([]video.Frame(nil), l.frames...), l.changed
		l.mu.Unlock()
		if len(frames) >= n {
			return frames, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return frames, fmt.Errorf("%d frames arrived, want %d: %w", len(frames), n, ctx.Err())
		}
	}
}

// clipFrames returns the frames of the test clip.
func clipFrames(t *testing.T) []video.Frame {
	t.Helper()
	src, err := video.NewIVFFileSource(clipPath)
	require.NoError(t, err)
	var frames []video.Frame
	for range 45 {
		f, err := src.ReadFrame()
		require.NoError(t, err)
		frames = append(frames, f)
	}
	return frames
}

// clipIndexes returns the position in clip of each frame.
func clipIndexes(t *testing.T, clip, frames []video.Frame) []int {
	t.Helper()
	idx := make([]int, len(frames))
	for i, f := range frames {
		idx[i] = -1
		for j, c := range clip {
			if bytes.Equal(f.Data, c.Data) {
				idx[i] = j
				break
			}
		}
		require.NotEqual(t, -1, idx[i], "frame %d is not a frame of the clip", i)
	}
	return idx
}

// assertConsecutive checks that idx follow each other in the looping clip.
func assertConsecutive(t *testing.T, idx []int, clipLen int) {
	t.Helper()
	for i := 1; i < len(idx); i++ {
		assert.Equal(t, (idx[i-1]+1)%clipLen, idx[i], "frame %d follows clip frame %d", i, idx[i-1])
	}
}

func TestLoopbackCallCarriesVP8Clip(t *testing.T) {
	clip := clipFrames(t)
	track, err := NewVP8Track("video", "sinch")
	require.NoError(t, err)
	offerer, answerer, rtpSender, remote := newLoopbackPair(t, track)
	assert.Contains(t, offerer.LocalDescription().SDP, "a=rtpmap:96 VP8/90000")

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	src, err := video.NewIVFFileSource(clipPath)
	require.NoError(t, err)
	sender := NewVideoSender(track, src.ReadFrame)
	sendDone := make(chan error, 1)
	go func() { sendDone <- sender.Run(ctx) }()
	pli, rtcpDone := watchPLI(rtpSender, rtpSender.GetParameters().Encodings[0].SSRC)

	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-ctx.Done():
		t.Fatal("no remote track")
	}
	assert.Equal(t, webrtc.MimeTypeVP8, tr.Codec().MimeType)

	log := newFrameLog()
	receiver := NewVideoReceiver(tr, log.add, answerer.WriteRTCP)
	recvDone := make(chan error, 1)
	go func() { recvDone <- receiver.Run(ctx) }()

	select {
	case <-pli:
	case <-ctx.Done():
		t.Fatal("the receiver sent no keyframe request")
	}

	frames, err := log.waitFor(ctx, 20)
	require.NoError(t, err)
	require.True(t, frames[0].Keyframe, "the first frame is a keyframe")
	w, h, err := video.ParseVP8Keyframe(frames[0].Data)
	require.NoError(t, err)
	assert.Equal(t, [2]int{clipWidth, clipHeight}, [2]int{w, h})
	assertConsecutive(t, clipIndexes(t, clip, frames), len(clip))
	for i, f := range frames[:len(frames)-1] {
		assert.Equal(t, video.IsKeyframe(f.Data), f.Keyframe, "frame %d", i)
		assert.InDelta(t, time.Second/15, f.Duration, float64(time.Millisecond), "frame %d", i)
	}

	// Paused, nothing is sent. The receiver holds the last frame written
	// before the pause until the next packet shows that it is complete.
	sender.Pause()
	select {
	case <-time.After(200 * time.Millisecond): // packets in flight arrive
	case <-ctx.Done():
	}
	before := len(log.snapshot())
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
	}
	require.Len(t, log.snapshot(), before, "frames arrived while paused")

	// Resumed, sending restarts with a keyframe: after the held frame, which
	// follows the frames before it in the clip, comes a keyframe; the frames
	// read while paused (more than 10) were never sent.
	sender.Resume()
	frames, err = log.waitFor(ctx, before+5)
	require.NoError(t, err)
	idx := clipIndexes(t, clip, frames)
	restart := before
	if idx[before] == (idx[before-1]+1)%len(clip) {
		restart++
	}
	assert.True(t, frames[restart].Keyframe, "the first frame sent after Resume is a keyframe")
	assert.NotEqual(t, (idx[restart-1]+1)%len(clip), idx[restart], "frames read while paused were sent")
	assertConsecutive(t, idx[restart:], len(clip))

	// Close stops both ends; a pending read is unblocked.
	sender.Pause()
	receiver.Close()
	require.NoError(t, <-recvDone)
	assert.ErrorIs(t, receiver.Run(ctx), errClosed)
	sender.Close()
	require.NoError(t, <-sendDone)
	require.NoError(t, offerer.Close())
	<-rtcpDone
}

func TestVideoReceiverStopsWhenTrackEnds(t *testing.T) {
	track, err := NewVP8Track("video", "sinch")
	require.NoError(t, err)
	_, answerer, _, remote := newLoopbackPair(t, track)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	src, err := video.NewIVFFileSource(clipPath)
	require.NoError(t, err)
	sender := NewVideoSender(track, src.ReadFrame)
	go func() { _ = sender.Run(ctx) }()
	defer sender.Close()

	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-ctx.Done():
		t.Fatal("no remote track")
	}
	log := newFrameLog()
	receiver := NewVideoReceiver(tr, log.add, answerer.WriteRTCP)
	done := make(chan error, 1)
	go func() { done <- receiver.Run(ctx) }()
	_, err = log.waitFor(ctx, 1)
	require.NoError(t, err)

	require.NoError(t, answerer.Close())
	require.NoError(t, <-done)
	receiver.Close()
}

func TestVideoSenderRunEnds(t *testing.T) {
	track, err := NewVP8Track("video", "sinch")
	require.NoError(t, err)
	frame := video.Frame{Data: []byte{0}, Duration: time.Millisecond, Keyframe: true}
	broken := errors.New("camera unplugged")
	tests := []struct {
		name string
		last func() (video.Frame, error)
		want error  // wrapped by Run's error, when not nil
		msg  string // in Run's error; empty: Run returns nil
	}{
		{"source ends", func() (video.Frame, error) { return video.Frame{}, io.EOF }, nil, ""},
		{"source fails", func() (video.Frame, error) { return video.Frame{}, broken }, broken, "reading video"},
		{"no duration", func() (video.Frame, error) { return video.Frame{Data: []byte{0}}, nil }, nil, "duration 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			sender := NewVideoSender(track, func() (video.Frame, error) {
				if n++; n <= 3 {
					return frame, nil
				}
				return tt.last()
			})
			err := sender.Run(context.Background())
			sender.Close()
			assert.Equal(t, 4, n, "frames read")
			if tt.msg == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.msg)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestVideoSenderStopsOnCloseAndContext(t *testing.T) {
	track, err := NewVP8Track("video", "sinch")
	require.NoError(t, err)
	read := make(chan struct{}, 1)
	next := func() (video.Frame, error) {
		select {
		case read <- struct{}{}:
		default:
		}
		return video.Frame{Data: []byte{0}, Duration: time.Hour, Keyframe: true}, nil
	}

	sender := NewVideoSender(track, next)
	done := make(chan error, 1)
	go func() { done <- sender.Run(context.Background()) }()
	<-read // Run now waits an hour for the next frame
	sender.Close()
	require.NoError(t, <-done)
	assert.ErrorIs(t, sender.Run(context.Background()), errClosed)

	ctx, cancel := context.WithCancel(context.Background())
	sender = NewVideoSender(track, next)
	go func() { done <- sender.Run(ctx) }()
	<-read
	cancel()
	require.NoError(t, <-done)
	sender.Close()
}

func TestVideoClockStaysOnSchedule(t *testing.T) {
	start := time.Unix(1000, 0)
	c := videoClock{due: start}
	// Each frame is sent 3 ms late: the waits shrink so that frames stay on
	// schedule instead of drifting by 3 ms per frame.
	now, want := start, start
	d := 40 * time.Millisecond
	for i := 1; i <= 100; i++ {
		now = now.Add(3 * time.Millisecond)
		wait := c.advance(d, now)
		assert.Equal(t, d-3*time.Millisecond, wait, "frame %d", i)
		now, want = now.Add(wait), want.Add(d)
		assert.Equal(t, want, now, "frame %d", i)
		d = 110*time.Millisecond - d // durations vary: 40 ms, 70 ms, 40 ms...
	}

	// Behind by less than the lag limit: the next frame is due at once.
	now = now.Add(150 * time.Millisecond)
	assert.Equal(t, -110*time.Millisecond, c.advance(d, now))

	// Stalled beyond it: the schedule restarts from now.
	now = now.Add(time.Second)
	assert.Equal(t, time.Duration(0), c.advance(d, now))
	assert.Equal(t, 100*time.Millisecond, c.advance(100*time.Millisecond, now))
}

func TestKeyframeGate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	g := keyframeGate{lastPLI: t0} // a request went out at t0
	steps := []struct {
		ms           int
		keyframe     bool
		lost         bool
		deliver, pli bool
		why          string
	}{
		{100, false, false, false, false, "no keyframe yet, asked recently"},
		{1000, false, false, false, true, "no keyframe for a second: ask again"},
		{1100, true, false, true, false, "keyframe: deliver from here"},
		{1200, false, false, true, false, "interframe after a keyframe"},
		{1500, false, true, true, false, "loss, but asked less than a second ago"},
		{2100, false, false, true, true, "still broken a second after the last request"},
		{2500, false, false, true, false, "still broken, asked recently"},
		{2600, true, false, true, false, "keyframe repairs the stream"},
		{9000, false, false, true, false, "healthy: no requests"},
		{9100, false, true, true, true, "loss: ask at once"},
	}
	for _, s := range steps {
		deliver, pli := g.frame(s.keyframe, s.lost, at(s.ms))
		assert.Equal(t, [2]bool{s.deliver, s.pli}, [2]bool{deliver, pli}, "at %d ms: %s", s.ms, s.why)
	}
}

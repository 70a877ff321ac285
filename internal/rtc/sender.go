package rtc

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

const (
	// frameDuration is the packetisation time of the SDK's audio.
	frameDuration = 20 * time.Millisecond
	// samplesPerFrame is one frame of 8 kHz audio.
	samplesPerFrame = 8000 * int(frameDuration/time.Millisecond) / 1000
	// maxLag is how late the sender may fall before it stops catching up
	// with a burst of frames and restarts its clock instead.
	maxLag = 100 * time.Millisecond
)

// AudioSender paces PCMU audio into a local track: every 20 ms it asks for a
// frame of 160 samples at 8 kHz, encodes it and writes it as one sample.
type AudioSender struct {
	track *webrtc.TrackLocalStaticSample
	next  func(frame []int16)
	life  lifecycle
}

// NewAudioSender returns a sender writing to track, which should carry
// PCMU (see [NewPCMUTrack]). next must fill all of frame (160 samples) with
// the next 20 ms of audio; it is called on the goroutine running Run and the
// slice is reused after it returns.
func NewAudioSender(track *webrtc.TrackLocalStaticSample, next func(frame []int16)) *AudioSender {
	return &AudioSender{track: track, next: next, life: newLifecycle()}
}

// Run sends audio until ctx is done or Close is called, and then returns nil.
// It returns an error when the track refuses a sample (its peer connection
// is closed) or when it is called twice or after Close.
//
// Frames are timed from the moment Run starts, so timer latency does not
// accumulate: a late frame is followed by earlier ones until the schedule is
// met again, unless the sender fell more than 100 ms behind, in which case
// it restarts its schedule from now.
func (s *AudioSender) Run(ctx context.Context) error {
	if err := s.life.begin(); err != nil {
		return err
	}
	defer s.life.end()

	frame := make([]int16, samplesPerFrame)
	payload := make([]byte, 0, samplesPerFrame)
	clock := frameClock{start: time.Now()}
	timer := time.NewTimer(clock.next(time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.life.stop:
			return nil
		case <-timer.C:
		}
		s.next(frame)
		payload = EncodePCMU(payload[:0], frame)
		if err := s.track.WriteSample(media.Sample{Data: payload, Duration: frameDuration}); err != nil {
			return fmt.Errorf("rtc: writing audio sample: %w", err)
		}
		timer.Reset(clock.next(time.Now()))
	}
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run.
func (s *AudioSender) Close() {
	s.life.close(nil)
}

// frameClock schedules frames on a fixed 20 ms grid from start.
type frameClock struct {
	start time.Time
	n     int64 // frames scheduled so far
}

// next schedules the next frame and returns how long to wait, from now, to
// send it (zero or negative when it is already due).
func (c *frameClock) next(now time.Time) time.Duration {
	due := c.start.Add(time.Duration(c.n) * frameDuration)
	if now.Sub(due) > maxLag {
		c.start, c.n, due = now, 0, now
	}
	c.n++
	return due.Sub(now)
}

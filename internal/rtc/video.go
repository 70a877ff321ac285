package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/sinch-rtc-go/sinch/video"
)

const (
	// videoMaxLag is how late the video sender may fall before it stops
	// catching up with a burst of frames and restarts its schedule instead.
	videoMaxLag = 200 * time.Millisecond
	// videoMaxLatePackets and videoMaxDelay bound how long the receiver
	// waits for a missing packet before it gives up the frame.
	videoMaxLatePackets = 512
	videoMaxDelay       = 500 * time.Millisecond
	// pliInterval is the least time between two keyframe requests.
	pliInterval = time.Second
)

// VP8Codec is the capability of the SDK's video tracks.
func VP8Codec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
}

// NewVP8Track returns a local video track for a [VideoSender].
func NewVP8Track(id, streamID string) (*webrtc.TrackLocalStaticSample, error) {
	t, err := webrtc.NewTrackLocalStaticSample(VP8Codec(), id, streamID)
	if err != nil {
		return nil, fmt.Errorf("rtc: creating video track: %w", err)
	}
	return t, nil
}

// videoState is what a VideoSender does with the frames it reads.
type videoState int

const (
	videoAwaitingKeyframe videoState = iota // drop frames until a keyframe
	videoSending                            // write every frame
	videoPaused                             // drop every frame
)

// VideoSender paces encoded VP8 frames into a local track, each frame shown
// for its duration. It sends nothing until the first keyframe, so that the far
// end's decoder can start, and it can be paused and resumed.
type VideoSender struct {
	track *webrtc.TrackLocalStaticSample
	next  func() (video.Frame, error)
	life  lifecycle

	mu    sync.Mutex // held while a frame is written, so Pause waits for it
	state videoState
}

// NewVideoSender returns a sender writing to track, which should carry VP8
// (see [NewVP8Track]). next returns the next frame, io.EOF at the end of the
// video; it is called on the goroutine running Run, and should not block for
// long: Close waits for it.
func NewVideoSender(track *webrtc.TrackLocalStaticSample, next func() (video.Frame, error)) *VideoSender {
	return &VideoSender{track: track, next: next, life: newLifecycle()}
}

// Run sends video until next returns io.EOF, ctx is done or Close is called,
// and then returns nil. It returns an error when next fails, returns a frame
// without a positive duration, or the track refuses a sample (its peer
// connection is closed), and when it is called twice or after Close.
//
// Each frame is due when the one before it has been shown for its duration,
// counted from the moment Run starts, so timer latency does not accumulate.
// A sender that fell more than 200 ms behind restarts its schedule from now.
func (s *VideoSender) Run(ctx context.Context) error {
	if err := s.life.begin(); err != nil {
		return err
	}
	defer s.life.end()

	clock := videoClock{due: time.Now()}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.life.stop:
			return nil
		case <-timer.C:
		}
		f, err := s.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("rtc: reading video: %w", err)
		case f.Duration <= 0:
			return fmt.Errorf("rtc: video frame with duration %v", f.Duration)
		}
		if err := s.send(f); err != nil {
			return err
		}
		timer.Reset(clock.advance(f.Duration, time.Now()))
	}
}

// send writes f unless the sender is paused or waiting for a keyframe.
func (s *VideoSender) send(f video.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == videoAwaitingKeyframe && f.Keyframe {
		s.state = videoSending
	}
	if s.state != videoSending {
		return nil
	}
	if err := s.track.WriteSample(media.Sample{Data: f.Data, Duration: f.Duration}); err != nil {
		return fmt.Errorf("rtc: writing video sample: %w", err)
	}
	return nil
}

// Pause stops sending: once it returns, no frame is written until Resume.
// The source is still read at its pace, like a camera that keeps filming, and
// its frames are dropped.
func (s *VideoSender) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = videoPaused
}

// Resume undoes Pause: sending starts again with the source's next keyframe,
// from which the far end's decoder can restart. It does nothing when the
// sender is not paused.
func (s *VideoSender) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == videoPaused {
		s.state = videoAwaitingKeyframe
	}
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run.
func (s *VideoSender) Close() {
	s.life.close(nil)
}

// videoClock schedules frames back to back from a start time.
type videoClock struct {
	due time.Time // when the frame sent last was due
}

// advance schedules the next frame d after the one sent last and returns how
// long to wait, from now, to send it (zero or negative when it is already
// due). When now is more than videoMaxLag past that time, the schedule
// restarts from now.
func (c *videoClock) advance(d time.Duration, now time.Time) time.Duration {
	c.due = c.due.Add(d)
	if now.Sub(c.due) > videoMaxLag {
		c.due = now
	}
	return c.due.Sub(now)
}

// VideoReceiver reads VP8 RTP packets from a remote track, joins them into
// frames and hands each whole frame to a callback. Frames before the first
// keyframe are dropped, since a decoder cannot start from them. The receiver
// asks the sender for a keyframe with an RTCP Picture Loss Indication when it
// starts, and again at most once a second while it waits for the first
// keyframe or after packets were lost, until a keyframe arrives.
type VideoReceiver struct {
	track     *webrtc.TrackRemote
	onFrame   func(f video.Frame)
	writeRTCP func([]rtcp.Packet) error
	life      lifecycle
	stats     *receiveStats
}

// NewVideoReceiver returns a receiver of track. onFrame is called on the
// goroutine running Run with each frame; the frame's Data is not reused.
// writeRTCP sends RTCP to the track's sender, usually the peer connection's
// WriteRTCP; keyframe requests are best effort, so its errors are ignored.
func NewVideoReceiver(track *webrtc.TrackRemote, onFrame func(f video.Frame), writeRTCP func([]rtcp.Packet) error) *VideoReceiver {
	return &VideoReceiver{
		track: track, onFrame: onFrame, writeRTCP: writeRTCP, life: newLifecycle(),
		stats: newReceiveStats(VP8Codec().ClockRate),
	}
}

// Stats returns the statistics of the packets received so far. It is safe
// to call at any time, concurrently with Run.
func (r *VideoReceiver) Stats() ReceiveStats {
	return r.stats.snapshot()
}

// Run reads the track until it ends, ctx is done or Close is called, and
// then returns nil. It returns an error when reading fails otherwise, or
// when it is called twice or after Close.
func (r *VideoReceiver) Run(ctx context.Context) error {
	if err := r.life.begin(); err != nil {
		return err
	}
	defer r.life.end()
	defer context.AfterFunc(ctx, r.interrupt)()

	builder := samplebuilder.New(videoMaxLatePackets, &codecs.VP8Packet{}, r.track.Codec().ClockRate,
		samplebuilder.WithMaxTimeDelay(videoMaxDelay))
	gate := keyframeGate{lastPLI: time.Now()}
	r.requestKeyframe()
	for {
		buf := make([]byte, maxPacketSize) // the builder keeps the packet
		n, _, err := r.track.Read(buf)
		arrival := time.Now()
		switch {
		case r.life.stopped() || ctx.Err() != nil ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return nil
		case err != nil && n == 0:
			return fmt.Errorf("rtc: reading video: %w", err)
		}
		pkt := &rtp.Packet{}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		r.stats.add(&pkt.Header, len(pkt.Payload), arrival)
		if err != nil {
			continue // a payload type the media engine does not know
		}
		builder.Push(pkt)
		for s := builder.Pop(); s != nil; s = builder.Pop() {
			r.deliver(&gate, s)
		}
	}
}

// deliver passes the sample on when the gate lets it through and asks for a
// keyframe when the gate says so.
func (r *VideoReceiver) deliver(gate *keyframeGate, s *media.Sample) {
	f := video.Frame{Data: s.Data, Duration: s.Duration, Keyframe: video.IsKeyframe(s.Data)}
	pass, pli := gate.frame(f.Keyframe, s.PrevDroppedPackets > 0, time.Now())
	if pli {
		r.requestKeyframe()
	}
	if pass {
		r.onFrame(f)
	}
}

// requestKeyframe sends a Picture Loss Indication for the track.
func (r *VideoReceiver) requestKeyframe() {
	// Best effort: an error means the connection is closing, and the next
	// read ends Run.
	_ = r.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(r.track.SSRC())}})
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run.
func (r *VideoReceiver) Close() {
	r.life.close(r.interrupt)
}

// interrupt unblocks a pending read by expiring the track's read deadline.
func (r *VideoReceiver) interrupt() {
	// An error means the track has no stream any more: no read is pending.
	_ = r.track.SetReadDeadline(time.Unix(1, 0))
}

// keyframeGate decides which received frames to deliver and when to ask for
// a keyframe.
type keyframeGate struct {
	started bool      // a keyframe has arrived: frames are delivered
	broken  bool      // packets were lost since the last keyframe
	lastPLI time.Time // when a keyframe was last requested
}

// frame returns whether a frame (a keyframe or not, after lost packets or
// not) received at now is delivered, and whether to request a keyframe.
func (g *keyframeGate) frame(keyframe, lost bool, now time.Time) (deliver, requestPLI bool) {
	switch {
	case keyframe:
		g.started, g.broken = true, false
	case lost:
		g.broken = true
	}
	if (!g.started || g.broken) && now.Sub(g.lastPLI) >= pliInterval {
		g.lastPLI = now
		requestPLI = true
	}
	return g.started, requestPLI
}

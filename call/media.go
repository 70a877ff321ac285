package call

import (
	"context"
	"sync"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/video"
)

// Video constants.
const (
	vp8ClockRate = 90000
	// defaultFrameDuration paces video frames that carry no duration.
	defaultFrameDuration = time.Second / 30
	// maxLateVideoPackets is how many packets the VP8 sample builder waits
	// for a missing one.
	maxLateVideoPackets = 64
)

// streams is the running media of an established call and the goroutines
// that move it. Every goroutine stops when stop is closed or the peer
// connection is closed.
type streams struct {
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	pending []*webrtc.TrackRemote // remote tracks that arrived before Established
	running bool
}

func newStreams() *streams {
	ctx, stop := context.WithCancel(context.Background())
	return &streams{ctx: ctx, stop: stop}
}

func (m *streams) spawn(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// newPeerConnection builds the call's peer connection and its local
// tracks, and routes pion's callbacks into the inbox.
func (a *actor) newPeerConnection() error {
	s := a.c.s
	pc, err := s.API().NewPeerConnection(s.PeerConfig())
	if err != nil {
		return &errs.SinchError{Domain: errs.Generic, Message: "creating the WebRTC peer connection failed", Err: err}
	}
	a.pc = pc
	a.media = newStreams()
	inbox := a.c.inbox
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			inbox.push(func(a *actor) { a.onLocalCandidate(init) })
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		inbox.push(func(a *actor) { a.onConnectionState(st) })
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		inbox.push(func(a *actor) { a.onRemoteTrack(t) })
	})
	if a.audioTrack, err = rtc.NewPCMUTrack("audio", a.c.id); err != nil {
		return err
	}
	if a.c.video {
		vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: vp8ClockRate}
		if a.videoTrack, err = webrtc.NewTrackLocalStaticSample(vp8, "video", a.c.id); err != nil {
			return &errs.SinchError{Domain: errs.Generic, Message: "creating the video track failed", Err: err}
		}
	}
	return nil
}

// localTracks returns the tracks the call sends.
func (a *actor) localTracks() []webrtc.TrackLocal {
	tracks := []webrtc.TrackLocal{a.audioTrack}
	if a.videoTrack != nil {
		tracks = append(tracks, a.videoTrack)
	}
	return tracks
}

// offer builds the caller's peer connection and sets its offer.
func (a *actor) offer() (webrtc.SessionDescription, error) {
	if err := a.newPeerConnection(); err != nil {
		return webrtc.SessionDescription{}, err
	}
	for _, t := range a.localTracks() {
		tr, err := a.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return webrtc.SessionDescription{}, webrtcError("adding a track", err)
		}
		a.drainRTCP(tr.Sender())
	}
	offer, err := a.pc.CreateOffer(nil)
	if err != nil {
		return offer, webrtcError("creating the offer", err)
	}
	if err := a.pc.SetLocalDescription(offer); err != nil {
		return offer, webrtcError("setting the offer", err)
	}
	return offer, nil
}

// answerOffer builds the callee's peer connection for offer and sets its
// answer.
func (a *actor) answerOffer(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
	if err := a.newPeerConnection(); err != nil {
		return webrtc.SessionDescription{}, err
	}
	if err := a.pc.SetRemoteDescription(offer); err != nil {
		return offer, webrtcError("the caller's offer was refused", err)
	}
	for _, t := range a.localTracks() {
		sender, err := a.pc.AddTrack(t)
		if err != nil {
			return offer, webrtcError("adding a track", err)
		}
		a.drainRTCP(sender)
	}
	answer, err := a.pc.CreateAnswer(nil)
	if err != nil {
		return answer, webrtcError("creating the answer", err)
	}
	if err := a.pc.SetLocalDescription(answer); err != nil {
		return answer, webrtcError("setting the answer", err)
	}
	return answer, nil
}

func webrtcError(step string, err error) error {
	return &errs.SinchError{Domain: errs.Generic, Message: "WebRTC: " + step + " failed", Err: err}
}

// drainRTCP reads a sender's RTCP, so that pion's interceptors (NACK,
// reports) see it, until the peer connection closes.
func (a *actor) drainRTCP(sender *webrtc.RTPSender) {
	a.media.spawn(func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	})
}

// onConnectionState follows the peer connection: connected media may
// establish the call; failed media after the answer fails it.
func (a *actor) onConnectionState(st webrtc.PeerConnectionState) {
	a.c.log.Debug("peer connection state", "state", st)
	switch st {
	case webrtc.PeerConnectionStateConnected:
		a.connected = true
		a.maybeEstablish()
	case webrtc.PeerConnectionStateFailed:
		a.connected = false
		if a.answered {
			a.fail(&errs.SinchError{Domain: errs.Network,
				Message: "the media connection failed: check the network, or configure TURN"})
		}
	case webrtc.PeerConnectionStateDisconnected:
		a.connected = false
	}
}

// onRemoteTrack tells the listeners of a remote track and plays it once
// the call is established.
func (a *actor) onRemoteTrack(t *webrtc.TrackRemote) {
	rt := &RemoteTrack{ID: t.ID(), StreamID: t.StreamID(), Kind: t.Kind().String(), Codec: t.Codec().MimeType}
	a.c.update(func(_ *State, d *Details) {
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			d.HadVideo = true
		} else {
			d.HadAudio = true
		}
	})
	a.c.emit(func(l Listener) {
		if tl, ok := l.(RemoteTrackListener); ok {
			tl.OnRemoteTrack(a.c, rt)
		}
	})
	if a.media.running {
		a.play(t)
	} else {
		a.media.pending = append(a.media.pending, t)
	}
}

// startMedia starts sending and plays the remote tracks that arrived.
func (a *actor) startMedia() {
	m := a.media
	m.running = true
	c := a.c
	fallback := c.s.AudioSource(c.id)
	sender := rtc.NewAudioSender(a.audioTrack, func(frame []int16) { c.nextFrame(frame, fallback) })
	m.spawn(func() {
		if err := sender.Run(m.ctx); err != nil {
			c.log.Debug("audio sender stopped", "err", err)
		}
	})
	if a.videoTrack != nil {
		if src := c.s.VideoSource(c.id); src != nil {
			track := a.videoTrack
			m.spawn(func() { c.sendVideo(m.ctx, track, src) })
		}
	}
	for _, t := range m.pending {
		a.play(t)
	}
	m.pending = nil
}

// play moves a remote track's media to the call's sink.
func (a *actor) play(t *webrtc.TrackRemote) {
	c, m := a.c, a.media
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		sink := c.s.VideoSink(c.id)
		m.spawn(func() { receiveVideo(t, sink) })
		return
	}
	fallback := c.s.AudioSink(c.id)
	r := rtc.NewAudioReceiver(t, func(frame []int16) { c.playFrame(frame, fallback) })
	m.spawn(func() {
		if err := r.Run(m.ctx); err != nil {
			c.log.Debug("audio receiver stopped", "err", err)
		}
	})
}

// closeMedia stops the media goroutines and closes the peer connection.
func (a *actor) closeMedia() {
	if a.pc == nil {
		return
	}
	a.media.stop()
	if err := a.pc.Close(); err != nil {
		a.c.log.Debug("closing the peer connection", "err", err)
	}
	a.media.wg.Wait()
}

// nextFrame fills frame with the audio the call sends: its source, else
// the client's, or silence when muted (per call or client-wide) or when
// the source has ended or failed.
func (c *Call) nextFrame(frame []int16, fallback audio.Source) {
	muted, _, src, _ := c.mediaSettings()
	if src == nil {
		src = fallback
	}
	if muted || c.s.AudioMuted() || src == nil || src.ReadFrame(frame) != nil {
		clear(frame)
	}
}

// playFrame hands received audio to the call's sink, else the client's.
func (c *Call) playFrame(frame []int16, fallback audio.Sink) {
	_, _, _, sink := c.mediaSettings()
	if sink == nil {
		sink = fallback
	}
	if sink != nil {
		if err := sink.WriteFrame(frame); err != nil {
			c.log.Debug("audio sink refused a frame", "err", err)
		}
	}
}

// sendVideo writes the frames of src to track at the pace of their
// durations, skipping them while the video is paused, until src ends or
// ctx is done.
func (c *Call) sendVideo(ctx context.Context, track *webrtc.TrackLocalStaticSample, src video.Source) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		f, err := src.ReadFrame()
		if err != nil {
			return
		}
		d := f.Duration
		if d <= 0 {
			d = defaultFrameDuration
		}
		if _, paused, _, _ := c.mediaSettings(); !paused {
			if err := track.WriteSample(media.Sample{Data: f.Data, Duration: d}); err != nil {
				return
			}
		}
		timer.Reset(d)
	}
}

// receiveVideo reassembles VP8 frames from t into sink (dropping them when
// sink is nil) until the track ends.
func receiveVideo(t *webrtc.TrackRemote, sink video.Sink) {
	sb := samplebuilder.New(maxLateVideoPackets, &codecs.VP8Packet{}, vp8ClockRate)
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if sink == nil {
			continue
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			// A VP8 key frame has the inverse key frame bit (P) clear.
			key := len(s.Data) > 0 && s.Data[0]&0x01 == 0
			if sink.WriteFrame(video.Frame{Data: s.Data, Duration: s.Duration, Keyframe: key}) != nil {
				return
			}
		}
	}
}

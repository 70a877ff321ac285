package call

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/video"
)

// streams is the running media of an established call and the goroutines
// that move it. Every goroutine stops when stop is closed or the peer
// connection is closed.
type streams struct {
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	pending []remoteTrack    // remote tracks not played yet
	running bool             // Established: sending
	playing bool             // the listeners heard OnCallEstablished: playing
	audio   *rtc.AudioSender // nil until running
	video   *rtc.VideoSender // nil without a video source
}

// remoteTrack is a track pion reported, with its receiver.
type remoteTrack struct {
	track    *webrtc.TrackRemote
	receiver *webrtc.RTPReceiver
}

func newStreams() *streams {
	ctx, stop := context.WithCancel(context.Background())
	return &streams{ctx: ctx, stop: stop}
}

func (m *streams) spawn(f func()) { m.wg.Go(f) }

// every runs f every d on a media goroutine until the media stops or f
// returns false.
func (m *streams) every(d time.Duration, f func() bool) {
	m.spawn(func() {
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-m.ctx.Done():
				return
			case <-tick.C:
			}
			if !f() {
				return
			}
		}
	})
}

// iceConnected reports whether pc's ICE transport is up.
func iceConnected(pc *webrtc.PeerConnection) bool {
	ice := pc.ICEConnectionState()
	return ice == webrtc.ICEConnectionStateConnected || ice == webrtc.ICEConnectionStateCompleted
}

// mediaStopGrace bounds how long a call that ends waits for its media
// goroutines once told to stop. The SDK's own stop within milliseconds; one
// that is still running is blocked in the application's code (an audio or
// video source's ReadFrame, a sink's WriteFrame), which no deadline can
// interrupt: the call ends without it, and the goroutine exits as soon as
// that code returns.
const mediaStopGrace = 500 * time.Millisecond

// wait waits for the media goroutines, at most d; it reports whether they
// all returned.
func (m *streams) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// newPeerConnection builds the call's peer connection and its local
// tracks, and routes pion's callbacks into the inbox.
func (a *actor) newPeerConnection() error {
	s := a.c.s
	cfg := a.peerConfig()
	if err := checkRelayPolicy(cfg); err != nil {
		return err
	}
	pc, err := s.API().NewPeerConnection(cfg)
	if err != nil {
		return &errs.SinchError{Domain: errs.Generic, Message: "creating the WebRTC peer connection failed", Err: err}
	}
	a.pc = pc
	a.media = newStreams()
	a.stats = newStatsSource(pc)
	a.c.mu.Lock()
	a.c.stats = a.stats
	a.c.mu.Unlock()
	inbox := a.c.inbox
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			inbox.Push(func(a *actor) { a.onLocalCandidate(init) })
		}
	})
	rtpStarted := make(chan struct{})
	a.rtpStarted = rtpStarted
	var rtpOnce sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		inbox.Push(func(a *actor) { a.onConnectionState(st) })
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		rtpOnce.Do(func() { close(rtpStarted) })
		inbox.Push(func(a *actor) { a.onRemoteTrack(remoteTrack{t, r}) })
	})
	a.audioTrack = rtc.NewAudioTrack("audio", a.c.id)
	if a.c.video {
		var sent *rtc.SentCounter
		if a.videoTrack, sent, err = rtc.NewCountedVP8Track("video", a.c.id); err != nil {
			return &errs.SinchError{Domain: errs.Generic, Message: "creating the video track failed", Err: err}
		}
		a.stats.setVideoSent(sent)
	}
	return nil
}

// peerConfig is the client's peer connection configuration, with the
// process's shared DTLS certificate (rtc.Certificate), without the ICE
// servers that no peer connection could use (Build refuses such
// entries of the app; these came from the server): one bad entry must not
// fail every call.
func (a *actor) peerConfig() webrtc.Configuration {
	cfg := a.c.s.PeerConfig()
	if len(cfg.Certificates) == 0 { // else pion makes a key and a certificate per call
		if cert, err := rtc.Certificate(); err == nil {
			cfg.Certificates = []webrtc.Certificate{cert}
		} else {
			a.c.log.Debug("no shared DTLS certificate: the peer connection makes its own", "err", err)
		}
	}
	var refused []error
	cfg.ICEServers, refused = rtc.ValidICEServers(cfg.ICEServers)
	for _, err := range refused {
		a.c.log.Warn("dropping an ICE server the server handed out", "err", err)
	}
	return cfg
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
		if err := rtc.PreferAudioCodecs(tr); err != nil {
			return webrtc.SessionDescription{}, webrtcError("choosing the audio codecs", err)
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
	if a.c.overLimit { // declined (Deny) before anything is built
		return webrtc.SessionDescription{}, a.ctl.errTooManyIncoming()
	}
	if pcmuOnly := a.c.s.PCMUOnly(); !rtc.OffersAudio(offer.SDP, pcmuOnly) {
		msg := "the caller offers neither Opus nor PCMU (G.711) audio, the audio codecs this SDK decodes"
		if pcmuOnly {
			msg = "the caller offers no PCMU (G.711) audio, the only audio codec of this client (built with PCMUOnly)"
		}
		return webrtc.SessionDescription{}, &errs.SinchError{Domain: errs.Generic, Fatal: true, Message: msg}
	}
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
	// Opus first in the answer, whatever the order of the offer.
	for _, tr := range a.pc.GetTransceivers() {
		if err := rtc.PreferAudioCodecs(tr); err != nil {
			return offer, webrtcError("choosing the audio codecs", err)
		}
	}
	answer, err := a.pc.CreateAnswer(nil)
	if err != nil {
		return answer, webrtcError("creating the answer", err)
	}
	return answer, nil
}

// startGathering sets the callee's answer as its local description:
// gathering, ICE and DTLS start while the call rings, so that a caller
// that pre-connects (one callee device) has its media up when the user
// answers; no media flows before (docs/media.md). It runs before the Ack
// is sent, which carries the first candidate (startInbound).
func (a *actor) startGathering(answer webrtc.SessionDescription) error {
	if err := a.pc.SetLocalDescription(answer); err != nil {
		return webrtcError("setting the answer", err)
	}
	return nil
}

func webrtcError(step string, err error) error {
	return &errs.SinchError{Domain: errs.Generic, Message: "WebRTC: " + step + " failed", Err: err}
}

// drainRTCP reads a sender's RTCP, so that pion's interceptors (NACK,
// reports) see it and the call's statistics get the far end's receiver
// reports, until the peer connection closes.
func (a *actor) drainRTCP(sender *webrtc.RTPSender) {
	kind, stats := sender.Track().Kind(), a.stats
	a.media.spawn(func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			stats.onRTCP(kind, pkts, time.Now())
		}
	})
}

// drainReceiverRTCP reads a received track's RTCP (the far end's sender
// reports) until the peer connection closes. pion's report interceptor
// sees only the RTCP read: without this, the call's receiver reports carry
// no LSR, and the far end cannot compute a round trip time from them.
func (a *actor) drainReceiverRTCP(r *webrtc.RTPReceiver) {
	a.media.spawn(func() {
		for {
			if _, _, err := r.ReadRTCP(); err != nil {
				return
			}
		}
	})
}

// onConnectionState follows the peer connection: connected media may
// establish the call; failed media after the answer fails a call being
// set up; media lost by an established call is waited for (onMediaLost).
func (a *actor) onConnectionState(st webrtc.PeerConnectionState) {
	a.c.log.Debug("peer connection state", "state", st)
	switch st {
	case webrtc.PeerConnectionStateConnected:
		a.connected = true
		a.onMediaBack()
		a.maybeEstablish()
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
		a.connected = false
		switch {
		case a.state.current() == Established:
			a.onMediaLost()
		case st == webrtc.PeerConnectionStateFailed && a.answered:
			a.fail(&errs.SinchError{Domain: errs.Network,
				Message: "the media connection failed: check the network, or configure TURN"})
		}
	}
}

// onRemoteTrack tells the listeners of a remote track and plays it once
// the call is established.
func (a *actor) onRemoteTrack(rt remoteTrack) {
	t := rt.track
	info := &RemoteTrack{ID: t.ID(), StreamID: t.StreamID(), Kind: t.Kind().String(), Codec: t.Codec().MimeType}
	a.c.update(func(d *Details) {
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			d.HadVideo = true
		} else {
			d.HadAudio = true
		}
	})
	a.c.emit(func(l Listener) {
		if tl, ok := l.(RemoteTrackListener); ok {
			tl.OnRemoteTrack(a.c, info)
		}
	})
	if a.media.playing {
		a.play(rt)
	} else {
		a.media.pending = append(a.media.pending, rt)
	}
}

// startMedia starts sending and watching the call's quality, and plays
// the remote tracks once the listeners heard OnCallAnswered and
// OnCallEstablished (startPlaying): a pre-connected caller may already
// hold the callee's first packets, and no frame reaches a sink before the
// application was told that the call is answered.
func (a *actor) startMedia() {
	m := a.media
	m.running = true
	c := a.c
	fallback := c.s.AudioSource(c.id)
	m.audio = rtc.NewAudioSenderFunc(a.audioTrack, func(dst []int16) ([]int16, int, int) { return c.nextFrame(dst, fallback) })
	if err := m.audio.SetOpusComplexity(c.s.OpusComplexity()); err != nil {
		c.log.Debug("Opus complexity refused: the default is used", "err", err) // Build checked it
	}
	a.stats.setAudio(m.audio, nil)
	runPipeline(m, c, "audio sender", m.audio.Run)
	if a.videoTrack != nil {
		if src := c.s.VideoSource(c.id); src != nil {
			m.video = rtc.NewVideoSender(a.videoTrack, src.ReadFrame)
			if a.videoPaused {
				m.video.Pause()
			}
			runPipeline(m, c, "video sender", m.video.Run)
		}
	}
	inbox := c.inbox
	c.s.Post(func() { inbox.Push((*actor).startPlaying) }) // after the events emitted so far
	a.watchQuality()
}

// startPlaying plays the remote tracks that arrived, and those to come.
func (a *actor) startPlaying() {
	m := a.media
	m.playing = true
	for _, rt := range m.pending {
		a.play(rt)
	}
	m.pending = nil
}

// runPipeline runs a media pipeline on its own goroutine until the call's media
// stops.
func runPipeline(m *streams, c *Call, what string, f func(context.Context) error) {
	m.spawn(func() {
		if err := f(m.ctx); err != nil {
			c.log.Debug(what+" stopped", "err", err)
		}
	})
}

// play moves a remote track's media to the call's sink, and its DTMF to
// the listeners.
func (a *actor) play(rt remoteTrack) {
	c, m, t := a.c, a.media, rt.track
	a.drainReceiverRTCP(rt.receiver)
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		sink := c.s.VideoSink(c.id)
		r := rtc.NewVideoReceiver(t, func(f video.Frame) { c.showFrame(f, sink) }, a.pc.WriteRTCP)
		a.stats.setVideo(r)
		runPipeline(m, c, "video receiver", r.Run)
		a.watchRemoteVideo()
		return
	}
	fallback := c.s.AudioSink(c.id)
	r := rtc.NewAudioReceiverFunc(t, func() (int, int) {
		f := audio.FormatOf(c.audioSink(fallback))
		return f.SampleRate, f.Channels
	}, func(frame []int16, rate, channels int, ts uint32) {
		c.playFrame(frame, audio.Format{SampleRate: rate, Channels: channels}, ts, fallback)
	})
	r.SetCodecs(rt.receiver.GetParameters().Codecs)
	if pt, ok := rtc.TelephoneEventPayloadTypeAt(rt.receiver.GetParameters().Codecs, r.ClockRate()); ok {
		r.OnDTMF(pt, func(key byte) {
			c.emit(func(l Listener) {
				if dl, ok := l.(DTMFListener); ok {
					dl.OnCallDTMF(c, key)
				}
			})
		})
	}
	a.stats.setAudio(nil, r)
	runPipeline(m, c, "audio receiver", r.Run)
}

// watchQuality samples the call's statistics while its media runs and
// tells the listeners of quality warnings.
func (a *actor) watchQuality() {
	c, m, pc, stats := a.c, a.media, a.pc, a.stats
	cfg := defaultQuality
	monitor := newQualityMonitor(cfg)
	m.every(cfg.interval, func() bool {
		connected := iceConnected(pc)
		st := stats.collect()
		if m.audio != nil && st.Audio.RemoteRoundTripTime > 0 { // a receiver report came
			// Opus's in-band FEC sized for the loss the far end sees,
			// at least 5 % so that a first loss is covered.
			m.audio.SetPacketLoss(max(int(math.Round(100*st.Audio.RemoteFractionLost)), 5))
		}
		for _, e := range monitor.sample(st, connected) {
			c.log.Debug("call quality", "warning", e.Warning, "type", e.Type, "media", e.Media)
			c.emit(func(l Listener) {
				if ql, ok := l.(QualityWarningListener); ok {
					ql.OnCallQualityWarningEvent(c, e)
				}
			})
		}
		return true
	})
}

// sendDTMF queues DTMF keys on the established call's audio.
func (a *actor) sendDTMF(keys string) error {
	if a.state.current() != Established || a.media == nil || a.media.audio == nil {
		return invalidOp("cannot send DTMF on call %s: it is not established", a.c.id)
	}
	if err := a.media.audio.SendDTMF(keys); err != nil {
		return invalidOp("cannot send DTMF on call %s: %v", a.c.id, err)
	}
	return nil
}

// setVideoPaused pauses or resumes the video sender, now or when it starts.
func (a *actor) setVideoPaused(paused bool) {
	a.videoPaused = paused
	if a.media == nil || a.media.video == nil {
		return
	}
	if paused {
		a.media.video.Pause()
	} else {
		a.media.video.Resume()
	}
}

// closeMedia stops the media goroutines, keeps the last statistics and
// closes the peer connection. It waits for the media goroutines at most
// mediaStopGrace: it never waits on application code without a deadline.
// When closing at once could deadlock pion (rtpStartPending), the call
// ends without waiting: the peer connection closes in the background,
// which Shutdown waits for.
func (a *actor) closeMedia() {
	if a.pc == nil {
		return
	}
	a.media.stop()
	a.stats.close(a.media.running)
	pc, media, log := a.pc, a.media, a.c.log
	release := func() {
		if err := pc.Close(); err != nil {
			log.Debug("closing the peer connection", "err", err)
		}
		if !media.wait(mediaStopGrace) {
			log.Warn("the call's audio or video source or sink is blocked (in ReadFrame or WriteFrame): the call ended without waiting for it; its goroutine exits once that returns",
				"waited", mediaStopGrace)
		}
	}
	if !a.rtpStartPending() {
		release()
		return
	}
	started := a.rtpStarted
	a.ctl.background(func() {
		t := time.NewTimer(rtpStartGrace)
		defer t.Stop()
		select {
		case <-started:
		case <-t.C:
		}
		release()
	})
}

// rtpStartGrace bounds how long a peer connection's close waits for
// pion's RTP start (rtpStartPending).
const rtpStartGrace = time.Second

// rtpStartPending works around a deadlock in pion/webrtc v4.2.26: Close
// deadlocks when it runs while pion's own startRTP operation is still
// pending on a connection whose SRTP session already started (a sender's
// first write starts it) and received a packet of a new SSRC: DTLS Stop
// holds its lock waiting for the SRTP reader, which waits for a stream
// acceptor that only the blocked startRTP would start. OnTrack fires only
// after startRTP, so a connection whose DTLS is up or coming up and that
// had no OnTrack yet closes after it, or after rtpStartGrace for a far end
// that sends nothing.
//
// An unanswered call need not wait: no side sends media before the
// answer, so a pre-connected call that ends while it rings has no packet
// of a new SSRC to race.
func (a *actor) rtpStartPending() bool {
	if !a.answered {
		return false
	}
	switch a.pc.SCTP().Transport().State() {
	case webrtc.DTLSTransportStateConnecting, webrtc.DTLSTransportStateConnected:
	default:
		return false // no SRTP session, nothing to race
	}
	select {
	case <-a.rtpStarted:
		return false
	default:
		return true
	}
}

// nextFrame appends to dst[:0] 20 ms of the audio the call sends, in the
// format its source declares (audio.FormatOf): the call's source, else
// the client's, or silence when muted (per call or client-wide) or when
// the source has ended or failed. It returns the frame and its format.
func (c *Call) nextFrame(dst []int16, fallback audio.Source) ([]int16, int, int) {
	muted, src, _ := c.mediaSettings()
	if src == nil {
		src = fallback
	}
	f := audio.FormatOf(src)
	frame := dst[:f.FrameSamples()] // dst holds 20 ms of 48 kHz stereo, the largest format
	if muted || c.s.AudioMuted() || src == nil || src.ReadFrame(frame) != nil {
		clear(frame)
	}
	return frame, f.SampleRate, f.Channels
}

// audioSink is the call's sink, else the client's (nil: none).
func (c *Call) audioSink(fallback audio.Sink) audio.Sink {
	_, _, sink := c.mediaSettings()
	if sink == nil {
		sink = fallback
	}
	return sink
}

// playFrame hands received audio of format f, whose first sample has RTP
// timestamp ts, to the call's sink, else the client's (with ts when it is an
// audio.TimedSink). A frame made for a sink of another format (the sink
// changed while it was decoded) is dropped.
func (c *Call) playFrame(frame []int16, f audio.Format, ts uint32, fallback audio.Sink) {
	sink := c.audioSink(fallback)
	if sink == nil || audio.FormatOf(sink) != f {
		return
	}
	var err error
	if timed, ok := sink.(audio.TimedSink); ok {
		err = timed.WriteFrameAt(frame, ts)
	} else {
		err = sink.WriteFrame(frame)
	}
	if err != nil {
		c.log.Debug("audio sink refused a frame", "err", err)
	}
}

// showFrame hands a received video frame to the sink, if any.
func (c *Call) showFrame(f video.Frame, sink video.Sink) {
	if sink != nil {
		if err := sink.WriteFrame(f); err != nil {
			c.log.Debug("video sink refused a frame", "err", err)
		}
	}
}

package ocratest

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// Bounds of a far end.
const (
	// endpointQueue is how many events may wait for an endpoint; more are
	// dropped (a peer flooding the fake server loses messages).
	endpointQueue = 256
	// gatherTimeout bounds ICE gathering before an offer or answer is sent.
	gatherTimeout = 10 * time.Second
	// ringTimeout is how long a phone that calls an app rings before it
	// gives up and cancels.
	ringTimeout = 60 * time.Second
	// maxDeviceCandidates bounds the candidates kept of a device that has
	// not answered.
	maxDeviceCandidates = 64
)

// role is the side of the call an endpoint is on.
type role int

const (
	calleeRole role = iota // an app called the far end
	callerRole             // the far end calls an app (Server.CallFromPhone)
)

// peer is an app instance in an endpoint's call.
type peer struct {
	instance string
	fi       string // instance:subInstance once known from its messages: nvps.to
	channel  string // its signal channel, updated from its messages' fs
	user     string
}

// learn updates what p knows of its instance from a message it sent.
func (p *peer) learn(m *mxp.Message) {
	if m.FromSignalChannel != "" {
		p.channel = m.FromSignalChannel
	}
	if m.FromID != "" && mxp.InstanceOfFI(m.FromID) == p.instance {
		p.fi = m.FromID
	}
	if m.FromUser != "" {
		p.user = m.FromUser
	}
}

// fiOrDefault is p's fi, or the one of this SDK's clients until known.
func (p *peer) fiOrDefault() string {
	if p.fi != "" {
		return p.fi
	}
	return mxp.FI(p.instance, mxp.DefaultSubInstance)
}

// device is an app instance that a calling endpoint invited.
type device struct {
	peer
	answer     *webrtc.SessionDescription // from its Ack
	candidates []webrtc.ICECandidateInit
	joined     bool // its Join came before its Ack
}

// outcome is how an endpoint's call ended, in the terms of Sinch's DiCE
// callback.
type outcome struct{ result, reason string }

// DiCE results and reasons.
var (
	outcomeCallerHangup = outcome{"ANSWERED", "CALLERHANGUP"}
	outcomeCalleeHangup = outcome{"ANSWERED", "CALLEEHANGUP"}
	outcomeBusy         = outcome{"BUSY", "CALLEEHANGUP"}
	outcomeCanceled     = outcome{"NOANSWER", "CANCEL"}
	outcomeTimeout      = outcome{"NOANSWER", "TIMEOUT"}
	outcomeFailed       = outcome{"FAILED", "GENERALERROR"}
	outcomeServerClosed = outcome{"N/A", "MANAGERHANGUP"}
)

// endpoint is a far end inside the server (a phone, a SIP endpoint, a
// conference participant's leg, or a phone calling an app): a WebRTC media
// peer that speaks MXP as an app's device does. It receives on its own
// signal channel and, as a callee, on the call's channel.
// One goroutine (run) owns its state; messages and pion's callbacks reach
// it as events.
type endpoint struct {
	srv     *Server
	id      string // its instance id
	channel string // its signal channel, opaque and random
	user    string // who it is (fu): a number, SIP identity or conference id
	callID  string
	key     []byte // the call's session key
	role    role
	b       Behaviour
	media   media
	dtmfOf  string // the identity whose DTMF it records; "" records none
	log     *slog.Logger

	events     chan func()
	reasm      *mxp.Reassembler
	stopListen func()

	// Owned by the run goroutine.
	pc       *webrtc.PeerConnection
	track    *rtc.AudioTrack
	peer     peer               // callee: the caller; caller: the device that answered
	devices  map[string]*device // caller: the invited devices
	answered time.Time
	timer    *time.Timer
	timerSeq int
	ended    bool
	streams  sync.WaitGroup
	stop     context.CancelFunc // stops the streams
	ctx      context.Context    // of the streams
}

// newEndpoint returns an endpoint of the call callID, listening on its
// signal channel. It does nothing until started with farEnds.start.
func (s *Server) newEndpoint(r role, user, callID string, key []byte, b Behaviour, m media) *endpoint {
	ctx, stop := context.WithCancel(context.Background())
	e := &endpoint{
		srv:     s,
		id:      newUUID(),
		channel: newChannel('S'),
		user:    user,
		callID:  callID,
		key:     key,
		role:    r,
		b:       b,
		media:   m,
		events:  make(chan func(), endpointQueue),
		reasm:   mxp.NewReassembler(0, 0),
		devices: make(map[string]*device),
		ctx:     ctx,
		stop:    stop,
	}
	e.log = s.log.With("endpoint", e.id, "as", user, "call", callID)
	e.stopListen = s.relay.listen(e.channel, e.receive)
	return e
}

// signalChannel is the channel the endpoint receives on, its fs.
func (e *endpoint) signalChannel() string { return e.channel }

// push queues an event without blocking.
func (e *endpoint) push(ev func()) {
	select {
	case e.events <- ev:
	default:
		e.log.Warn("endpoint event dropped: queue full")
	}
}

// receive takes an MXP frame published to the endpoint, on the publisher's
// goroutine.
func (e *endpoint) receive(frame string) { e.push(func() { e.onFrame(frame) }) }

// run handles events until the call ends or the server closes.
func (e *endpoint) run(closing <-chan struct{}) {
	for !e.ended {
		select {
		case ev := <-e.events:
			ev()
		case <-closing:
			e.hangup()
		}
	}
}

// after arms the endpoint's single timer, replacing the previous one.
func (e *endpoint) after(d time.Duration, f func()) {
	e.stopTimer()
	seq := e.timerSeq
	e.timer = time.AfterFunc(d, func() {
		e.push(func() {
			if e.timerSeq == seq && !e.ended {
				f()
			}
		})
	})
}

func (e *endpoint) stopTimer() {
	e.timerSeq++
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}

// send publishes m from the endpoint to p, encrypted with the session key,
// addressed to p's fi once known (never on Leave, Cancel and Joined).
func (e *endpoint) send(p peer, m *mxp.Message) {
	m.From(mxp.Sender{User: e.user, Instance: e.id, SignalChannel: e.signalChannel()})
	m.Address(p.fi)
	frames, err := mxp.Encode(e.callID, e.key, m)
	if err != nil {
		e.log.Error("cannot encode an MXP message", "method", m.Method, "err", err)
		return
	}
	for _, f := range frames {
		if !e.srv.relay.publishSignal(p.channel, f) {
			e.log.Info("MXP message not delivered: instance offline", "method", m.Method, "to", p.instance)
			return
		}
	}
}

// sendDescription sends an Ack or Join carrying the endpoint's answer.
func (e *endpoint) sendDescription(p peer, method mxp.Method) {
	body, err := json.Marshal(e.pc.LocalDescription())
	if err != nil {
		e.fail(p, "cannot encode the session description")
		return
	}
	e.send(p, &mxp.Message{Method: method, BodyType: mxp.BodySDP, Body: string(body)})
}

// fail tells p that the call failed and ends it.
func (e *endpoint) fail(p peer, reason string) {
	e.send(p, mxp.NewError(50000, "ocratest: "+reason))
	e.end(outcomeFailed)
}

// onFrame reassembles and decrypts a frame and handles its message.
func (e *endpoint) onFrame(frame string) {
	if e.ended {
		return
	}
	f, err := mxp.ParseFrame(frame)
	if err != nil || f.SessionID != e.callID {
		e.log.Debug("dropping a frame of another call or not MXP", "err", err)
		return
	}
	payload, complete, err := e.reasm.Add(f, time.Now())
	if err != nil || !complete {
		return
	}
	m, err := mxp.DecodeMessage(e.key, payload)
	if err != nil {
		e.log.Debug("dropping an undecodable message", "err", err)
		return
	}
	if !m.AddressedTo(mxp.FI(e.id, mxp.DefaultSubInstance), e.id) {
		e.log.Debug("dropping a message addressed elsewhere", "method", m.Method, "to", m.NVPs[mxp.NVPTo])
		return
	}
	if e.role == calleeRole {
		e.onCallerMessage(m)
	} else {
		e.onDeviceMessage(m)
	}
}

// newPeerConnection builds the endpoint's peer connection and audio track.
func (e *endpoint) newPeerConnection() error {
	api, err := e.srv.far.api()
	if err != nil {
		return err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	e.pc = pc
	e.track = rtc.NewAudioTrack("audio", e.callID)
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		e.push(func() { e.play(t, r) })
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed {
			e.push(func() { e.end(outcomeFailed) })
		}
	})
	return nil
}

// addTrack adds the endpoint's audio track to its peer connection.
func (e *endpoint) addTrack() error {
	sender, err := e.pc.AddTrack(e.track)
	if err != nil {
		return err
	}
	for _, tr := range e.pc.GetTransceivers() { // Opus first, as the SDK
		if err := rtc.PreferAudioCodecs(tr); err != nil {
			return err
		}
	}
	e.spawn(func() { // let pion's interceptors see the RTCP
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	})
	return nil
}

// gathered sets desc as the local description and waits until ICE
// gathering is complete, so that it carries every candidate.
func (e *endpoint) gathered(desc webrtc.SessionDescription, closing <-chan struct{}) error {
	done := webrtc.GatheringCompletePromise(e.pc)
	if err := e.pc.SetLocalDescription(desc); err != nil {
		return err
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return errGatherTimeout
	case <-closing:
		return errServerClosed
	}
}

// addCandidate applies an ICE candidate of the peer.
func (e *endpoint) addCandidate(c webrtc.ICECandidateInit) {
	if err := e.pc.AddICECandidate(c); err != nil {
		e.log.Debug("ICE candidate refused", "err", err)
	}
}

// onAnswered starts the audio the endpoint sends and tells the backend.
func (e *endpoint) onAnswered() {
	e.answered = time.Now()
	sender := rtc.NewAudioSender(e.track, e.media.next)
	e.spawn(func() {
		if err := sender.Run(e.ctx); err != nil {
			e.log.Debug("audio sender stopped", "err", err)
		}
	})
	e.srv.callAnswered(e.callID)
}

// play moves a remote track's audio to the endpoint's media, and its DTMF
// to the record of the identity.
func (e *endpoint) play(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	if e.ended || t.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	recv := rtc.NewAudioReceiver(t, e.media.hear)
	recv.SetCodecs(r.GetParameters().Codecs)
	if pt, ok := rtc.TelephoneEventPayloadTypeAt(r.GetParameters().Codecs, recv.ClockRate()); ok && e.dtmfOf != "" {
		recv.OnDTMF(pt, func(key byte) { e.srv.far.recordDTMF(e.dtmfOf, key) })
	}
	e.spawn(func() {
		if err := recv.Run(e.ctx); err != nil {
			e.log.Debug("audio receiver stopped", "err", err)
		}
	})
}

// spawn runs f on a goroutine that end waits for.
func (e *endpoint) spawn(f func()) {
	e.streams.Add(1)
	go func() {
		defer e.streams.Done()
		f()
	}()
}

// hangup ends the call as the server closes, telling the app: Leave once
// answered, else Deny (callee) or Cancel (caller).
func (e *endpoint) hangup() {
	switch {
	case !e.answered.IsZero():
		e.send(e.peer, &mxp.Message{Method: mxp.Leave})
	case e.role == calleeRole:
		e.send(e.peer, &mxp.Message{Method: mxp.Deny})
	default:
		e.cancelDevices("")
	}
	e.end(outcomeServerClosed)
}

// end ends the endpoint's call once: it stops receiving, releases the
// media and tells the backend.
func (e *endpoint) end(o outcome) {
	if e.ended {
		return
	}
	e.ended = true
	e.stopTimer()
	e.stopListen()
	e.media.close()
	e.stop()
	if e.pc != nil {
		if err := e.pc.Close(); err != nil {
			e.log.Debug("closing the peer connection", "err", err)
		}
	}
	e.streams.Wait()
	var d time.Duration
	if !e.answered.IsZero() {
		d = time.Since(e.answered)
	}
	e.log.Info("far end call ended", "result", o.result, "reason", o.reason)
	e.srv.callEnded(e.callID, e, o, d)
}

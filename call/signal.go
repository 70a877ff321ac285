package call

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

func leaveMessage() *mxp.Message  { return &mxp.Message{Method: mxp.Leave} }
func cancelMessage() *mxp.Message { return &mxp.Message{Method: mxp.Cancel} }
func denyMessage() *mxp.Message   { return &mxp.Message{Method: mxp.Deny} }

// sdpMessage is an Ack, Join or PeerEvent carrying JSON in its body.
func sdpMessage(method mxp.Method, body any) (*mxp.Message, error) {
	return mxp.NewSDP(method, body)
}

// envelope is what sending a message of a call takes: the call, its
// session key and the local instance the call belongs to. It outlives the
// call's actor for farewells sent later.
type envelope struct {
	s      session.Session
	callID string
	key    []byte
	self   peer
}

// encode makes the frames of m, from the call's instance, encrypted with
// the call's session key. to is the far-end device in its fi form; "" (not
// known yet) sends no nvps.to, and neither do Leave, Cancel and Joined.
func (e envelope) encode(to string, m *mxp.Message) ([]string, error) {
	m.From(mxp.Sender{User: e.s.UserID(), Instance: e.self.instance, SignalChannel: e.self.channel})
	m.Address(to)
	return mxp.Encode(e.callID, e.key, m)
}

// send publishes m on channel and returns once the server took it.
func (e envelope) send(ctx context.Context, channel, to string, m *mxp.Message) error {
	frames, err := e.encode(to, m)
	if err == nil {
		err = publishFrames(ctx, e.s, channel, frames)
	}
	if err != nil {
		return fmt.Errorf("sending %v: %w", m.Method, err)
	}
	return nil
}

func (a *actor) envelope() envelope {
	return envelope{s: a.c.s, callID: a.c.id, key: a.key, self: a.self}
}

// post sends m on channel through the call's outbox (outbox.go), without
// waiting; order says what it waits for there. Shutdown cancels it, and
// the realtime transport bounds it by the client's RequestTimeout. failed,
// if not nil, runs on the actor if m cannot be sent; else a failure is
// logged.
func (a *actor) post(channel, to string, m *mxp.Message, order sendOrder, failed func(*actor, error)) {
	a.postThen(channel, to, m, order, nil, failed)
}

// postThen is post, with sent run on the actor once m is published.
func (a *actor) postThen(channel, to string, m *mxp.Message, order sendOrder, sent func(*actor), failed func(*actor, error)) {
	frames, err := a.envelope().encode(to, m)
	if err != nil {
		err = fmt.Errorf("sending %v: %w", m.Method, err)
		if failed != nil {
			failed(a, err)
		} else {
			a.c.log.Debug("message not sent", "method", m.Method, "err", err)
		}
		return
	}
	if a.out == nil {
		a.out = newOutbox(a.ctl.ctx, a.c.s, a.c.inbox, a.c.log)
	}
	a.out.post(outgoing{channel: channel, method: m.Method, frames: frames, order: order, sent: sent, failed: failed})
}

// failCall is the failed callback of a message without which the call
// cannot go on (Ack, Join).
func failCall(a *actor, err error) { a.fail(err) }

// startOutbound builds the offer and asks the server to route the call.
func (a *actor) startOutbound(req ocra.CreateCallRequest) {
	a.self = a.localInstance()
	a.timer.arm(a, a.timeouts().OutboundNoAnswer, func() { a.end(NoAnswer, nil, true) })
	if !a.c.s.Connected() {
		a.fail(errSignallingDown())
		return
	}
	offer, err := a.offer()
	if err != nil {
		a.fail(err)
		return
	}
	a.mids = rtc.MediaIDs(offer.SDP)
	req.SDP = ocra.SessionDescription{Type: offer.Type.String(), SDP: offer.SDP}
	rest, cr := a.c.s.REST()
	resp, err := rest.CreateCall(a.ctl.ctx, cr, req) // bounded by RequestTimeout in the REST client
	if err != nil {
		a.fail(restError(err))
		return
	}
	key, err := base64.StdEncoding.DecodeString(resp.MXPEncryptionKey)
	if err != nil || !validKeySize(len(key)) {
		a.fail(&errs.SinchError{Domain: errs.API, Message: "the server answered the call with an unusable session key"})
		return
	}
	if resp.MXPSignalChannel == "" {
		a.fail(&errs.SinchError{Domain: errs.API, Message: "the server answered the call without its signal channel (mxpSignalChannel)"})
		return
	}
	a.key, a.routed = key, true
	a.virtual = resp.MXPSignalChannel
	for _, in := range resp.Instances {
		if in.ID == "" {
			continue
		}
		if a.callees == nil {
			a.callees = make(map[string]bool, len(resp.Instances))
		}
		a.callees[in.ID] = true
	}
	a.setState(Progressing)
	for _, cand := range a.localICE {
		a.sendCandidate(cand)
	}
	a.localICE = nil
	early := a.early
	a.early = nil
	for _, p := range early {
		a.receive(p)
	}
}

func validKeySize(n int) bool { return n == 16 || n == 24 || n == 32 }

// onLocalCandidate sends a gathered ICE candidate to the other side: to
// every callee device until one answered, then to that one.
func (a *actor) onLocalCandidate(cand webrtc.ICECandidateInit) {
	if len(a.local) < maxLocalCandidates {
		a.local = append(a.local, cand)
	}
	if a.ackDue {
		a.ack() // its answer carries the candidate
		return
	}
	if a.key == nil {
		if len(a.localICE) < maxLocalCandidates {
			a.localICE = append(a.localICE, cand)
		}
		return
	}
	a.sendCandidate(cand)
}

// A candidate that cannot be sent is logged: it is sent again if the
// channel comes back before media connects (resendLocal), and the peer's
// checks may connect meanwhile.
func (a *actor) sendCandidate(cand webrtc.ICECandidateInit) {
	m, err := sdpMessage(mxp.PeerEvent, rtc.NewCandidate(cand))
	switch {
	case err != nil:
		a.c.log.Debug("ICE candidate not sent", "err", err)
	case a.c.dir == Outbound && !a.answered:
		a.post(a.virtual, "", m, candidate, nil) // every device: no one to address yet
	default:
		a.post(a.peer.channel, a.peer.fi, m, candidate, nil)
	}
}

// resendLocal sends the call's local candidates again, when the realtime
// channel came back before media connected: those published around the
// reconnect may have been lost (a WebSocket relay keeps no backlog, and a
// send may fail while the client reconnects). A peer ignores a candidate it
// already has.
func (a *actor) resendLocal() {
	if a.connected || a.key == nil || a.ended() {
		return
	}
	for _, cand := range a.local {
		a.sendCandidate(cand)
	}
}

// errSignallingDown fails a call placed, or still being set up, while the
// client is reconnecting.
func errSignallingDown() error {
	return &errs.SinchError{Domain: errs.Network, Err: session.ErrNoChannel,
		Message: "the client is reconnecting to the server, so the callee's answer cannot reach this call: call again after OnClientReconnected"}
}

// localInstance is this client's instance, as a new call records it.
func (a *actor) localInstance() peer {
	id := a.c.s.InstanceID()
	return peer{instance: id, fi: mxp.FI(id, mxp.DefaultSubInstance), channel: a.c.s.SignalChannel(), user: a.c.s.UserID()}
}

// receive handles a message payload of this call from the signal channel.
func (a *actor) receive(payload string) {
	if a.key == nil {
		if len(a.early) < maxEarlyPayloads {
			a.early = append(a.early, payload)
		}
		return
	}
	m, err := mxp.DecodeMessage(a.key, payload)
	if err != nil {
		a.c.log.Debug("dropping an undecodable message", "err", err)
		return
	}
	if !a.addressedHere(m) {
		a.c.log.Debug("dropping a message addressed elsewhere", "method", m.Method, "to", m.NVPs[mxp.NVPTo])
		return
	}
	if a.c.dir == Outbound {
		a.receiveAsCaller(m)
	} else {
		a.receiveAsCallee(m)
	}
}

// addressedHere reports whether m is for this device: it has no nvps.to,
// or its to is this device's fi or bare instance id.
func (a *actor) addressedHere(m *mxp.Message) bool {
	return m.AddressedTo(a.self.fi, a.self.instance)
}

// learn updates what p knows of its device from a message the device sent:
// the channel it receives on (fs), its fi and its user. Channel names are
// opaque: they come from messages, never from an id.
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

// receiveAsCaller handles what the callee devices send.
func (a *actor) receiveAsCaller(m *mxp.Message) {
	from := m.SenderInstance()
	fromPeer := a.answered && from == a.peer.instance
	if fromPeer {
		a.peer.learn(m)
	}
	switch m.Method {
	case mxp.Ack:
		a.onAck(m)
	case mxp.PeerEvent:
		a.onPeerEvent(m, fromPeer)
	case mxp.Join:
		a.onJoin(m)
	case mxp.Deny:
		if !a.answered {
			a.end(Denied, nil, true) // Cancel tells the other devices
		}
	case mxp.Leave:
		if fromPeer {
			a.end(HungUp, nil, false)
		}
	case mxp.Error:
		if !a.answered || fromPeer {
			a.end(Failure, remoteError(m), !a.answered)
		}
	default:
		a.c.log.Debug("dropping an unexpected message", "method", m.Method)
	}
}

// receiveAsCallee handles what the caller sends.
func (a *actor) receiveAsCallee(m *mxp.Message) {
	if m.SenderInstance() != a.peer.instance {
		a.c.log.Debug("dropping a message from another instance than the caller", "method", m.Method)
		return
	}
	a.peer.learn(m)
	switch m.Method {
	case mxp.PeerEvent:
		a.onPeerEvent(m, true)
	case mxp.Joined:
		chosen, err := mxp.ParseClient(m.Body)
		switch {
		case err != nil:
			a.c.log.Debug("dropping a Joined", "err", err)
		case !chosen.Names(a.self.fi, a.self.instance):
			a.end(OtherDeviceAnswered, nil, false)
		}
	case mxp.Cancel:
		a.end(Canceled, nil, false)
	case mxp.Leave:
		a.end(HungUp, nil, false)
	case mxp.Error:
		a.end(Failure, remoteError(m), false)
	default:
		a.c.log.Debug("dropping an unexpected message", "method", m.Method)
	}
}

// device returns the record of the callee instance that sent m, updated
// from m, creating it while there is room; nil once the call is answered,
// for a device the call initiation response did not name, and for a new
// device whose message names no signal channel (fs), as nothing could be
// sent to it.
func (a *actor) device(m *mxp.Message) *device {
	if a.answered {
		return nil // the other devices are told to stop
	}
	from := m.SenderInstance()
	d := a.devices[from]
	if d == nil {
		if from == "" || m.FromSignalChannel == "" || len(a.devices) >= maxDevices ||
			(a.callees != nil && !a.callees[from]) {
			return nil
		}
		d = &device{peer: peer{instance: from}}
		a.devices[from] = d
	}
	d.learn(m)
	return d
}

// onAck: a callee device got the call and sent its answer. An answer that
// does not answer the offer is dropped. When the device is the call's only
// one, its answer becomes the remote description at once (preconnect).
// The device gets the candidates gathered so far, addressed to it: what
// went to the call's channel before it listened is lost to it, and a 1.x
// device takes candidates only after its Ack (docs/sinch-rtc-1x.md section
// 10, 7). A Join of that device that came first is handled now.
func (a *actor) onAck(m *mxp.Message) {
	answer, err := rtc.ParseDescription(m.Body, webrtc.SDPTypeAnswer)
	if err == nil {
		err = rtc.CheckAnswer(a.mids, answer.SDP)
	}
	d := a.device(m)
	if err != nil || d == nil || d.answer != nil {
		a.c.log.Debug("dropping an Ack", "from", m.SenderInstance(), "known", d != nil, "err", err)
		return
	}
	if err := a.preconnect(d, answer); err != nil {
		a.c.log.Debug("dropping an Ack whose answer WebRTC refused", "from", d.instance, "err", err)
		return
	}
	d.answer = &answer
	if a.state.current() == Progressing {
		a.setState(Ringing)
	}
	a.sendGathered(d)
	if d.joined {
		a.join(d)
	}
}

// sendGathered sends device d, after its Ack, the local candidates
// gathered so far.
func (a *actor) sendGathered(d *device) {
	to := d.fi
	if to == "" {
		to = mxp.FI(d.instance, mxp.DefaultSubInstance)
	}
	for _, cand := range a.local {
		m, err := sdpMessage(mxp.PeerEvent, rtc.NewCandidate(cand))
		if err != nil {
			a.c.log.Debug("ICE candidate not sent to an acking device", "err", err)
			return
		}
		a.post(d.channel, to, m, candidate, nil)
	}
}

// preconnect makes answer, of device d, the remote description when d is
// the only callee device of the call initiation response: ICE and DTLS
// then run while the call rings, and the call is established as soon as
// the device joins. No media flows before (startMedia runs at
// Established). With several devices, or none named, nothing happens: the
// answer of the device that joins is applied then (docs/media.md).
func (a *actor) preconnect(d *device, answer webrtc.SessionDescription) error {
	if len(a.callees) != 1 || a.preconnected != nil {
		return nil
	}
	if err := a.pc.SetRemoteDescription(answer); err != nil {
		return err
	}
	a.preconnected = d
	a.addCandidates(d.candidates)
	d.candidates = nil
	a.c.log.Debug("connecting media while the call rings", "device", d.instance)
	return nil
}

// addCandidates adds remote candidates to the peer connection.
func (a *actor) addCandidates(cands []webrtc.ICECandidateInit) {
	for _, cand := range cands {
		if err := a.pc.AddICECandidate(cand); err != nil {
			a.c.log.Debug("ICE candidate refused", "err", err)
		}
	}
}

// onRemoteCandidate adds a candidate of the peer or of the pre-connected
// device, or keeps one of a callee device that has not answered. A
// candidate for a media section the offer does not have is dropped.
func (a *actor) onRemoteCandidate(m *mxp.Message, fromPeer bool) {
	cand, err := rtc.ParseCandidate(m.Body)
	if err == nil && !rtc.CandidateInMedia(a.mids, cand) {
		err = errors.New("the candidate names a media section the offer does not have")
	}
	if err != nil {
		a.c.log.Debug("dropping a PeerEvent", "from", m.SenderInstance(), "err", err)
		return
	}
	if fromPeer {
		a.addCandidates([]webrtc.ICECandidateInit{cand})
		return
	}
	d := a.device(m)
	switch {
	case d == nil:
		a.c.log.Debug("dropping a candidate of an unknown device, or after the answer", "from", m.SenderInstance())
	case d == a.preconnected:
		a.addCandidates([]webrtc.ICECandidateInit{cand})
	case len(d.candidates) < maxDeviceCandidates:
		d.candidates = append(d.candidates, cand)
	}
}

// onJoin: a callee device answered. A Join that overtook its device's Ack
// waits for the Ack (Sinch peers may deliver them in that order).
func (a *actor) onJoin(m *mxp.Message) {
	d := a.device(m)
	switch {
	case d == nil:
		a.c.log.Debug("dropping a Join", "from", m.SenderInstance(), "answered", a.answered)
	case d.answer == nil:
		a.c.log.Debug("a Join came before its Ack: kept until the Ack", "from", d.instance)
		d.joined = true
	default:
		a.join(d)
	}
}

// join: device d, whose answer is known, answered. The first one wins the
// call; Joined, naming it, tells every device of the callee.
func (a *actor) join(d *device) {
	a.peer = d.peer
	a.devices = nil
	if d != a.preconnected {
		if err := a.pc.SetRemoteDescription(*d.answer); err != nil {
			a.answered = true // the chosen device gets the Leave
			a.fail(fmt.Errorf("the callee's answer was refused: %w", err))
			return
		}
		a.addCandidates(d.candidates)
	}
	// Answered (and, pre-connected, Established) first: telling the other
	// devices is a publish, a round trip that the caller need not wait for.
	a.onAnswered()
	if a.ended() {
		return
	}
	fi := d.fi
	if fi == "" {
		fi = mxp.FI(d.instance, mxp.DefaultSubInstance)
	}
	joined := mxp.NewJoined(mxp.Client{FI: fi, FU: d.user, UserID: d.user, InstanceID: d.instance,
		Channel: d.channel, Domain: mxp.ClientDomain})
	a.post(a.virtual, "", joined, plain, func(a *actor, err error) {
		a.c.log.Info("other devices were not told of the answer", "err", err)
	})
}

// remoteError is the error of a call that an Error message failed.
func remoteError(m *mxp.Message) error {
	var body struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal([]byte(m.Body), &body) != nil || body.Reason == "" {
		body.Reason = "no reason given"
	}
	return &errs.SinchError{Code: body.Code, Domain: errs.Session,
		Message: "the remote party failed the call: " + body.Reason}
}

// invite is what an Invite tells a callee.
type invite struct {
	callID      string
	caller      peer
	user        string
	displayName string
	key         []byte
	offer       webrtc.SessionDescription
	headers     map[string]string
	video       bool
}

// parseInvite decrypts and checks an Invite from the broadcast channel.
func parseInvite(key []byte, callID, payload string) (*invite, error) {
	m, err := mxp.DecodeMessage(key, payload)
	if err != nil {
		return nil, err
	}
	if m.Method != mxp.Invite {
		return nil, fmt.Errorf("%v on the broadcast channel, want Invite", m.Method)
	}
	from := m.SenderInstance()
	if from == "" || m.FromUser == "" {
		return nil, errors.New("the Invite does not name the caller")
	}
	if m.FromSignalChannel == "" {
		return nil, errors.New("the Invite does not name the caller's signal channel (fs)")
	}
	in := &invite{
		callID:      callID,
		caller:      peer{instance: from},
		user:        m.FromUser,
		displayName: m.NVPs[mxp.NVPDisplayName],
	}
	in.caller.learn(m)
	if in.key, err = base64.StdEncoding.DecodeString(m.NVPs[mxp.NVPKey]); err != nil || !validKeySize(len(in.key)) {
		return nil, errors.New("the Invite carries no usable session key")
	}
	if in.offer, err = rtc.ParseDescription(m.NVPs[mxp.NVPSDP], webrtc.SDPTypeOffer); err != nil {
		return nil, err
	}
	if ph := m.NVPs[mxp.NVPHeaders]; ph != "" {
		if err := json.Unmarshal([]byte(ph), &in.headers); err != nil {
			return nil, fmt.Errorf("the Invite headers are not a JSON object of strings: %w", err)
		}
	}
	in.video, _ = strconv.ParseBool(m.NVPs[mxp.NVPVideo])
	return in, nil
}

// handleInvite creates an inbound call from an Invite.
func (c *Controller) handleInvite(callID, payload string) {
	in, err := parseInvite(c.s.InstanceKey(), callID, payload)
	if err != nil {
		c.log.Debug("dropping a broadcast message", "call", callID, "err", err)
		return
	}
	call := newCall(c, callParams{
		id:          callID,
		dir:         Inbound,
		remote:      in.user,
		displayName: in.displayName,
		headers:     in.headers,
		video:       in.video,
		startedAt:   time.Now(),
	})
	early := c.orphans.take(callID)
	if !c.start(call, func(a *actor) { a.startInbound(in) }) {
		c.log.Debug("dropping an Invite of a known call, or during shutdown", "call", callID)
		return
	}
	for _, payload := range early { // what overtook the Invite, after it
		call.inbox.Push(func(a *actor) { a.receive(payload) })
	}
}

// startInbound answers the offer at the WebRTC level; once the Ack is
// sent (ack), the call rings. The answer becomes the local description at
// once, so that pion gathers while the call is set up, and the Ack waits
// for the first local candidate, at most ackCandidateWait, to carry it in
// its answer: a pre-connecting caller then starts ICE as soon as the Ack
// arrives, where a candidate sent after the Ack would come a publish
// later (docs/decisions.md, issue 17). Under a relay-only policy the
// first candidate is a TURN allocation away, so the Ack does not wait.
func (a *actor) startInbound(in *invite) {
	a.key, a.routed, a.peer, a.self = in.key, true, in.caller, a.localInstance()
	a.mids = rtc.MediaIDs(in.offer.SDP)
	a.timer.arm(a, a.timeouts().InboundNoAnswer, func() { a.end(NoAnswer, nil, false) })
	answer, err := a.answerOffer(in.offer)
	if err == nil {
		err = a.startGathering(answer)
	}
	if err != nil {
		a.fail(err)
		return
	}
	a.ackDue = true
	if len(a.local) > 0 || a.c.s.PeerConfig().ICETransportPolicy == webrtc.ICETransportPolicyRelay {
		a.ack()
		return
	}
	a.ackTimer.arm(a, ackCandidateWait, a.ack)
}

// ackCandidateWait bounds how long an inbound call's Ack waits for the
// first local candidate (startInbound); gathering a host candidate takes
// well under a millisecond.
const ackCandidateWait = 10 * time.Millisecond

// ack sends the Ack of the inbound call, with the candidates gathered so
// far in its answer; the call rings once the Ack is published, and fails
// if it cannot be.
func (a *actor) ack() {
	if !a.ackDue || a.ended() {
		return
	}
	a.ackDue = false
	a.ackTimer.stop()
	a.acked = a.pc.LocalDescription()
	ring := func(a *actor) {
		if !a.ended() {
			a.ctl.incoming(a.c)
		}
	}
	if err := a.sendAck(ring, failCall); err != nil {
		a.fail(err)
	}
}

// sendAck sends the caller the inbound call's Ack, which carries its
// answer; sent runs once it is published, failed if it cannot be.
func (a *actor) sendAck(sent func(*actor), failed func(*actor, error)) error {
	ack, err := sdpMessage(mxp.Ack, a.acked)
	if err != nil {
		return err
	}
	a.postThen(a.peer.channel, a.peer.fi, ack, holdsCandidates, sent, failed)
	return nil
}

// answer: the local user answers the ringing inbound call.
func (a *actor) answer() error {
	if s := a.state.current(); s != Ringing {
		return invalidOp("cannot answer call %s: it is %v, not ringing", a.c.id, s)
	}
	a.stampAccepted()
	// Join carries the answer again, with bt "sdp" as 1.x peers expect.
	// It is published after the call is Answered here: a Join that cannot
	// be sent fails the call then.
	join, err := sdpMessage(mxp.Join, a.pc.LocalDescription())
	if err != nil {
		a.fail(err)
		return fmt.Errorf("answering call %s: %w", a.c.id, err)
	}
	a.post(a.peer.channel, a.peer.fi, join, plain, failCall)
	a.onAnswered()
	return nil
}

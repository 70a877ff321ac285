package ocratest

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// CallFromPhone makes the phone number from (E.164) call the app user
// toUser, as a call from the phone network reaches an app through its
// backend: every live instance of the user gets an Invite whose remote user
// is the number, and the one that answers hears the phone. The phone plays
// the tone of its Behaviour (WithPhoneNumber; DefaultToneHz for numbers
// not configured), or echoes when the Behaviour says Echo; it records the
// DTMF it receives (Server.DTMF). It gives up after a minute of ringing.
//
// With a callback URL, the ICE callback comes first (domain "mxp",
// originationType "pstn"); its connectMxp action redirects the call to
// another user and hangup refuses it. CallFromPhone returns once the
// Invites are sent, or an error when from is not E.164, the user has no
// live instance, the backend refused the call or ctx ended first.
func (s *Server) CallFromPhone(ctx context.Context, from, toUser string) error {
	if !isE164(from) {
		return fmt.Errorf("ocratest: CallFromPhone: %s is not an E.164 number", errs.Quote(from))
	}
	callID := newUUID()
	dest := ocra.Destination{Domain: domainApp, Type: ocra.DestUserID, Identity: toUser}
	t, err := s.routeByCallbacks(ctx, callEvent{callID: callID, cli: from, dest: dest, origination: domainPhone})
	if err != nil {
		return fmt.Errorf("ocratest: CallFromPhone: %w", err)
	}
	switch {
	case t.hangup:
		return errors.New("ocratest: CallFromPhone: the backend hung up the call")
	case t.dest.Type != ocra.DestUserID:
		return fmt.Errorf("ocratest: CallFromPhone: the backend routed the call to a %s; a phone can only call app users", t.dest.Type)
	}
	callees := s.liveInstancesOf(t.dest.Identity, "")
	if len(callees) == 0 {
		return fmt.Errorf("ocratest: CallFromPhone: user %s has no live instance", strconv.Quote(t.dest.Identity))
	}
	b := s.opts.phones[from]
	key, keyText := randomKey(s.opts.sessionKeyBytes())
	e := s.newEndpoint(callerRole, from, callID, key, b, s.far.mediaOf(b))
	e.dtmfOf = from
	offer, err := e.buildOffer(ctx)
	if err != nil {
		e.end(outcomeFailed)
		return fmt.Errorf("ocratest: CallFromPhone: %w", err)
	}
	req := ocra.CreateCallRequest{CallID: callID, Destination: t.dest, CLI: from, SDP: offer, PublicCallHeaders: t.headers}
	c := &call{caller: e.id, endpoint: e, key: key, event: callEvent{callID: callID, cli: from, dest: dest, origination: domainPhone}}
	invites := make([][]string, len(callees))
	for i := range callees {
		if invites[i], err = invite(party{user: from, instance: e.id, channel: e.channel}, &callees[i], &req, keyText); err != nil {
			e.end(outcomeFailed)
			return fmt.Errorf("ocratest: CallFromPhone: cannot build the Invite: %w", err)
		}
		c.callees = append(c.callees, callees[i].id)
		e.devices[callees[i].id] = &device{peer: peer{instance: callees[i].id, channel: callees[i].signalChannel}}
	}
	if !s.addCall(callID, c) || !s.far.start(e, func(<-chan struct{}) { e.after(ringTimeout, e.giveUp) }) {
		e.end(outcomeServerClosed)
		return errors.New("ocratest: CallFromPhone: the server is closed")
	}
	s.log.Info("call from a phone routed", "call", callID, "from", from, "callees", c.callees)
	for i, frames := range invites {
		s.publishAll(callees[i].broadcastChannel, frames)
	}
	return nil
}

// buildOffer builds the calling endpoint's peer connection and a complete
// offer, before its goroutine runs.
func (e *endpoint) buildOffer(ctx context.Context) (ocra.SessionDescription, error) {
	if err := e.newPeerConnection(); err != nil {
		return ocra.SessionDescription{}, err
	}
	if err := e.addTrack(); err != nil {
		return ocra.SessionDescription{}, err
	}
	offer, err := e.pc.CreateOffer(nil)
	if err != nil {
		return ocra.SessionDescription{}, err
	}
	if err := e.gathered(offer, ctx.Done()); err != nil {
		return ocra.SessionDescription{}, err
	}
	d := e.pc.LocalDescription()
	return ocra.SessionDescription{Type: d.Type.String(), SDP: d.SDP}, nil
}

// onDeviceMessage handles what an invited app instance sends.
func (e *endpoint) onDeviceMessage(m *mxp.Message) {
	from := m.SenderInstance()
	d := e.devices[from]
	if d == nil {
		e.log.Debug("dropping a message from an instance that was not invited", "method", m.Method)
		return
	}
	d.learn(m)
	fromPeer := !e.answered.IsZero() && from == e.peer.instance
	if fromPeer {
		e.peer.learn(m)
	}
	switch m.Method {
	case mxp.Ack:
		if answer, err := rtc.ParseDescription(m.Body, webrtc.SDPTypeAnswer); err == nil && e.answered.IsZero() && d.answer == nil {
			d.answer = &answer
			if d.joined { // its Join came first
				e.onJoin(d)
			}
		}
	case mxp.PeerEvent:
		c, err := rtc.ParseCandidate(m.Body)
		switch {
		case err != nil:
		case fromPeer:
			e.addCandidate(c)
		case e.answered.IsZero() && len(d.candidates) < maxDeviceCandidates:
			d.candidates = append(d.candidates, c)
		}
	case mxp.Join:
		if d.answer == nil {
			d.joined = true // handled with its Ack
			return
		}
		e.onJoin(d)
	case mxp.Deny:
		if e.answered.IsZero() {
			e.cancelDevices(from)
			e.end(outcomeBusy)
		}
	case mxp.Leave:
		if fromPeer {
			e.end(outcomeCalleeHangup)
		}
	case mxp.Error:
		if e.answered.IsZero() || fromPeer {
			e.end(outcomeFailed)
		}
	default:
		e.log.Debug("dropping an unexpected message", "method", m.Method)
	}
}

// onJoin: device d answered. The first one wins; the others are told.
func (e *endpoint) onJoin(d *device) {
	if !e.answered.IsZero() || d.answer == nil {
		return
	}
	e.stopTimer()
	e.peer = d.peer
	if err := e.pc.SetRemoteDescription(*d.answer); err != nil {
		e.log.Info("the app's answer was refused", "err", err)
		e.fail(d.peer, "the phone cannot use the answer")
		return
	}
	for _, c := range d.candidates {
		e.addCandidate(c)
	}
	chosen := mxp.Client{FI: d.fiOrDefault(), FU: d.user, UserID: d.user, InstanceID: d.instance,
		Channel: d.channel, Domain: mxp.ClientDomain}
	for id, other := range e.devices {
		if id != d.instance {
			e.send(other.peer, mxp.NewJoined(chosen))
		}
	}
	e.devices = map[string]*device{d.instance: d}
	e.onAnswered()
}

// giveUp ends a call from a phone that nobody answered.
func (e *endpoint) giveUp() {
	e.cancelDevices("")
	e.end(outcomeTimeout)
}

// cancelDevices sends Cancel to every invited device but except.
func (e *endpoint) cancelDevices(except string) {
	for id, d := range e.devices {
		if id != except {
			e.send(d.peer, &mxp.Message{Method: mxp.Cancel})
		}
	}
}

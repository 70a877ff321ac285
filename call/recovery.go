package call

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
)

// How the caller restarts ICE when an established call loses its media.
const (
	// iceRestartGrace lets a connection that merely hiccuped come back by
	// itself before the first restart.
	iceRestartGrace = 2 * time.Second
	// iceRestartRetry is how long a restart may take before the next one.
	iceRestartRetry = 5 * time.Second
)

// maxFarewells bounds the farewells kept while the realtime channel is down.
const maxFarewells = 64

// farewell is the Leave, Cancel or Deny of an ended call; to is the peer's
// fi (Deny carries it; Leave and Cancel carry no nvps.to).
type farewell struct {
	env         envelope
	channel, to string
	m           *mxp.Message
}

func (f farewell) send(ctx context.Context) error {
	return f.env.send(ctx, f.channel, f.to, f.m)
}

// keepFarewell keeps a farewell that could not be sent, to be sent once the
// realtime channel is back; the oldest goes when there are too many.
func (c *Controller) keepFarewell(f farewell) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if len(c.farewells) == maxFarewells {
		c.farewells = c.farewells[1:]
	}
	c.farewells = append(c.farewells, f)
}

// ChannelRestored sends the farewells that failed while the realtime
// channel was down, and tells every live call that signalling is back.
func (e *engine) ChannelRestored(instanceChanged bool) {
	ctl := (*Controller)(e)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if farewells := e.farewells; len(farewells) > 0 {
		e.farewells = nil
		ctl.background(func() { sendFarewells(ctl.ctx, farewells, ctl.log) })
	}
	for _, call := range e.calls {
		call.inbox.Push(func(a *actor) { a.onChannelRestored(instanceChanged) })
	}
}

// sendFarewells sends farewells, best effort, within farewellTimeout.
func sendFarewells(ctx context.Context, farewells []farewell, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, farewellTimeout)
	defer cancel()
	for _, f := range farewells {
		if err := f.send(ctx); err != nil {
			log.Info("could not tell the peer that the call ended", "call", f.env.callID, "err", err)
		}
	}
}

// onChannelRestored: the realtime channel is back. With the same instance,
// a ringing callee sends its Ack again and a call not yet connected its
// local candidates (either may have been lost around the reconnect), and a
// caller whose media is down restarts ICE at once. With a new instance,
// messages to the call's instance are lost: a call being set up fails,
// and an established call keeps its peer-to-peer media, deaf to the peer's
// signalling (a hangup there ends it here as lost media, Inactive).
func (a *actor) onChannelRestored(instanceChanged bool) {
	if !instanceChanged {
		a.resendAck()
		a.resendLocal()
	}
	switch {
	case instanceChanged && a.state.current() != Established:
		a.fail(&errs.SinchError{Domain: errs.Network,
			Message: "the server lost this client's registration while the call was being set up, and its signalling with it: call again"})
	case instanceChanged:
		a.c.log.Info("the client has a new instance: the call keeps its media, but the peer's messages can no longer reach it")
	case a.mediaLost && a.c.dir == Outbound:
		a.restartICE()
	}
}

// resendAck sends a ringing inbound call's Ack again (the caller drops a
// second Ack of a device it has heard from).
func (a *actor) resendAck() {
	if a.c.dir != Inbound || a.acked == nil || a.state.current() != Ringing {
		return
	}
	if err := a.sendAck(nil, nil); err != nil {
		a.c.log.Debug("Ack not sent again", "err", err)
	}
}

// onMediaLost: the established call's media connection is down. The call
// waits up to the media-inactive timeout for it to come back, the caller
// restarting ICE meanwhile, then ends Inactive.
func (a *actor) onMediaLost() {
	if a.mediaLost {
		return
	}
	a.mediaLost = true
	inactive := a.timeouts().MediaInactive
	a.c.log.Info("media connection lost; waiting for it to come back", "timeout", inactive)
	a.timer.arm(a, inactive, func() {
		// No farewell: the peer's media is gone too, its own timer ends it.
		a.end(Inactive, &errs.SinchError{Domain: errs.Network,
			Message: fmt.Sprintf("media lost: no media connection with the peer for %v (MediaInactiveTimeout); the peer or the network is gone", inactive)}, false)
	})
	if a.c.dir == Outbound {
		a.iceTimer.arm(a, iceRestartGrace, a.restartICE)
	}
}

// onMediaBack: the media connection of the established call is up again.
func (a *actor) onMediaBack() {
	if !a.mediaLost {
		return
	}
	a.mediaLost = false
	a.timer.stop()
	a.iceTimer.stop()
	a.c.log.Info("media connection restored")
}

// restartICE sends the peer an offer with fresh ICE credentials, as a
// PeerEvent, and tries again after iceRestartRetry until the media is back
// or the call ends.
func (a *actor) restartICE() {
	if !a.mediaLost {
		return
	}
	a.iceTimer.arm(a, iceRestartRetry, a.restartICE)
	offer, err := a.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err == nil {
		err = a.pc.SetLocalDescription(offer)
	}
	if err != nil {
		a.c.log.Info("ICE restart failed", "err", webrtcError("restarting ICE", err))
		return
	}
	a.sendDescription(offer)
}

// sendDescription sends the peer an ICE restart offer or answer.
func (a *actor) sendDescription(d webrtc.SessionDescription) {
	m, err := sdpMessage(mxp.PeerEvent, d)
	if err != nil {
		a.c.log.Info("ICE restart description not sent", "err", err)
		return
	}
	a.post(a.peer.channel, a.peer.fi, m, holdsCandidates, func(a *actor, err error) {
		a.c.log.Info("ICE restart description not sent; an offer is sent again while media is down", "err", err)
	})
}

// onPeerEvent handles a PeerEvent: an ICE candidate, or a renegotiation
// offer or answer (ICE restart) of the peer of an answered call.
func (a *actor) onPeerEvent(m *mxp.Message, fromPeer bool) {
	var d webrtc.SessionDescription
	if json.Unmarshal([]byte(m.Body), &d) != nil || d.SDP == "" {
		a.onRemoteCandidate(m, fromPeer)
		return
	}
	if !fromPeer || !a.answered {
		a.c.log.Debug("dropping a renegotiation outside an answered call", "from", m.SenderInstance())
		return
	}
	if err := a.renegotiate(d); err != nil {
		a.c.log.Info("renegotiation refused", "type", d.Type, "err", err)
	}
}

// renegotiate applies the peer's description: the callee answers an
// offer; the caller sets the answer to its pending offer.
func (a *actor) renegotiate(d webrtc.SessionDescription) error {
	switch {
	case d.Type == webrtc.SDPTypeOffer && a.c.dir == Inbound:
		if err := a.pc.SetRemoteDescription(d); err != nil {
			return err
		}
		answer, err := a.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := a.pc.SetLocalDescription(answer); err != nil {
			return err
		}
		a.sendDescription(answer)
		return nil
	case d.Type == webrtc.SDPTypeAnswer && a.c.dir == Outbound:
		if a.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			return fmt.Errorf("no offer pending (signaling state %v)", a.pc.SignalingState())
		}
		return a.pc.SetRemoteDescription(d)
	}
	return fmt.Errorf("unexpected %v from the %v call's peer", d.Type, a.c.dir)
}

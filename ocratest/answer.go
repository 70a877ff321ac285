package ocratest

import (
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

var (
	errGatherTimeout = errors.New("ICE gathering did not complete")
	errServerClosed  = errors.New("server closed")
)

// answerCall is the first event of an endpoint that an app called: it
// answers the offer as its Behaviour says.
func (e *endpoint) answerCall(caller peer, offer webrtc.SessionDescription, closing <-chan struct{}) {
	e.peer = caller
	switch e.b.Answer {
	case Busy:
		e.send(caller, &mxp.Message{Method: mxp.Deny})
		e.end(outcomeBusy)
		return
	case Fail:
		e.fail(caller, "the far end failed the call")
		return
	}
	if err := e.buildAnswer(offer, closing); err != nil {
		e.log.Info("cannot answer the offer", "err", err)
		e.fail(caller, "the far end cannot answer the offer")
		return
	}
	e.sendDescription(caller, mxp.Ack) // the caller rings
	if e.b.Answer == NoAnswer {
		return // the caller's no-answer timeout cancels the call
	}
	e.after(e.b.AnswerAfter, func() {
		e.sendDescription(e.peer, mxp.Join) // the answer again, bt "sdp"
		e.onAnswered()
	})
}

// buildAnswer sets the caller's offer and a complete answer.
func (e *endpoint) buildAnswer(offer webrtc.SessionDescription, closing <-chan struct{}) error {
	if err := e.newPeerConnection(); err != nil {
		return err
	}
	if err := e.pc.SetRemoteDescription(offer); err != nil {
		return err
	}
	if err := e.addTrack(); err != nil {
		return err
	}
	answer, err := e.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	return e.gathered(answer, closing)
}

// onCallerMessage handles what the calling app instance sends.
func (e *endpoint) onCallerMessage(m *mxp.Message) {
	if m.SenderInstance() != e.peer.instance {
		e.log.Debug("dropping a message from another instance than the caller", "method", m.Method)
		return
	}
	e.peer.learn(m)
	switch m.Method {
	case mxp.PeerEvent:
		if c, err := rtc.ParseCandidate(m.Body); err == nil && e.pc != nil {
			e.addCandidate(c)
		}
	case mxp.Cancel:
		e.end(outcomeCanceled)
	case mxp.Leave:
		e.end(outcomeCallerHangup)
	case mxp.Error:
		e.end(outcomeFailed)
	case mxp.Joined: // the caller confirms that this endpoint answered
	default:
		e.log.Debug("dropping an unexpected message", "method", m.Method)
	}
}

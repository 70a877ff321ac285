package call

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// Bounds of the network operations of a call.
const (
	// farewellTimeout bounds sending Leave, Cancel or Deny at the end.
	farewellTimeout = 3 * time.Second
	// reportTimeout bounds the background POST of the call report.
	reportTimeout = 5 * time.Second
)

// actor owns a call's signalling and media state. Only its goroutine (run)
// touches its fields; everything else talks to it through the call's inbox.
type actor struct {
	c   *Call
	ctl *Controller
	// state is the call's state, owned here and published on c (state.go).
	state stateMachine

	pc          *webrtc.PeerConnection
	audioTrack  *rtc.AudioTrack
	videoTrack  *webrtc.TrackLocalStaticSample
	media       *streams
	stats       *statsSource
	videoPaused bool // PauseVideo is in force

	rtpStarted chan struct{} // closed by pion's OnTrack; see rtpStartPending
	// mids are the media sections of the call's offer: an answer or a
	// candidate naming others is dropped.
	mids []string
	// callees: outbound, the callee devices of the call initiation
	// response; nil when it named none (any device is then taken).
	callees map[string]bool
	// preconnected: outbound, the only callee device, whose answer is the
	// peer connection's remote description since its Ack: ICE and DTLS
	// run while the call rings (docs/media.md). nil otherwise.
	preconnected *device
	// acked: inbound, the answer the Ack carried; a ringing call sends the
	// Ack again when the realtime channel comes back, as one published just
	// before the connection dropped may never have reached the caller.
	acked *webrtc.SessionDescription
	// ackDue: inbound, the Ack waits for the first local candidate
	// (startInbound); ackTimer bounds the wait.
	ackDue   bool
	ackTimer actorTimer
	// out publishes the call's messages (outbox.go); nil until the first.
	out *outbox

	key      []byte // the call's session key; nil until known
	self     peer   // this instance as the call knows it, kept if the client's is replaced
	virtual  string // outbound: the call's signal channel, mxpSignalChannel of POST /calls
	routed   bool   // the server knows the call: it gets a report
	peer     peer   // inbound: the caller; outbound: the device that answered
	devices  map[string]*device
	early    []string                  // outbound: payloads that came before the key
	localICE []webrtc.ICECandidateInit // outbound: candidates gathered before the key
	// local are all the call's local candidates so far: until the call is
	// answered, each callee device gets them again when it acks, as a
	// device may not have been listening when they were first sent
	// (sendGathered); and they are sent again when the realtime channel
	// comes back before media connected, as those published around a
	// reconnect may have been lost (onChannelRestored).
	local     []webrtc.ICECandidateInit
	answered  bool
	connected bool
	mediaLost bool // established, and the media connection is down

	timer    actorTimer // no answer, setup, media inactive
	iceTimer actorTimer // outbound: the next ICE restart
}

// actorTimer runs a function on the actor after a delay. Arming it again
// or stopping it cancels the pending run, even one already queued.
type actorTimer struct {
	t   *time.Timer
	seq int // identifies the current run; stale ones are ignored
}

// arm runs f on a's goroutine after d, in place of the pending run.
func (t *actorTimer) arm(a *actor, d time.Duration, f func()) {
	t.stop()
	seq := t.seq
	t.t = time.AfterFunc(d, func() {
		a.c.inbox.Push(func(*actor) {
			if t.seq == seq {
				f()
			}
		})
	})
}

func (t *actorTimer) stop() {
	t.seq++
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
}

// peer is a device in the call, as its messages name it.
type peer struct {
	instance string
	fi       string // instance:subInstance; "" until known, then nvps.to
	channel  string // its signal channel (fs)
	user     string
}

// Bounds of what a caller keeps of callee devices that have not answered.
const (
	maxDevices          = 32
	maxDeviceCandidates = 64
	maxEarlyPayloads    = 64
	maxLocalCandidates  = 64
)

// device is a callee instance that received an outbound call.
type device struct {
	peer
	answer     *webrtc.SessionDescription // from its Ack
	candidates []webrtc.ICECandidateInit
	joined     bool // its Join came before its Ack
}

func newActor(c *Call) *actor {
	return &actor{c: c, ctl: c.ctl, state: newStateMachine(c.dir), devices: make(map[string]*device)}
}

// run handles events until the call ends.
func (a *actor) run() {
	defer close(a.c.done)
	for range a.c.inbox.Ready() {
		evs, _ := a.c.inbox.Take()
		for _, ev := range evs {
			ev(a)
			if a.ended() {
				a.c.inbox.Close() // what is still pending is dropped
				return
			}
		}
	}
}

// setState moves the call forward, stamps the step's time and tells the
// listeners.
func (a *actor) setState(s State) {
	now := time.Now()
	if !a.transition(s, func(d *Details) { stamp(d, s, now) }) {
		return
	}
	a.c.log.Debug("call state", "state", s)
	switch s {
	case Progressing:
		a.c.emit(func(l Listener) { l.OnCallProgressing(a.c) })
	case Ringing:
		a.c.emit(func(l Listener) { l.OnCallRinging(a.c) })
	case Answered:
		a.c.emit(func(l Listener) { l.OnCallAnswered(a.c) })
	case Established:
		a.c.emit(func(l Listener) { l.OnCallEstablished(a.c) })
	}
}

// timeouts returns the session's call timeouts (the client's settings,
// defaults applied: the defaults live with the builder).
func (a *actor) timeouts() session.Timeouts { return a.c.s.Timeouts() }

// onAnswered records the answer on either side and waits for media.
func (a *actor) onAnswered() {
	a.answered = true
	if a.c.dir == Inbound {
		a.ctl.stopRinging(a.c)
	}
	a.setState(Answered)
	setup := a.timeouts().Setup
	a.timer.arm(a, setup, func() {
		a.end(Failure, &errs.SinchError{
			Domain:  errs.Network,
			Message: fmt.Sprintf("media did not connect within %v of the answer: check that UDP can reach the peer or configure TURN", setup),
		}, true)
	})
	a.maybeEstablish()
}

// maybeEstablish enters Established once the call is answered and its
// peer connection connected, and starts the media.
func (a *actor) maybeEstablish() {
	if !a.answered || !a.connected || a.state.current() != Answered {
		return
	}
	a.timer.stop()
	a.setState(Established)
	a.startMedia()
}

// hangup ends the call on the local side's request, telling the peer.
// On shutdown the call ends HungUp whatever its state.
func (a *actor) hangup(shutdown bool) {
	cause := HungUp
	switch {
	case shutdown || a.answered:
	case a.c.dir == Outbound:
		cause = Canceled
	default:
		cause = Denied
	}
	a.end(cause, nil, true)
}

// fail ends the call with Failure because of err, telling the peer; while
// the client shuts down it ends HungUp instead, as Shutdown promises.
func (a *actor) fail(err error) {
	if a.ctl.ctx.Err() != nil {
		a.end(HungUp, nil, true)
		return
	}
	a.c.log.Info("call failed", "err", err)
	a.end(Failure, err, true)
}

// end ends the call once: it records how, says goodbye to the peer when
// farewell is set, releases the media, forgets the call, reports it in the
// background and finally tells the listeners.
func (a *actor) end(cause EndCause, err error, farewell bool) {
	if a.ended() {
		return
	}
	a.timer.stop()
	a.iceTimer.stop()
	a.ackTimer.stop()
	now := time.Now()
	a.transition(Ended, func(d *Details) {
		stamp(d, Ended, now)
		d.EndCause, d.Error = cause, err
	})
	a.c.log.Debug("call ended", "cause", cause, "err", err)
	if a.out != nil { // what the call posted goes before its farewell
		a.out.flush(farewellTimeout)
	}
	if farewell {
		a.sayGoodbye()
	}
	a.closeMedia()
	a.ctl.remove(a.c)
	if a.routed && !a.c.overLimit { // a declined flood costs no reports
		a.report()
	}
	a.c.emit(func(l Listener) { l.OnCallEnded(a.c) })
}

// sayGoodbye tells the other side that this one ends the call: Leave to
// the peer of an answered call, Cancel to every callee device of an
// unanswered outbound call, Deny to the caller of an unanswered inbound one.
func (a *actor) sayGoodbye() {
	if a.key == nil {
		return // the call never reached anyone
	}
	f := farewell{env: a.envelope(), channel: a.peer.channel, to: a.peer.fi}
	switch {
	case a.answered:
		f.m = leaveMessage()
	case a.c.dir == Outbound:
		f.channel, f.to, f.m = a.virtual, "", cancelMessage()
	default:
		f.m = denyMessage()
	}
	ctx, cancel := context.WithTimeout(a.ctl.halt, farewellTimeout)
	defer cancel()
	if err := f.send(ctx); err != nil {
		a.c.log.Info("could not tell the peer that the call ended; trying again once the realtime channel is back", "err", err)
		a.ctl.keepFarewell(f)
	}
}

// callReport is the report of the ended call c, made on instance self of
// session s.
func callReport(s session.Session, self peer, c *Call) ocra.CallReport {
	d := c.Details()
	rep := ocra.CallReport{
		ReportID:     newUUID(),
		CallID:       c.id,
		Instance:     ocra.ReportInstance{ID: self.instance, DeviceID: s.DeviceID(), Version: s.ClientVersion()},
		UserID:       s.UserID(),
		Direction:    strings.ToLower(c.dir.String()),
		RemoteUserID: c.remote,
		StartTime:    d.StartedTime.UTC(),
		EndTime:      d.EndedTime.UTC(),
		Duration:     d.Duration.Seconds(),
		Result:       d.EndCause.String(),
	}
	if d.Error != nil {
		rep.Error = d.Error.Error()
	}
	return rep
}

// report POSTs the call report in the background, best effort.
func (a *actor) report() {
	rep := callReport(a.c.s, a.self, a.c)
	rest, cr := a.c.s.REST()
	log, halt := a.c.log, a.ctl.halt
	a.ctl.background(func() {
		ctx, cancel := context.WithTimeout(halt, reportTimeout)
		defer cancel()
		if err := rest.ReportCall(ctx, cr, rep); err != nil {
			log.Info("call report not delivered", "err", err)
		}
	})
}

// restError turns a failed POST /calls into the call's error.
func restError(err error) error {
	serr := ocra.RequestError("placing the call", err, func(code int) string {
		if code == ocra.CodeNotFound {
			return "the callee has no registered device online"
		}
		return ""
	})
	serr.Fatal = false // the call failed, not the client
	return serr
}

// ended reports whether the call has ended; only the actor's goroutine
// calls it.
func (a *actor) ended() bool { return a.state.current() == Ended }

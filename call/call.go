package call

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// Call is one call, inbound or outbound. Its methods are safe for
// concurrent use and may be called from callbacks. Getters keep their last
// values after the call ended.
type Call struct {
	ctl *Controller
	s   session.Session
	log *slog.Logger

	id          string
	dir         Direction
	remote      string
	displayName string
	headers     map[string]string
	video       bool

	inbox *dispatch.FIFO[func(*actor)]
	done  chan struct{} // closed when the call's actor has stopped
	// overLimit: an inbound call that came while MaxIncomingCalls others
	// rang; it is declined. Set before its actor starts.
	overLimit bool
	ringSlot  bool // holds one of MaxIncomingCalls; guarded by ctl.mu

	mu        sync.Mutex
	state     State
	details   Details
	muted     bool
	source    audio.Source // set by SetAudioSource; nil: the client's
	sink      audio.Sink   // set by SetAudioSink; nil: the client's
	stats     *statsSource // nil until the call has a peer connection
	listeners dispatch.Listeners[Listener]
	// held are the events that came before the call's first listener
	// (at most maxHeldEvents, the newest kept); heard is set once a
	// listener was added. See AddListener.
	held  []func(Listener)
	heard bool
}

// maxHeldEvents bounds the events a call keeps for its first listener.
const maxHeldEvents = 64

// callParams are the fixed facts of a new call.
type callParams struct {
	id, remote, displayName string
	dir                     Direction
	headers                 map[string]string
	video                   bool
	startedAt               time.Time
}

func newCall(ctl *Controller, p callParams) *Call {
	state := Initiating
	if p.dir == Inbound {
		state = Ringing
	}
	d := Details{StartedTime: p.startedAt, RequestedVideo: p.video}
	if p.dir == Inbound {
		d.RungTime = p.startedAt
	}
	return &Call{
		ctl:         ctl,
		s:           ctl.s,
		log:         ctl.log.With("call", p.id),
		id:          p.id,
		dir:         p.dir,
		remote:      p.remote,
		displayName: p.displayName,
		headers:     maps.Clone(p.headers),
		video:       p.video,
		inbox:       dispatch.NewFIFO[func(*actor)](),
		done:        make(chan struct{}),
		state:       state,
		details:     d,
	}
}

// ID returns the call id, shared by both parties.
func (c *Call) ID() string { return c.id }

// RemoteUserID returns whom the call is with: the remote user id, or the
// phone number, SIP identity or conference id that was called.
func (c *Call) RemoteUserID() string { return c.remote }

// RemoteUserDisplayName returns the caller's display name on an inbound
// call ("" when the caller set none, and on outbound calls).
func (c *Call) RemoteUserDisplayName() string { return c.displayName }

// Direction returns whether the call is inbound or outbound.
func (c *Call) Direction() Direction { return c.dir }

// Headers returns a copy of the call's headers, set by the caller.
func (c *Call) Headers() map[string]string { return maps.Clone(c.headers) }

// State returns the call's current state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Details returns a snapshot of the call's details.
func (c *Call) Details() Details {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.details.withDurations(time.Now())
}

// AddListener adds l; adding it twice, or a nil l, has no effect. It takes
// effect for the callbacks that have not started yet: l gets every event
// delivered after AddListener returns. The call's first listener also gets,
// in order and before anything later, the events that happened before it
// was added (at most the newest 64), so none is lost between CallUser
// returning and AddListener. A method of l named like one of an optional
// interface's but with another signature is logged at Warn (it would never
// be called); check yours at compile time, as ListenerFuncs does.
func (c *Call) AddListener(l Listener) {
	warnNearMisses(c.log, l)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listeners.Add(l) || c.heard {
		return
	}
	c.heard = true
	if len(c.held) > 0 {
		c.s.Post(c.deliverHeld)
	}
}

// deliverHeld runs, on the callback goroutine, the events held for the
// first listener. Whichever runs first, it or the callback of a later
// event, delivers them, so their order is kept.
func (c *Call) deliverHeld() {
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, f := range held {
		c.listeners.Each(f)
	}
}

// RemoveListener removes l. It takes effect for the callbacks that have not
// started yet: once it returns, l gets no callback, not even of an event
// whose delivery to the call's other listeners is under way.
func (c *Call) RemoveListener(l Listener) { c.listeners.Remove(l) }

// Answer answers a ringing inbound call. It fails with an error wrapping
// ErrInvalidOperation on an outbound call and on a call that is not ringing,
// and with one wrapping ErrClientTerminated when the client terminated
// before or while it ran.
func (c *Call) Answer() error {
	if err := c.usable("answer"); err != nil {
		return err
	}
	if c.dir == Outbound {
		return invalidOp("cannot answer call %s: it is outbound", c.id)
	}
	err := c.terminatedMeanwhile("answer", c.request(func(a *actor) error { return a.answer() }))
	if errors.Is(err, errCallEnded) {
		return invalidOp("cannot answer call %s: it has ended", c.id)
	}
	return err
}

// Hangup ends the call: an answered call is hung up (HungUp on both
// sides), an outbound call not yet answered is canceled (Canceled), an
// inbound call not yet answered is declined (Denied). It returns once the
// call has ended. Hanging up an ended call does nothing and returns nil.
func (c *Call) Hangup() error {
	if err := c.usable("hang up"); err != nil {
		return err
	}
	err := c.request(func(a *actor) error {
		a.hangup(false)
		return nil
	})
	if errors.Is(err, errCallEnded) {
		return nil
	}
	return err
}

// Mute makes the call send silence instead of its audio source.
func (c *Call) Mute() error { return c.setMuted("mute", true) }

// Unmute makes the call send its audio source again (unless the client's
// audio controller mutes every call).
func (c *Call) Unmute() error { return c.setMuted("unmute", false) }

func (c *Call) setMuted(op string, muted bool) error {
	if err := c.usable(op); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.muted = muted
	return nil
}

// PauseVideo stops sending video frames on a video call: once it returns,
// no frame is sent until ResumeVideo. It fails with an error wrapping
// ErrInvalidOperation on an audio-only or ended call.
func (c *Call) PauseVideo() error { return c.setVideoPaused("pause video", true) }

// ResumeVideo sends video again after PauseVideo, from the source's next
// keyframe, so that the far end's decoder can restart.
func (c *Call) ResumeVideo() error { return c.setVideoPaused("resume video", false) }

func (c *Call) setVideoPaused(op string, paused bool) error {
	if err := c.usable(op); err != nil {
		return err
	}
	if !c.video {
		return invalidOp("cannot %s on call %s: it is audio only", op, c.id)
	}
	err := c.terminatedMeanwhile(op, c.request(func(a *actor) error {
		a.setVideoPaused(paused)
		return nil
	}))
	if errors.Is(err, errCallEnded) {
		return invalidOp("cannot %s on call %s: it has ended", op, c.id)
	}
	return err
}

// SendDTMF sends keys (0-9, *, #, A-D) to the far end as RFC 4733
// telephone-events, one 100 ms event per key, 60 ms apart, after the keys
// sent before. It returns once they are queued. It fails with an error
// wrapping ErrInvalidArgument for a string with a key outside that set
// (nothing is sent), and ErrInvalidOperation when the call is not
// established or the far end cannot receive DTMF.
func (c *Call) SendDTMF(keys string) error {
	if err := c.usable("send DTMF on"); err != nil {
		return err
	}
	if err := rtc.ValidDTMF(keys); err != nil {
		return errs.Invalid("DTMF keys %s: %v", errs.Quote(keys), err)
	}
	err := c.terminatedMeanwhile("send DTMF on", c.request(func(a *actor) error { return a.sendDTMF(keys) }))
	if errors.Is(err, errCallEnded) {
		return invalidOp("cannot send DTMF on call %s: it has ended", c.id)
	}
	return err
}

// Stats returns a snapshot of the call's media statistics; after the call
// ended, the last one taken; before it has media, zero Stats.
func (c *Call) Stats() Stats {
	c.mu.Lock()
	src := c.stats
	c.mu.Unlock()
	if src == nil {
		return Stats{}
	}
	return src.collect()
}

// SetAudioSource sets the audio the call sends, from now on; nil restores
// the client's (AudioController) source for this call.
func (c *Call) SetAudioSource(src audio.Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.source = src
}

// SetAudioSink sets where the call's received audio goes, from now on; nil
// restores the client's (AudioController) sink for this call.
func (c *Call) SetAudioSink(sink audio.Sink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sink = sink
}

// String describes the call for logs.
func (c *Call) String() string {
	return fmt.Sprintf("%v call %s with %s", c.dir, c.id, c.remote)
}

// errCallEnded: the call's actor has stopped and takes no more requests.
var errCallEnded = errors.New("call has ended")

// usable refuses every operation once the client has terminated.
func (c *Call) usable(op string) error {
	if err := c.s.Ready(); errors.Is(err, errs.ErrClientTerminated) {
		return fmt.Errorf("cannot %s call %s: %w", op, c.id, err)
	}
	return nil
}

// terminatedMeanwhile turns the error of an operation that failed because
// the client terminated while it ran (the call ended, or its message could
// not be sent) into one wrapping ErrClientTerminated.
func (c *Call) terminatedMeanwhile(op string, err error) error {
	if err == nil {
		return nil
	}
	if terr := c.usable(op); terr != nil {
		return terr
	}
	return err
}

// request runs f on the call's actor and returns its result, or
// errCallEnded when the actor has stopped.
func (c *Call) request(f func(a *actor) error) error {
	result := make(chan error, 1)
	if !c.inbox.Push(func(a *actor) { result <- f(a) }) {
		return errCallEnded
	}
	select {
	case err := <-result:
		return err
	case <-c.done:
		select {
		case err := <-result:
			return err
		default:
			return errCallEnded
		}
	}
}

// emit posts a callback to every listener of the call, as they are when
// it runs.
func (c *Call) emit(f func(l Listener)) {
	c.s.Post(func() {
		c.mu.Lock()
		if !c.heard {
			if len(c.held) == maxHeldEvents {
				c.held = c.held[1:]
			}
			c.held = append(c.held, f)
			c.mu.Unlock()
			return
		}
		held := c.held
		c.held = nil
		c.mu.Unlock()
		for _, h := range held { // the first listener's, before this event
			c.listeners.Each(h)
		}
		c.listeners.Each(f)
	})
}

// update changes the call's state and details under its lock.
func (c *Call) update(f func(state *State, d *Details)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.state, &c.details)
}

// mediaSettings returns what the audio goroutines need each frame.
func (c *Call) mediaSettings() (muted bool, src audio.Source, sink audio.Sink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.muted, c.source, c.sink
}

func invalidOp(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errs.ErrInvalidOperation, fmt.Sprintf(format, args...))
}

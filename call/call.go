package call

import (
	"context"
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
// concurrent use and may be called from callbacks.
//
// Besides the listeners, a goroutine can wait for a call the Go way: Done
// is closed once it has ended, WaitEstablished and WaitEnded wait with a
// context.
//
// One rule holds for every method on a call that has ended:
//   - getters (ID, RemoteUserID, RemoteUserDisplayName, Direction, State,
//     Details, Headers, IsMuted, Stats, Done) keep their last values;
//   - Hangup does nothing and returns nil: the call is already what Hangup
//     asks for, so a deferred Hangup is always safe;
//   - every other method that would change the call (Answer, Mute,
//     Unmute, PauseVideo, ResumeVideo, SendDTMF, SetAudioSource,
//     SetAudioSink) changes nothing and returns an error wrapping both
//     ErrCallEnded and sinch.ErrInvalidOperation, whatever its arguments;
//   - AddListener and RemoveListener work as on a live call.
//
// After the client terminated (its calls end HungUp), every method that
// returns an error returns one wrapping sinch.ErrClientTerminated instead,
// Hangup included; the getters and waits still tell how the call ended.
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

	mu sync.Mutex
	// state is the published copy of the actor's state (see state.go);
	// only publish changes it. changed is closed and replaced on every
	// change, waking WaitEstablished.
	state     State
	changed   chan struct{}
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
	d := Details{StartedTime: p.startedAt, RequestedAudio: true, RequestedVideo: p.video}
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
		state:       initialState(p.dir),
		changed:     make(chan struct{}),
		details:     d,
	}
}

// ErrCallEnded says that the call has ended. The errors of methods refused
// on an ended call wrap it (see Call), and so does WaitEstablished's when
// the call ended without being established.
var ErrCallEnded = errors.New("sinch: call has ended")

// ID returns the call id, shared by both parties.
func (c *Call) ID() string { return c.id }

// RemoteUserID returns whom the call is with: the remote user id, or the
// phone number, SIP identity or conference id that was called.
func (c *Call) RemoteUserID() string { return c.remote }

// RemoteUserDisplayName returns the caller's display name on an inbound
// call: what the caller's client set with SetDisplayName, carried in the
// Invite. It is "" when the caller set none (Sinch's own SDKs send it only
// in push payloads, so calls from them have none), and on outbound calls,
// as callees send no display name.
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

// Done returns a channel that is closed once the call has ended and let
// go of everything: its State is Ended and its Details are final
// (EndCause, Error, EndedTime), its goodbye to the peer was sent or given
// up, its media stopped. OnCallEnded is delivered on the callback
// goroutine independently: it may run before or after a receive from Done
// returns. As Done does not wait for callbacks, a callback may wait on it
// without deadlock.
func (c *Call) Done() <-chan struct{} { return c.done }

// WaitEstablished blocks until the call is established and returns nil,
// or until it has ended without having been established and returns an
// error wrapping ErrCallEnded (and Details().Error for a failed call,
// sinch.ErrClientTerminated when the client terminated), or until ctx is
// done and returns ctx's error. A call that was established and has ended
// since returns nil. A nil ctx is an error wrapping
// sinch.ErrInvalidArgument.
func (c *Call) WaitEstablished(ctx context.Context) error {
	if ctx == nil {
		return errs.Invalid("WaitEstablished: ctx is nil")
	}
	for {
		c.mu.Lock()
		state, d, changed := c.state, c.details, c.changed
		c.mu.Unlock()
		switch {
		case !d.EstablishedTime.IsZero():
			return nil
		case state == Ended:
			return c.endedBeforeEstablished(d)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for call %s to be established: %w", c.id, ctx.Err())
		}
	}
}

// endedBeforeEstablished is WaitEstablished's error for a call that ended
// with details d without having been established.
func (c *Call) endedBeforeEstablished(d Details) error {
	e := &endedError{wraps: []error{ErrCallEnded}}
	if d.Error != nil {
		e.msg = fmt.Sprintf("call %s ended before it was established (%v: %v)", c.id, d.EndCause, d.Error)
		e.wraps = append(e.wraps, d.Error)
	} else {
		e.msg = fmt.Sprintf("call %s ended before it was established (%v)", c.id, d.EndCause)
	}
	if terr := c.usable("wait for"); terr != nil {
		e.wraps = append(e.wraps, errs.ErrClientTerminated)
	}
	return e
}

// WaitEnded blocks until the call has ended (Done is closed) and returns
// its end cause, or until ctx is done and returns None and ctx's error. A
// nil ctx is an error wrapping sinch.ErrInvalidArgument.
func (c *Call) WaitEnded(ctx context.Context) (EndCause, error) {
	if ctx == nil {
		return None, errs.Invalid("WaitEnded: ctx is nil")
	}
	select {
	case <-c.done:
		return c.Details().EndCause, nil
	case <-ctx.Done():
		return None, fmt.Errorf("waiting for call %s to end: %w", c.id, ctx.Err())
	}
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

// Answer answers a ringing inbound call. It returns once the call is
// answered here, without waiting for the network: the Join that tells the
// caller is published in the background, and if it cannot be, the call
// ends with the error (OnCallEnded, Details().Error). It fails with an
// error wrapping ErrInvalidOperation on an outbound call and on a call
// that is not ringing, one wrapping ErrCallEnded too on an ended call, and
// one wrapping ErrClientTerminated when the client terminated before or
// while it ran.
func (c *Call) Answer() error {
	const op = "answer"
	if err := c.live(op); err != nil {
		return err
	}
	if c.dir == Outbound {
		return invalidOp("cannot answer call %s: it is outbound", c.id)
	}
	err := c.terminatedMeanwhile(op, c.request(func(a *actor) error { return a.answer() }))
	if errors.Is(err, errCallEnded) {
		return c.refuseEnded(op)
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

// Mute makes the call send silence instead of its audio source, from now
// on; it may be called before the call has media. On an ended call it
// fails (see Call).
func (c *Call) Mute() error { return c.setMuted("mute", true) }

// Unmute makes the call send its audio source again (unless the client's
// audio controller mutes every call). On an ended call it fails (see Call).
func (c *Call) Unmute() error { return c.setMuted("unmute", false) }

// IsMuted reports whether this call's Mute is in force (the last of Mute
// and Unmute was Mute). The audio controller's Mute, which mutes every
// call, is reported by its own IsMuted; the call sends silence when
// either is in force.
func (c *Call) IsMuted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.muted
}

func (c *Call) setMuted(op string, muted bool) error {
	return c.setLocked(op, func() { c.muted = muted })
}

// setLocked runs set under the call's lock unless the client terminated
// or the call has ended, which it checks under the same lock, so that no
// change lands on a call that has ended.
func (c *Call) setLocked(op string, set func()) error {
	if err := c.usable(op); err != nil {
		return err
	}
	c.mu.Lock()
	if c.state == Ended {
		cause := c.details.EndCause
		c.mu.Unlock()
		return c.endedError(op, cause)
	}
	defer c.mu.Unlock()
	set()
	return nil
}

// PauseVideo stops sending video frames on a video call: once it returns,
// no frame is sent until ResumeVideo. It fails with an error wrapping
// ErrInvalidOperation on an audio-only call, and on an ended call (see
// Call).
func (c *Call) PauseVideo() error { return c.setVideoPaused("pause video on", true) }

// ResumeVideo sends video again after PauseVideo, from the source's next
// keyframe, so that the far end's decoder can restart. It fails as
// PauseVideo does.
func (c *Call) ResumeVideo() error { return c.setVideoPaused("resume video on", false) }

func (c *Call) setVideoPaused(op string, paused bool) error {
	if err := c.live(op); err != nil {
		return err
	}
	if !c.video {
		return invalidOp("cannot %s call %s: it is audio only", op, c.id)
	}
	err := c.terminatedMeanwhile(op, c.request(func(a *actor) error {
		a.setVideoPaused(paused)
		return nil
	}))
	if errors.Is(err, errCallEnded) {
		return c.refuseEnded(op)
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
	const op = "send DTMF on"
	if err := c.live(op); err != nil {
		return err
	}
	if err := rtc.ValidDTMF(keys); err != nil {
		return errs.Invalid("DTMF keys %s: %v", errs.Quote(keys), err)
	}
	err := c.terminatedMeanwhile(op, c.request(func(a *actor) error { return a.sendDTMF(keys) }))
	if errors.Is(err, errCallEnded) {
		return c.refuseEnded(op)
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
// the client's (AudioController) source for this call. On an ended call
// it fails and the call keeps no reference to src (see Call).
func (c *Call) SetAudioSource(src audio.Source) error {
	return c.setLocked("set the audio source of", func() { c.source = src })
}

// SetAudioSink sets where the call's received audio goes, from now on; nil
// restores the client's (AudioController) sink for this call. On an ended
// call it fails and the call keeps no reference to sink (see Call).
func (c *Call) SetAudioSink(sink audio.Sink) error {
	return c.setLocked("set the audio sink of", func() { c.sink = sink })
}

// String describes the call for logs.
func (c *Call) String() string {
	return fmt.Sprintf("%v call %s with %s", c.dir, c.id, c.remote)
}

// errCallEnded: the call's actor has stopped and takes no more requests.
var errCallEnded = errors.New("call has ended")

// live refuses op once the client has terminated or the call has ended.
func (c *Call) live(op string) error {
	if err := c.usable(op); err != nil {
		return err
	}
	if c.State() == Ended {
		return c.refuseEnded(op)
	}
	return nil
}

// refuseEnded is the error of op on the ended call.
func (c *Call) refuseEnded(op string) error {
	return c.endedError(op, c.Details().EndCause)
}

func (c *Call) endedError(op string, cause EndCause) error {
	return &endedError{
		msg:   fmt.Sprintf("cannot %s call %s: it has ended (%v)", op, c.id, cause),
		wraps: []error{errs.ErrInvalidOperation, ErrCallEnded},
	}
}

// endedError is an error about an ended call: one sentence, wrapping
// ErrCallEnded and whatever else applies.
type endedError struct {
	msg   string
	wraps []error
}

func (e *endedError) Error() string   { return e.msg }
func (e *endedError) Unwrap() []error { return e.wraps }

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

// update changes the call's details under its lock. The state changes
// only through the actor's transition, which calls publish.
func (c *Call) update(f func(d *Details)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.details)
}

// publish makes next the call's published state, applies f (when not nil)
// to the details in the same step, and wakes the waiters. Only the
// actor's transition calls it, once its state machine accepted next.
func (c *Call) publish(next State, f func(d *Details)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = next
	if f != nil {
		f(&c.details)
	}
	close(c.changed)
	c.changed = make(chan struct{})
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

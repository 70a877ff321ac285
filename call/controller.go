package call

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/hook"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

func init() {
	hook.Provide(func(s session.Session) (*Controller, session.Engine) {
		c := newController(s)
		return c, (*engine)(c)
	})
}

// Destination domains of POST /calls.
const (
	domainApp        = "mxp"
	domainPhone      = "pstn"
	domainSIP        = "sip"
	domainConference = "conference"
)

// Controller places calls and announces incoming ones. Get it from
// SinchClient.CallController. Its methods are safe for concurrent use and
// may be called from callbacks.
type Controller struct {
	s     session.Session
	log   *slog.Logger
	reasm *mxp.Reassembler
	// orphans and reasm belong to the realtime channel's read goroutine.
	orphans orphans

	// ctx bounds the network operations of calls; Shutdown cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	actors sync.WaitGroup // one per live call
	tasks  sync.WaitGroup // background call reports

	// halt bounds the goodbyes of ended calls (farewells, reports), which
	// outlive ctx: it ends when Shutdown's context does.
	halt       context.Context
	haltCancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	calls     map[string]*Call
	ringing   int        // inbound calls holding a ringing slot (incoming.go)
	farewells []farewell // not sent while the realtime channel was down
	listeners dispatch.Listeners[ControllerListener]
}

func newController(s session.Session) *Controller {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{
		s:      s,
		log:    s.Logger(),
		reasm:  mxp.NewReassembler(0, 0),
		ctx:    ctx,
		cancel: cancel,
		calls:  make(map[string]*Call),
	}
	c.halt, c.haltCancel = context.WithCancel(context.Background())
	return c
}

// CallUser calls the user with id userID (app to app, audio only). headers
// travel to the callee (Call.Headers); they may hold MaxHeadersSize bytes.
// The call is returned at once, Initiating; its listeners follow it.
func (c *Controller) CallUser(userID string, headers map[string]string) (*Call, error) {
	return c.callUser(userID, headers, false)
}

// CallUserVideo is CallUser for a video call.
func (c *Controller) CallUserVideo(userID string, headers map[string]string) (*Call, error) {
	return c.callUser(userID, headers, true)
}

func (c *Controller) callUser(userID string, headers map[string]string, video bool) (*Call, error) {
	return c.place(ocra.Destination{Domain: domainApp, Type: ocra.DestUserID, Identity: userID}, headers, video, func() error {
		if err := ocra.CheckUserID(userID); err != nil {
			return errs.Invalid("user id to call %v", err)
		}
		return nil
	})
}

// CallPhoneNumber calls a phone number in E.164 form ("+" and up to 15
// digits). The client needs a caller identifier (SinchClientBuilder.CallerIdentifier).
func (c *Controller) CallPhoneNumber(number string, headers map[string]string) (*Call, error) {
	return c.place(ocra.Destination{Domain: domainPhone, Type: ocra.DestPhoneNumber, Identity: number}, headers, false, func() error {
		if err := checkPhoneNumber(number); err != nil {
			return err
		}
		if c.s.CallerIdentifier() == "" {
			return errs.Invalid("a phone call needs a caller identifier: set SinchClientBuilder.CallerIdentifier")
		}
		return nil
	})
}

// CallSip calls a SIP identity, "user@host". The name is the JS SDK's
// callSip (api.md), kept as is rather than Go's CallSIP so that the two
// SDKs read alike; staticcheck's default checks do not flag it (ST1003 is
// off), so no lint directive is needed.
func (c *Controller) CallSip(identity string, headers map[string]string) (*Call, error) {
	return c.place(ocra.Destination{Domain: domainSIP, Type: ocra.DestSIP, Identity: identity}, headers, false, func() error {
		return checkSIPIdentity(identity)
	})
}

// CallConference joins the conference with the given id (at most
// MaxConferenceIDLength characters).
func (c *Controller) CallConference(conferenceID string, headers map[string]string) (*Call, error) {
	return c.place(ocra.Destination{Domain: domainConference, Type: ocra.DestConference, Identity: conferenceID}, headers, false, func() error {
		return checkConferenceID(conferenceID)
	})
}

// GetCall returns the live call with the given id, nil when there is none
// (unknown, or already ended).
func (c *Controller) GetCall(id string) *Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

// AddListener adds l; adding it twice, or a nil l, has no effect. It takes
// effect for the callbacks that have not started yet: l is told of every
// incoming call delivered after AddListener returns.
func (c *Controller) AddListener(l ControllerListener) { c.listeners.Add(l) }

// RemoveListener removes l. It takes effect for the callbacks that have not
// started yet: once it returns, l gets no callback, not even of an incoming
// call whose delivery to the controller's other listeners is under way.
func (c *Controller) RemoveListener(l ControllerListener) { c.listeners.Remove(l) }

// place validates what every call needs and starts an outbound call.
func (c *Controller) place(dest ocra.Destination, headers map[string]string, video bool, validate func() error) (*Call, error) {
	ready := c.s.Ready()
	if errors.Is(ready, errs.ErrClientTerminated) { // wins over every other error
		return nil, fmt.Errorf("cannot call %s: %w", errs.Quote(dest.Identity), ready)
	}
	if err := validate(); err != nil {
		return nil, err
	}
	if err := checkHeaders(headers); err != nil {
		return nil, err
	}
	if ready != nil {
		return nil, fmt.Errorf("cannot call %s: %w", errs.Quote(dest.Identity), ready)
	}
	var cli string
	if dest.Type == ocra.DestPhoneNumber {
		cli = c.s.CallerIdentifier()
	}
	call := newCall(c, callParams{
		id:        newUUID(),
		dir:       Outbound,
		remote:    dest.Identity,
		headers:   headers,
		video:     video,
		startedAt: time.Now(),
	})
	req := ocra.CreateCallRequest{
		CallID:            call.id,
		Destination:       dest,
		CLI:               cli,
		Video:             video,
		PublicCallHeaders: call.headers,
		DisplayName:       c.s.DisplayName(),
	}
	if !c.start(call, func(a *actor) { a.startOutbound(req) }) {
		return nil, fmt.Errorf("cannot call %s: %w", errs.Quote(dest.Identity), errs.ErrClientTerminated)
	}
	return call, nil
}

// start registers call and runs its actor, first handling first. It fails
// once Shutdown has begun or when the id is taken.
func (c *Controller) start(call *Call, first func(*actor)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.calls[call.id] != nil {
		return false
	}
	c.calls[call.id] = call
	c.admitLocked(call)
	c.actors.Add(1)
	a := newActor(call)
	call.inbox.Push(first)
	go func() {
		defer c.actors.Done()
		a.run()
	}()
	return true
}

// remove forgets an ended call.
func (c *Controller) remove(call *Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls[call.id] == call {
		delete(c.calls, call.id)
	}
	c.stopRingingLocked(call)
}

// incoming tells the listeners of a new inbound call.
func (c *Controller) incoming(call *Call) {
	c.s.Post(func() {
		c.listeners.Each(func(l ControllerListener) { l.OnIncomingCall(c, call) })
	})
}

// background runs f on a goroutine that Shutdown waits for.
func (c *Controller) background(f func()) {
	c.tasks.Add(1)
	go func() {
		defer c.tasks.Done()
		f()
	}()
}

// engine is the Controller as its client drives it (session.Engine), kept
// apart so that Controller exports only the public API.
type engine Controller

// HandleMessage takes a frame from the realtime channel: what arrives on
// another channel than the instance's signal channel (the broadcast
// channel, whatever the server named it) is an Invite and may create an
// inbound call; everything else goes to the call its session id names.
// Frames that cannot be parsed, and messages of unknown calls, are dropped.
func (e *engine) HandleMessage(channel, message string) {
	f, err := mxp.ParseFrame(message)
	if err != nil {
		e.log.Debug("dropping a realtime message that is not an MXP frame", "channel", channel, "err", err)
		return
	}
	payload, complete, err := e.reasm.Add(f, time.Now())
	if err != nil {
		e.log.Debug("dropping an MXP frame", "channel", channel, "call", f.SessionID, "err", err)
		return
	}
	if !complete {
		return
	}
	ctl := (*Controller)(e)
	if channel != e.s.SignalChannel() {
		ctl.handleInvite(f.SessionID, payload)
		return
	}
	call := ctl.GetCall(f.SessionID)
	if call == nil {
		if !e.orphans.keep(f.SessionID, payload, time.Now()) {
			e.log.Debug("dropping a message of an unknown call", "channel", channel, "call", f.SessionID)
		}
		return
	}
	call.inbox.Push(func(a *actor) { a.receive(payload) })
}

// Shutdown ends every live call with HungUp, telling the peers, and waits
// for the calls' goroutines and their reports. New calls are refused.
// Once ctx is done, the farewells and reports in flight are abandoned.
func (e *engine) Shutdown(ctx context.Context) {
	defer context.AfterFunc(ctx, e.haltCancel)()
	defer e.haltCancel()
	e.mu.Lock()
	e.closed = true
	calls := make([]*Call, 0, len(e.calls))
	for _, call := range e.calls {
		calls = append(calls, call)
	}
	e.mu.Unlock()
	for _, call := range calls {
		call.inbox.Push(func(a *actor) { a.hangup(true) })
	}
	// Abort the network operations in flight; farewells have their own
	// short deadline.
	e.cancel()
	e.actors.Wait()
	e.tasks.Wait()
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

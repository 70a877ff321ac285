package sinch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// engineListener is how the registration engine reports to its client.
// The engine calls it from its own goroutine, never while holding a lock.
type engineListener interface {
	// credentialsRequired asks the application for a registration token,
	// answered through reg. It reports false when nobody can answer.
	credentialsRequired(reg ClientRegistration) bool
	// registered: the instance is registered and its realtime connection
	// up, for the first time since Start.
	registered()
	// failed: the registration is lost for good. The engine has closed the
	// realtime connection (no message reaches the call engine any more) and
	// deleted the instance before it says so.
	failed(err *SinchError)
	// reconnecting: the realtime connection was lost because of cause.
	reconnecting(cause error)
	// reconnected: the realtime connection is back, maybe for a new instance.
	reconnected()
}

// engineConfig is what the engine takes from the builder.
type engineConfig struct {
	userID, deviceID   string
	requestTimeout     time.Duration
	credentialsTimeout time.Duration
	pingInterval       time.Duration
	maxReconnects      int
	reconnectDelay     func(attempt int) time.Duration
	realtime           realtimeOptions
}

// engine is a client's registration engine: it owns the client's instance
// at Ocra and the realtime connection subscribed to the instance's
// channels, keeps both up (instance extension, configuration refresh,
// pings), recovers them (reconnect, or register a new instance when the
// server lost the old one) and tears them down. SinchClient keeps the
// lifecycle and the listeners; the engine reports to it through
// engineListener. What it has registered is published as one immutable
// snapshot that the call engine reads (see session.go).
type engine struct {
	cfg    engineConfig
	rest   *ocra.Client
	calls  session.Engine // receives every realtime message
	events engineListener
	log    *slog.Logger

	// dial opens the realtime connection; dialRealtime, replaced by tests.
	dial func(ctx context.Context, inst *instance, deliver pubsub.Handler, resume *pubsub.Cursor) (pubsub.Conn, error)

	ctx    context.Context // ends on stop (Terminate)
	cancel context.CancelFunc
	wg     sync.WaitGroup // the run goroutines

	// halt bounds what is still sent to the server once stop began
	// (creating an instance in flight, deleting the instance): it ends
	// when stop's context does.
	halt       context.Context
	haltCancel context.CancelFunc

	// cur is the published registration; nil when there is none. Only the
	// run goroutine (and stop, after it ended) replaces it.
	cur atomic.Pointer[snapshot]
}

// snapshot is what the engine has registered: the instance and, while
// connected, its realtime connection. Never modified once published.
type snapshot struct {
	inst *instance
	conn *channel // nil while reconnecting: publishing fails at once
}

func newEngine(cfg engineConfig, rest *ocra.Client, calls session.Engine, events engineListener, log *slog.Logger) *engine {
	e := &engine{cfg: cfg, rest: rest, calls: calls, events: events, log: log}
	e.dial = e.dialRealtime
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.halt, e.haltCancel = context.WithCancel(context.Background())
	return e
}

// current returns the published registration, nil when there is none.
func (e *engine) current() *snapshot { return e.cur.Load() }

// start registers the client on a goroutine of its own, then keeps it
// registered until stop. The outcome arrives through events.
func (e *engine) start() {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.run(e.ctx)
	}()
}

// stop ends the engine for good: it cancels whatever is in progress, waits
// for its goroutines, closes the realtime connection and deletes the
// instance. An instance being created when stop is called is deleted once
// its creation returns (createInstance). Once ctx is done, the requests
// still in flight are abandoned: stop then returns promptly.
func (e *engine) stop(ctx context.Context) {
	defer context.AfterFunc(ctx, e.haltCancel)()
	defer e.haltCancel()
	e.cancel()
	e.wg.Wait()
	e.teardown(e.cur.Swap(nil))
}

// run registers, reports it, and keeps the registration until ctx ends or
// it is lost for good.
func (e *engine) run(ctx context.Context) {
	inst, conn, serr := e.register(ctx)
	if serr != nil {
		if ctx.Err() == nil {
			e.fail(serr) // register left nothing behind
		}
		return
	}
	e.cur.Store(&snapshot{inst: inst, conn: conn})
	e.log.Info("client started", "instance", inst.creds.InstanceID)
	e.events.registered()
	if serr := e.keep(ctx); serr != nil && ctx.Err() == nil {
		e.fail(serr)
	}
}

// fail ends the registration because of err: the realtime connection is
// closed, and its deliveries to the call engine stopped, and the instance
// deleted, before the client hears of it, so that a Start from
// OnClientFailed (or after WaitStarted) never runs beside the old
// connection.
func (e *engine) fail(err *SinchError) {
	e.teardown(e.cur.Swap(nil))
	e.log.Warn("client failed", "err", err)
	e.events.failed(err)
}

// teardown closes s's realtime connection and deletes its instance, each
// bounded by RequestTimeout.
func (e *engine) teardown(s *snapshot) {
	if s == nil {
		return
	}
	if s.conn != nil {
		s.conn.close()
	}
	e.deleteInstance(s.inst)
}

// deleteInstance unregisters inst, bounded by RequestTimeout whatever
// happened to the engine's context, and by stop's context.
func (e *engine) deleteInstance(inst *instance) {
	if inst == nil {
		return
	}
	if err := e.rest.DeleteInstance(e.halt, inst.creds); err != nil {
		e.log.Warn("deleting the instance failed; it expires by itself", "instance", inst.creds.InstanceID, "err", err)
	}
}

// register runs the registration: credentials -> instance -> ICE servers
// (when the instance has turn.2; never fatal) -> realtime connection
// subscribed to the instance's channels. On failure nothing is left
// behind: an instance that was created is deleted again.
func (e *engine) register(ctx context.Context) (*instance, *channel, *SinchError) {
	jwt, serr := e.credentials(ctx)
	if serr != nil {
		return nil, nil, serr
	}
	inst, serr := e.createInstance(ctx, jwt)
	if serr != nil {
		return nil, nil, serr
	}
	if ctx.Err() != nil { // stopped while the instance was being created
		e.deleteInstance(inst)
		return nil, nil, terminatedError("registering")
	}
	inst = e.fetchICEServers(ctx, inst)
	conn, err := e.connect(ctx, inst, nil)
	if err != nil {
		e.deleteInstance(inst)
		return nil, nil, requestError("opening the realtime channel", err)
	}
	return inst, conn, nil
}

// createInstance registers a new instance with jwt. The request is not
// cancelled by stop (only bounded by RequestTimeout, and by stop's
// context): if it were, the server could create an instance whose answer
// nobody reads, left behind until it expires. register deletes it when
// stop came meanwhile.
func (e *engine) createInstance(ctx context.Context, jwt string) (*instance, *SinchError) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer context.AfterFunc(e.halt, cancel)()
	defer cancel()
	resp, err := e.rest.CreateInstance(rctx, jwt, ocra.CreateInstanceRequest{
		UserID:       e.cfg.userID,
		DeviceID:     e.cfg.deviceID,
		Capabilities: capabilities(),
		Version:      sdkVersion(),
	})
	if err != nil {
		return nil, requestError("creating the instance", err)
	}
	inst, serr := newInstance(resp)
	if serr != nil {
		// Delete what the server created, if its secret lets us.
		if secret, err := ocra.DecodeSecret(resp.Instance.Secret); err == nil && resp.Instance.ID != "" {
			e.deleteInstance(&instance{creds: ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret}})
		}
		return nil, serr
	}
	return inst, nil
}

// fetchICEServers asks for the instance's STUN and TURN servers when it
// has turn.2, and returns inst with them. A failure is logged and the
// servers are asked for again at the next configuration refresh: calls
// work without them on open networks, so it never fails a registration.
func (e *engine) fetchICEServers(ctx context.Context, inst *instance) *instance {
	if !inst.has(capTURN) {
		return inst
	}
	servers, err := e.rest.ICEServers(ctx, inst.creds)
	next := *inst
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("fetching the ICE servers failed; calls use the builder's ICEServers until the next configuration refresh", "err", err)
		}
		next.iceStale = true
		return &next
	}
	next.iceServers, next.iceStale = toWebRTC(servers), false
	return &next
}

// connect opens the realtime connection of inst and subscribes it to the
// instance's channels; its messages go to the call engine. resume, when
// set, continues a previous connection of the same instance. A handshake
// refused for a bad timestamp (the clock is off and no request has
// corrected it yet) is retried once after a signed request corrected it.
func (e *engine) connect(ctx context.Context, inst *instance, resume *pubsub.Cursor) (*channel, error) {
	ch := newChannel(e.calls.HandleMessage)
	conn, err := e.dial(ctx, inst, ch.deliver, resume)
	var apiErr *ocra.APIError
	if errors.As(err, &apiErr) && apiErr.Code == ocra.CodeBadTimestamp {
		_, cerr := e.rest.Config(ctx, inst.creds) // corrects the signing clock
		if cerr == nil {
			conn, err = e.dial(ctx, inst, ch.deliver, resume)
		}
	}
	if err != nil {
		return nil, err
	}
	ch.conn = conn
	return ch, nil
}

// terminatedError is what a step stopped by Terminate returns; nobody
// hears it (Terminate is not a failure).
func terminatedError(step string) *SinchError {
	return &SinchError{Domain: errs.Generic, Message: step + " stopped: the client was terminated", Err: errs.Described(ErrClientTerminated)}
}

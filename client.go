package sinch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/internal/session"
	"github.com/sinch-rtc-go/sinch/video"
)

// clientState is where a client is in its lifecycle:
//
//	idle -> starting -> started -> (terminated)
//	           \-> failed -> starting (Start again)
//
// Any state may go to terminated, which is final.
type clientState int

const (
	stateIdle clientState = iota
	stateStarting
	stateStarted
	stateFailed
	stateTerminated
)

// SinchClient is a registered user of Sinch In-app Calling. Build one with
// GetSinchClientBuilder. All methods are safe for concurrent use.
//
// The client keeps the lifecycle, the listeners and the controllers; its
// registration engine (engine.go) registers it at Ocra and keeps it
// registered, and reports back through engineListener.
type SinchClient struct {
	settings config // fixed at Build, defaults applied
	log      *slog.Logger
	queue    *dispatch.Queue
	api      *webrtc.API
	reg      *engine

	callController  *call.Controller
	calls           session.Engine
	audioController *audio.Controller
	videoController *video.Controller
	defaults        mediaDefaults

	done chan struct{} // closed on Terminate

	mu          sync.Mutex
	state       clientState
	changed     chan struct{} // closed and replaced on every state change
	failure     error
	listeners   dispatch.Listeners[SinchClientListener]
	displayName string
}

func newClient(cfg config, base string) (*SinchClient, error) {
	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{} // RequestTimeout is applied per request by the REST client
	}
	rest, err := ocra.NewClient(base, hc, ocra.WithVersion(Version), ocra.WithRequestTimeout(cfg.requestTimeout))
	if err != nil {
		return nil, errs.Invalid("EnvironmentHost: %v", err)
	}
	api, err := rtc.NewAPI(rtc.Config{Loopback: cfg.loopbackOnly, Customize: cfg.webrtcSettings, PCMUOnly: cfg.pcmuOnly,
		ICETransportPolicy: cfg.iceTransportPolicy})
	if err != nil {
		return nil, fmt.Errorf("sinch: WebRTC setup: %w", err)
	}
	log := cfg.logger.With("sinch.user", cfg.userID)
	c := &SinchClient{
		settings: cfg,
		log:      log,
		queue:    dispatch.New(dispatch.WithLogger(log)),
		api:      api,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
	}
	c.audioController, c.defaults.audio = newAudioController(c.done)
	c.videoController, c.defaults.video = newVideoController(c.done)
	ctrl, calls := newCallController(clientSession{c})
	c.callController, c.calls = ctrl, calls

	realtime := newRealtimeOptions(hc)
	if realtime.notFound != "" {
		c.log.Warn("HTTPClient's Transport is not an *http.Transport and has no Unwrap() http.RoundTripper method: " +
			"the realtime channel uses the system's proxy and TLS settings")
	}
	c.reg = newEngine(engineConfig{
		userID:             cfg.userID,
		deviceID:           cfg.deviceID,
		requestTimeout:     cfg.requestTimeout,
		credentialsTimeout: cfg.credentialsTimeout,
		pingInterval:       cfg.pingInterval,
		maxReconnects:      cfg.maxReconnects,
		reconnectDelay:     cfg.reconnectDelay,
		realtime:           realtime,
	}, rest, calls, clientEvents{c}, c.log)
	return c, nil
}

// AddListener adds l; adding it twice, or a nil l, has no effect. It takes
// effect for the callbacks that have not started yet: l gets every event
// delivered after AddListener returns. Add listeners before Start: the
// first OnCredentialsRequired is asked of the listeners there are then. A
// method of l named like ReconnectListener's but with another signature is
// logged at Warn (it would never be called); check yours at compile time:
//
//	var _ sinch.ReconnectListener = (*myListener)(nil)
func (c *SinchClient) AddListener(l SinchClientListener) {
	for _, m := range dispatch.NearMisses(l, (*ReconnectListener)(nil)) {
		c.log.Warn("sinch: a client listener's method does not match ReconnectListener; fix its signature", "mismatch", m)
	}
	c.listeners.Add(l)
}

// RemoveListener removes l. It takes effect for the callbacks that have not
// started yet: once it returns, l gets no callback, not even of an event
// whose delivery to the client's other listeners is under way.
func (c *SinchClient) RemoveListener(l SinchClientListener) { c.listeners.Remove(l) }

// Start registers the client. It returns at once; the outcome arrives as
// OnClientStarted or OnClientFailed (or use WaitStarted). It fails only when
// the client is starting or started (ErrAlreadyStarted) or terminated
// (ErrClientTerminated). A client that failed may be started again.
func (c *SinchClient) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateTerminated:
		return fmt.Errorf("start: %w", ErrClientTerminated)
	case stateStarting, stateStarted:
		return ErrAlreadyStarted
	}
	c.setStateLocked(stateStarting, nil)
	c.reg.start()
	return nil
}

// WaitStarted blocks until the client has started (nil), failed (the
// *SinchError), been terminated (ErrClientTerminated) or ctx is done. On a
// client that Start was never called on it returns an error wrapping
// ErrNotStarted at once, as nothing could start it meanwhile. A nil ctx
// is an error wrapping ErrInvalidArgument.
func (c *SinchClient) WaitStarted(ctx context.Context) error {
	if ctx == nil {
		return errs.Invalid("WaitStarted: ctx is nil")
	}
	for {
		c.mu.Lock()
		state, failure, changed := c.state, c.failure, c.changed
		c.mu.Unlock()
		switch state {
		case stateIdle:
			return fmt.Errorf("%w: call Start before WaitStarted", ErrNotStarted)
		case stateStarted:
			return nil
		case stateFailed:
			return failure
		case stateTerminated:
			return ErrClientTerminated
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// IsStarted reports whether the client is registered and can call.
func (c *SinchClient) IsStarted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateStarted
}

// Terminate hangs up every live call (they end with HungUp), deletes the
// instance, closes every connection and stops every goroutine of the client.
// It is idempotent and may be called from a callback. Callbacks already
// queued (such as OnCallEnded of the calls it hung up) still run, after
// Terminate returns if it was called from a callback.
//
// Terminate is TerminateContext with a deadline of RequestTimeout (10 s by
// default): however the server stalls, it returns about that long after
// it was called at the latest (plus the time a callback it waits for
// takes). Use TerminateContext for another bound.
func (c *SinchClient) Terminate() {
	ctx, cancel := context.WithTimeout(context.Background(), c.settings.requestTimeout)
	defer cancel()
	_ = c.TerminateContext(ctx)
}

// TerminateContext is Terminate with ctx bounding the goodbyes to the
// server: the hangups of live calls, their call reports, the deletion of
// the instance, and waiting for a registration request in flight (so that
// its instance is deleted too). Once ctx is done, what is still in flight
// is abandoned (the peers end their calls by their own timeouts, and an
// instance not deleted expires by itself), and TerminateContext returns as
// soon as every goroutine of the client has stopped, with an error
// wrapping ctx's error. It returns nil when everything finished in time,
// and on a client already terminated. Either way the client is
// terminated. A nil ctx is an error wrapping ErrInvalidArgument, and
// terminates nothing.
func (c *SinchClient) TerminateContext(ctx context.Context) error {
	if ctx == nil {
		return errs.Invalid("TerminateContext: ctx is nil")
	}
	c.mu.Lock()
	if c.state == stateTerminated {
		c.mu.Unlock()
		return nil
	}
	c.setStateLocked(stateTerminated, nil)
	close(c.done)
	c.mu.Unlock()

	c.calls.Shutdown(ctx) // while the channel is still up, to send the hangups
	c.reg.stop(ctx)
	c.queue.Close()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("the client is terminated, but its goodbyes to the server were cut short (an instance not deleted expires by itself): %w", err)
	}
	return nil
}

// CallController returns the client's call controller, the same one each time.
func (c *SinchClient) CallController() *call.Controller { return c.callController }

// AudioController returns the client's audio controller, the same one each time.
func (c *SinchClient) AudioController() *audio.Controller { return c.audioController }

// VideoController returns the client's video controller, the same one each time.
func (c *SinchClient) VideoController() *video.Controller { return c.videoController }

// UserID is the user this client registers as.
func (c *SinchClient) UserID() string { return c.settings.userID }

// ApplicationKey is the application this client belongs to.
func (c *SinchClient) ApplicationKey() string { return c.settings.applicationKey }

// SetDisplayName sets the name callees see as Call.RemoteUserDisplayName.
func (c *SinchClient) SetDisplayName(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateTerminated {
		return fmt.Errorf("set display name: %w", ErrClientTerminated)
	}
	c.displayName = name
	return nil
}

// setStateLocked moves to state and wakes WaitStarted. c.mu is held.
func (c *SinchClient) setStateLocked(state clientState, failure error) {
	c.state, c.failure = state, failure
	close(c.changed)
	c.changed = make(chan struct{})
}

// moveFrom moves from state from to state to, and reports whether it did
// (Terminate may have come first).
func (c *SinchClient) moveFrom(from []clientState, to clientState, failure error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range from {
		if c.state == s {
			c.setStateLocked(to, failure)
			return true
		}
	}
	return false
}

// notify posts f to the callback goroutine, for every listener the client
// has when it runs. It reports whether there was any listener now.
func (c *SinchClient) notify(f func(SinchClientListener)) bool {
	if c.listeners.Len() == 0 {
		return false
	}
	c.queue.Post(func() { c.listeners.Each(f) })
	return true
}

// notifyReconnect posts f for every listener that is a ReconnectListener.
func (c *SinchClient) notifyReconnect(f func(ReconnectListener)) {
	c.notify(func(l SinchClientListener) {
		if rl, ok := l.(ReconnectListener); ok {
			f(rl)
		}
	})
}

// clientEvents is the client as its registration engine reports to it
// (engineListener), kept apart so that SinchClient exports only the
// public API.
type clientEvents struct{ c *SinchClient }

var _ engineListener = clientEvents{}

func (ev clientEvents) credentialsRequired(reg ClientRegistration) bool {
	c := ev.c
	return c.notify(func(l SinchClientListener) { l.OnCredentialsRequired(c, reg) })
}

func (ev clientEvents) registered() {
	c := ev.c
	if c.moveFrom([]clientState{stateStarting}, stateStarted, nil) {
		c.notify(func(l SinchClientListener) { l.OnClientStarted(c) })
	}
}

func (ev clientEvents) failed(err *SinchError) {
	c := ev.c
	if c.moveFrom([]clientState{stateStarting, stateStarted}, stateFailed, err) {
		c.notify(func(l SinchClientListener) { l.OnClientFailed(c, err) })
	}
}

func (ev clientEvents) reconnecting(cause error) {
	c := ev.c
	c.notifyReconnect(func(l ReconnectListener) { l.OnClientReconnecting(c, cause) })
}

func (ev clientEvents) reconnected() {
	c := ev.c
	c.notifyReconnect(func(l ReconnectListener) { l.OnClientReconnected(c) })
}

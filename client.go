package sinch

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
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
	settings SinchClientBuilder // a copy, fixed at Build
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
	listeners   []SinchClientListener
	displayName string
}

func newClient(b *SinchClientBuilder, base string) (*SinchClient, error) {
	hc := b.httpClient
	if hc == nil {
		hc = &http.Client{Timeout: b.requestTimeout}
	}
	rest, err := ocra.NewClient(base, hc, ocra.WithVersion(Version))
	if err != nil {
		return nil, errs.Invalid("EnvironmentHost: %v", err)
	}
	api, err := rtc.NewAPI(rtc.Config{Loopback: b.loopbackOnly, Customize: b.webrtcSettings, PCMUOnly: b.pcmuOnly})
	if err != nil {
		return nil, fmt.Errorf("sinch: WebRTC setup: %w", err)
	}
	log := b.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("sinch.user", b.userID)
	c := &SinchClient{
		settings: *b,
		log:      log,
		queue:    dispatch.New(dispatch.WithLogger(log)),
		api:      api,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
	}
	if c.settings.deviceID == "" {
		c.settings.deviceID = crand.Text()
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
		userID:             b.userID,
		deviceID:           c.settings.deviceID,
		requestTimeout:     b.requestTimeout,
		credentialsTimeout: b.credentialsTimeout,
		pingInterval:       b.pingInterval,
		maxReconnects:      b.maxReconnects,
		reconnectDelay:     b.reconnectDelay,
		realtime:           realtime,
	}, rest, calls, clientEvents{c}, c.log)
	return c, nil
}

// AddListener adds l; it receives the events that happen from now on.
// Adding the same listener twice has no effect.
func (c *SinchClient) AddListener(l SinchClientListener) {
	if l == nil {
		return
	}
	if v := reflect.ValueOf(l); v.Kind() == reflect.Pointer && v.IsNil() {
		return // a typed nil (var l *ClientListenerFuncs) could take no callback
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, have := range c.listeners {
		if sameListener(have, l) {
			return
		}
	}
	c.listeners = append(c.listeners, l)
}

// RemoveListener removes l.
func (c *SinchClient) RemoveListener(l SinchClientListener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, have := range c.listeners {
		if sameListener(have, l) {
			c.listeners = append(c.listeners[:i:i], c.listeners[i+1:]...)
			return
		}
	}
}

// sameListener compares listeners without panicking on incomparable values.
func sameListener(a, b SinchClientListener) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

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
// *SinchError), been terminated (ErrClientTerminated) or ctx is done. A
// nil ctx is an error wrapping ErrInvalidArgument.
func (c *SinchClient) WaitStarted(ctx context.Context) error {
	if ctx == nil {
		return errs.Invalid("WaitStarted: ctx is nil")
	}
	for {
		c.mu.Lock()
		state, failure, changed := c.state, c.failure, c.changed
		c.mu.Unlock()
		switch state {
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
// An instance whose registration request is in flight is deleted once the
// server answered: Terminate then waits for that answer, at most
// RequestTimeout.
func (c *SinchClient) Terminate() {
	c.mu.Lock()
	if c.state == stateTerminated {
		c.mu.Unlock()
		return
	}
	c.setStateLocked(stateTerminated, nil)
	close(c.done)
	c.mu.Unlock()

	c.calls.Shutdown() // while the channel is still up, to send the hangups
	c.reg.stop()
	c.queue.Close()
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

// notify posts f for every listener to the callback goroutine. It reports
// whether there was any listener.
func (c *SinchClient) notify(f func(SinchClientListener)) bool {
	c.mu.Lock()
	ls := append([]SinchClientListener(nil), c.listeners...)
	c.mu.Unlock()
	if len(ls) == 0 {
		return false
	}
	c.queue.Post(func() {
		for _, l := range ls {
			f(l)
		}
	})
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

package sinch

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
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
type SinchClient struct {
	settings SinchClientBuilder // a copy, fixed at Build
	rest     *ocra.Client
	log      *slog.Logger
	queue    *dispatch.Queue
	api      *webrtc.API

	callController  *call.Controller
	engine          session.Engine
	audioController *audio.Controller
	videoController *video.Controller

	ctx    context.Context // ends on Terminate
	cancel context.CancelFunc
	done   chan struct{} // closed on Terminate
	wg     sync.WaitGroup

	mu          sync.Mutex
	state       clientState
	changed     chan struct{} // closed and replaced on every state change
	failure     error
	listeners   []SinchClientListener
	displayName string
	inst        *instance   // set while started
	conn        pubsub.Conn // TRANSPORT-SWITCH: PubNub or the WebSocket
	peerConfig  webrtc.Configuration
}

// instance is this client's registration at Ocra. Once published in
// SinchClient.inst it is never modified: updates replace it.
type instance struct {
	creds    ocra.Credentials
	key      []byte // MXP key of Invites to this instance
	config   ocra.Config
	expireAt time.Time
	// refreshAt is when config is fetched again.
	refreshAt time.Time
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
	api, err := rtc.NewAPI(rtc.Config{Loopback: b.loopbackOnly, Customize: b.webrtcSettings})
	if err != nil {
		return nil, fmt.Errorf("sinch: WebRTC setup: %w", err)
	}
	log := b.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &SinchClient{
		settings: *b,
		rest:     rest,
		log:      log.With("sinch.user", b.userID),
		queue:    dispatch.New(),
		api:      api,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		peerConfig: webrtc.Configuration{
			ICEServers: append([]webrtc.ICEServer(nil), b.iceServers...),
		},
	}
	if c.settings.deviceID == "" {
		c.settings.deviceID = crand.Text()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.audioController = audio.NewController(c.done)
	c.videoController = video.NewController(c.done)
	ctrl, engine := session.NewCallController(clientSession{c})
	c.callController, c.engine = ctrl.(*call.Controller), engine
	return c, nil
}

// AddListener adds l; it receives the events that happen from now on.
// Adding the same listener twice has no effect.
func (c *SinchClient) AddListener(l SinchClientListener) {
	if l == nil {
		return
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
	c.wg.Add(1)
	go c.run()
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
func (c *SinchClient) Terminate() {
	c.mu.Lock()
	if c.state == stateTerminated {
		c.mu.Unlock()
		return
	}
	c.setStateLocked(stateTerminated, nil)
	close(c.done)
	c.mu.Unlock()

	c.engine.Shutdown() // while the channel is still up, to send the hangups
	c.cancel()
	c.wg.Wait()

	c.mu.Lock()
	inst, conn := c.inst, c.conn
	c.inst, c.conn = nil, nil
	c.mu.Unlock()
	c.unregister(inst, conn)
	c.queue.Close()
}

// unregister deletes the instance and closes the realtime channel, both
// bounded by the request timeout.
func (c *SinchClient) unregister(inst *instance, conn pubsub.Conn) {
	if conn != nil {
		_ = conn.Close()
	}
	if inst == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.settings.requestTimeout)
	defer cancel()
	if err := c.rest.DeleteInstance(ctx, inst.creds); err != nil {
		c.log.Warn("deleting the instance failed; it expires by itself", "err", err)
	}
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

// run registers the client, then keeps it registered until Terminate.
func (c *SinchClient) run() {
	defer c.wg.Done()
	inst, conn, err := c.register(c.ctx)
	if err != nil {
		c.fail(err)
		return
	}
	c.mu.Lock()
	if c.state == stateTerminated { // Terminate came while registering
		c.mu.Unlock()
		c.unregister(inst, conn)
		return
	}
	c.inst, c.conn = inst, conn
	c.setStateLocked(stateStarted, nil)
	c.mu.Unlock()
	c.log.Info("client started", "instance", inst.creds.InstanceID)
	c.notify(func(l SinchClientListener) { l.OnClientStarted(c) })
	c.maintain(c.ctx)
}

// fail ends a start attempt, or a started client's registration, with err.
func (c *SinchClient) fail(err *SinchError) {
	c.mu.Lock()
	if c.state == stateTerminated {
		c.mu.Unlock()
		return
	}
	inst, conn := c.inst, c.conn
	c.inst, c.conn = nil, nil
	c.setStateLocked(stateFailed, err)
	c.mu.Unlock()
	c.unregister(inst, conn)
	c.log.Warn("client failed", "err", err)
	c.notify(func(l SinchClientListener) { l.OnClientFailed(c, err) })
}

// register runs the registration state machine: credentials -> instance ->
// ICE servers -> realtime channel subscribed to the instance's channels.
// Each request has its own deadline, RequestTimeout.
func (c *SinchClient) register(ctx context.Context) (*instance, pubsub.Conn, *SinchError) {
	jwt, serr := c.credentials(ctx)
	if serr != nil {
		return nil, nil, serr
	}
	inst, serr := c.createInstance(ctx, jwt)
	if serr != nil {
		return nil, nil, serr
	}
	if err := c.fetchICEServers(ctx, inst); err != nil {
		c.unregister(inst, nil)
		return nil, nil, requestError("fetching ICE servers", err)
	}
	conn, err := c.dialRealtime(ctx, inst, pubsub.Cursor{}) // TRANSPORT-SWITCH
	if err != nil {
		c.unregister(inst, nil)
		return nil, nil, requestError("opening the realtime channel", err)
	}
	return inst, conn, nil
}

func (c *SinchClient) createInstance(ctx context.Context, jwt string) (*instance, *SinchError) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	resp, err := c.rest.CreateInstance(ctx, jwt, ocra.CreateInstanceRequest{
		UserID:       c.settings.userID,
		DeviceID:     c.settings.deviceID,
		Capabilities: []string{"audio", "video", "dtmf"},
		Version:      ocra.Version{OS: runtime.GOOS, Platform: "go " + runtime.Version(), SDK: Version},
	})
	if err != nil {
		return nil, requestError("creating the instance", err)
	}
	return newInstance(resp, time.Now())
}

func newInstance(resp *ocra.CreateInstanceResponse, now time.Time) (*instance, *SinchError) {
	secret, err := ocra.DecodeSecret(resp.Instance.Secret)
	if err != nil {
		return nil, &SinchError{Domain: errs.API, Fatal: true, Message: "the server sent an instance secret that is not base64", Err: err}
	}
	key, err := ocra.DecodeSecret(resp.Config.RTCProfile.Key)
	if err != nil || len(key) != 32 {
		return nil, &SinchError{Domain: errs.API, Fatal: true, Message: "the server sent an MXP key that is not 32 bytes of base64"}
	}
	return &instance{
		creds:     ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret},
		key:       key,
		config:    resp.Config,
		expireAt:  resp.Instance.ExpireAt,
		refreshAt: now.Add(configRefreshInterval(resp.Config)),
	}, nil
}

// minConfigRefresh bounds how often the configuration is fetched, whatever
// the server announces.
const minConfigRefresh = time.Second

// configRefreshInterval is how long a configuration stays current:
// configRefreshIntervalMs, at least minConfigRefresh. A server that
// announces none (0) gets a refresh every day.
func configRefreshInterval(cfg ocra.Config) time.Duration {
	if cfg.ConfigRefreshIntervalMs <= 0 {
		return 24 * time.Hour
	}
	return max(time.Duration(cfg.ConfigRefreshIntervalMs)*time.Millisecond, minConfigRefresh)
}

// fetchICEServers asks for the instance's STUN and TURN servers and uses
// them, with the builder's, for calls placed from now on.
func (c *SinchClient) fetchICEServers(ctx context.Context, inst *instance) error {
	ctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	servers, err := c.rest.ICEServers(ctx, inst.creds)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peerConfig.ICEServers = append([]webrtc.ICEServer(nil), c.settings.iceServers...)
	for _, s := range servers {
		c.peerConfig.ICEServers = append(c.peerConfig.ICEServers, webrtc.ICEServer{
			URLs: s.URLs, Username: s.Username, Credential: s.Password,
		})
	}
	return nil
}

// dialRealtime opens the realtime channel of inst on the transport its
// configuration names (mxpPubSubConfig.transport): PubNub unless it says
// "websocket". Messages of both channels go to the call engine. resume is
// where a PubNub subscription of the same instance stood (zero: now).
// TRANSPORT-SWITCH: the one place that picks the transport.
func (c *SinchClient) dialRealtime(ctx context.Context, inst *instance, resume pubsub.Cursor) (pubsub.Conn, error) {
	cfg := inst.config.RTCConfig.MXPPubSubConfig
	switch cfg.Transport {
	case ocra.TransportWebSocket:
		conn, err := c.connect(ctx, inst)
		if err != nil {
			return nil, err
		}
		return conn, nil
	case "", ocra.TransportPubNub:
	default:
		return nil, &ocra.APIError{Status: http.StatusBadRequest, Code: ocra.CodeValidation,
			Message: fmt.Sprintf("the configuration names realtime transport %q, which this SDK does not speak: update the SDK", cfg.Transport)}
	}
	profile := inst.config.RTCProfile
	conn, err := pubsub.DialPubNub(ctx, pubsub.PubNubOptions{
		Origin:                pubsub.PubNubOrigin(cfg.Hostname, cfg.Port),
		BroadcastSubscribeKey: cfg.BroadcastSubscribeKey,
		BroadcastChannel:      profile.BroadcastChannel,
		SignalSubscribeKey:    cfg.SignalSubscribeKey,
		SignalPublishKey:      cfg.SignalPublishKey,
		SignalChannel:         profile.SignalChannel,
		UUID:                  inst.creds.InstanceID,
		Handler:               c.engine.HandleMessage,
		HTTPClient:            c.settings.httpClient,
		RequestTimeout:        c.settings.requestTimeout,
		Resume:                resume,
		Logger:                c.log,
	})
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// connect opens the WebSocket realtime channel and subscribes to the
// instance's broadcast and signal channels. Messages go to the call engine.
func (c *SinchClient) connect(ctx context.Context, inst *instance) (*pubsub.WSConn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	opts := pubsub.DialOptions{
		Header:           c.rest.PubSubHeader(inst.creds),
		Handler:          c.engine.HandleMessage,
		HandshakeTimeout: c.settings.requestTimeout,
		RequestTimeout:   c.settings.requestTimeout,
		Logger:           c.log,
	}
	if hc := c.settings.httpClient; hc != nil {
		if t, ok := hc.Transport.(*http.Transport); ok {
			opts.TLSConfig = t.TLSClientConfig
		}
	}
	conn, err := pubsub.Dial(ctx, c.rest.PubSubURL(), opts)
	if err != nil {
		return nil, err
	}
	profile := inst.config.RTCProfile
	if err := conn.Subscribe(ctx, profile.BroadcastChannel, profile.SignalChannel); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// credentials asks the listeners for a registration token and waits for the
// first answer.
func (c *SinchClient) credentials(ctx context.Context) (string, *SinchError) {
	reg := &registration{answer: make(chan string, 1)}
	if !c.notify(func(l SinchClientListener) { l.OnCredentialsRequired(c, reg) }) {
		return "", &SinchError{Domain: errs.Generic, Fatal: true,
			Message: "no listener to answer OnCredentialsRequired: call AddListener before Start"}
	}
	timer := time.NewTimer(c.settings.credentialsTimeout)
	defer timer.Stop()
	select {
	case jwt := <-reg.answer:
		if jwt == "" {
			return "", &SinchError{Domain: errs.Generic, Fatal: true,
				Message: "the application answered OnCredentialsRequired with RegisterFailed (or an empty token)"}
		}
		return jwt, nil
	case <-timer.C:
		return "", &SinchError{Domain: errs.Generic, Fatal: true,
			Message: fmt.Sprintf("no answer to OnCredentialsRequired within %v: call Register or RegisterFailed", c.settings.credentialsTimeout)}
	case <-ctx.Done():
		return "", &SinchError{Domain: errs.Generic, Fatal: true, Message: "terminated while waiting for credentials", Err: ErrClientTerminated}
	}
}

// registration takes the first answer to one OnCredentialsRequired.
type registration struct {
	once   sync.Once
	answer chan string // "" means RegisterFailed
}

func (r *registration) Register(jwt string) { r.once.Do(func() { r.answer <- jwt }) }
func (r *registration) RegisterFailed()     { r.once.Do(func() { r.answer <- "" }) }

// maintain keeps a started client registered until Terminate: it pings the
// realtime channel, extends the instance before it expires, refreshes the
// configuration every configRefreshIntervalMs and recovers from a lost
// channel or instance. It fails the client when that is impossible.
func (c *SinchClient) maintain(ctx context.Context) {
	ping := time.NewTicker(c.settings.pingInterval)
	defer ping.Stop()
	var upkeep retrier // failed extensions and configuration refreshes in a row
	for {
		inst, conn := c.registration()
		if inst == nil {
			return
		}
		extendAt := refreshTime(inst, time.Now())
		due := upkeep.next(earlier(extendAt, inst.refreshAt))
		timer := time.NewTimer(time.Until(due))
		var lost error
		select {
		case <-ctx.Done():
		case <-conn.Done():
			lost = conn.Err()
		case <-ping.C:
			lost = c.ping(ctx, conn)
		case <-timer.C:
			lost = c.upkeep(ctx, inst, extendAt, &upkeep)
		}
		timer.Stop()
		if ctx.Err() != nil {
			return
		}
		if lost == nil {
			continue
		}
		var serr *SinchError
		if errors.As(lost, &serr) && serr.Fatal && !isGone(lost) {
			c.fail(serr)
			return
		}
		if serr := c.recover(ctx, lost); serr != nil {
			c.fail(serr)
			return
		}
		if ctx.Err() != nil {
			return
		}
		upkeep = retrier{}
	}
}

// registration returns the current instance and realtime channel.
func (c *SinchClient) registration() (*instance, pubsub.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inst, c.conn
}

// retrier schedules the retries of a periodic task that failed.
type retrier struct {
	failures int
	retryAt  time.Time
}

// next is when the task runs: at due, or at the retry time after failures.
func (r *retrier) next(due time.Time) time.Time {
	if r.failures > 0 {
		return r.retryAt
	}
	return due
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ping checks the realtime channel: a ping must be answered within
// RequestTimeout.
func (c *SinchClient) ping(ctx context.Context, conn pubsub.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("sinch: realtime channel did not answer a ping within %v: %w", c.settings.requestTimeout, err)
	}
	return nil
}

// upkeep extends the instance when extendAt has come, else refreshes its
// configuration. A failure that may pass (network, 5xx) is retried with the
// reconnect backoff and is returned only once MaxReconnects retries failed;
// other failures are returned at once.
func (c *SinchClient) upkeep(ctx context.Context, inst *instance, extendAt time.Time, r *retrier) error {
	var err error
	if time.Now().Before(extendAt) {
		err = c.refreshConfig(ctx, inst)
	} else {
		err = c.extend(ctx, inst)
	}
	var serr *SinchError
	if err == nil || ctx.Err() != nil || !errors.As(err, &serr) || serr.Fatal {
		*r = retrier{}
		return err
	}
	r.failures++
	if max := c.settings.maxReconnects; max >= 0 && r.failures > max {
		return &SinchError{Domain: serr.Domain, Code: serr.Code, Fatal: true,
			Message: fmt.Sprintf("gave up after %d retries (MaxReconnects): %s", r.failures-1, serr.Message), Err: serr.Err}
	}
	delay := c.settings.reconnectDelay(r.failures)
	r.retryAt = time.Now().Add(delay)
	c.log.Warn("instance upkeep failed; retrying", "err", err, "retryIn", delay)
	return nil
}

// refreshTime is when the instance is extended: updateInstanceTtlWindowDays
// before it expires, but never later than two thirds of its remaining life,
// so short-lived instances (test servers) are extended in time.
func refreshTime(inst *instance, now time.Time) time.Time {
	window := time.Duration(inst.config.UpdateInstanceTTLWindowDays * 24 * float64(time.Hour))
	at := inst.expireAt.Add(-window)
	if latest := now.Add(inst.expireAt.Sub(now) * 2 / 3); at.After(latest) {
		at = latest
	}
	return at
}

// extend asks for a fresh token and extends the instance's lifetime.
func (c *SinchClient) extend(ctx context.Context, inst *instance) error {
	jwt, serr := c.credentials(ctx)
	if serr != nil {
		return serr
	}
	rctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	resp, err := c.rest.ExtendInstance(rctx, jwt, inst.creds.InstanceID)
	if err != nil {
		return requestError("extending the instance", err)
	}
	next := *inst
	next.expireAt = resp.ExpireAt
	c.replaceInstance(inst, &next)
	c.log.Info("instance extended", "expireAt", resp.ExpireAt)
	return nil
}

// refreshConfig fetches the instance's configuration and ICE servers again.
// The realtime channels are named after the instance, so a refresh never
// moves them.
func (c *SinchClient) refreshConfig(ctx context.Context, inst *instance) error {
	rctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout)
	defer cancel()
	cfg, err := c.rest.Config(rctx, inst.creds)
	if err != nil {
		return requestError("refreshing the configuration", err)
	}
	if err := c.fetchICEServers(ctx, inst); err != nil {
		return requestError("refreshing the ICE servers", err)
	}
	next := *inst
	next.config.ConfigRefreshIntervalMs = cfg.ConfigRefreshIntervalMs
	next.config.UpdateInstanceTTLWindowDays = cfg.UpdateInstanceTTLWindowDays
	next.refreshAt = time.Now().Add(configRefreshInterval(*cfg))
	c.replaceInstance(inst, &next)
	c.log.Debug("configuration refreshed")
	return nil
}

// replaceInstance publishes next in place of old, unless old has been
// replaced meanwhile. Instances are never modified once published.
func (c *SinchClient) replaceInstance(old, next *instance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inst == old {
		c.inst = next
	}
}

// isGone reports whether err is the server saying the instance is unknown:
// deleted, expired or forgotten. The cure is a new instance.
func isGone(err error) bool {
	var apiErr *ocra.APIError
	return errors.As(err, &apiErr) && apiErr.Code == ocra.CodeNotFound
}

// recover brings the realtime channel back after cause took it down: it
// reconnects with backoff, and registers a new instance (asking for
// credentials) when the server says the old one is gone. The listeners hear
// OnClientReconnecting, then OnClientReconnected. It returns the error that
// ends the client when the attempts run out or one fails for good, and nil
// on success or Terminate.
func (c *SinchClient) recover(ctx context.Context, cause error) *SinchError {
	c.mu.Lock()
	inst, conn := c.inst, c.conn
	c.conn = nil // publishing fails at once while reconnecting
	c.mu.Unlock()
	_ = conn.Close()
	var resume pubsub.Cursor // TRANSPORT-SWITCH: PubNub resumes where it stood
	if pn, ok := conn.(*pubsub.PubNubConn); ok {
		resume = pn.Cursor()
	}
	c.log.Warn("realtime channel lost; reconnecting", "err", cause)
	c.notify(func(l SinchClientListener) {
		if rl, ok := l.(ReconnectListener); ok {
			rl.OnClientReconnecting(c, cause)
		}
	})
	var lostID string // the calls' instance
	if inst != nil {
		lostID = inst.creds.InstanceID
	}
	if isGone(cause) {
		inst = nil
	}
	last := requestError("reconnecting", cause)
	maxAttempts := c.settings.maxReconnects
	for attempt := 1; maxAttempts < 0 || attempt <= maxAttempts; attempt++ {
		next, serr := c.reattach(ctx, inst, resume) // TRANSPORT-SWITCH
		if serr == nil {
			c.log.Info("realtime channel reconnected", "attempts", attempt, "instance", next.creds.InstanceID)
			c.engine.ChannelRestored(next.creds.InstanceID != lostID)
			c.notify(func(l SinchClientListener) {
				if rl, ok := l.(ReconnectListener); ok {
					rl.OnClientReconnected(c)
				}
			})
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if inst != nil && isGone(serr) {
			c.log.Info("the instance is gone; registering a new one", "instance", inst.creds.InstanceID)
			inst, attempt = nil, attempt-1 // at once, and not counted
			continue
		}
		if serr.Fatal {
			return serr
		}
		last = serr
		c.log.Info("reconnect attempt failed", "attempt", attempt, "err", serr)
		if attempt != maxAttempts && !sleep(ctx, c.settings.reconnectDelay(attempt)) {
			return nil
		}
	}
	return &SinchError{Domain: last.Domain, Code: last.Code, Fatal: true,
		Message: fmt.Sprintf("gave up reconnecting after %d attempts (MaxReconnects): %s", maxAttempts, last.Message),
		Err:     last.Err}
}

// reattach opens a realtime channel for inst, or registers a new instance
// when inst is nil, and makes it the client's. It first asks Ocra for the
// instance's configuration: PubNub does not authenticate, so only REST can
// say that the instance is gone (40400, and recover registers a new one).
func (c *SinchClient) reattach(ctx context.Context, inst *instance, resume pubsub.Cursor) (*instance, *SinchError) {
	var conn pubsub.Conn
	if inst != nil {
		rctx, cancel := context.WithTimeout(ctx, c.settings.requestTimeout) // TRANSPORT-SWITCH
		_, err := c.rest.Config(rctx, inst.creds)
		cancel()
		if err != nil {
			return nil, requestError("reconnecting", err)
		}
		if conn, err = c.dialRealtime(ctx, inst, resume); err != nil { // TRANSPORT-SWITCH
			return nil, requestError("reconnecting the realtime channel", err)
		}
	} else {
		var serr *SinchError
		if inst, conn, serr = c.register(ctx); serr != nil {
			return nil, serr
		}
	}
	c.mu.Lock()
	c.inst, c.conn = inst, conn
	c.mu.Unlock()
	return inst, nil
}

// sleep waits d and reports whether it did, rather than being ended by ctx.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// requestError turns a failed Ocra request into a SinchError that keeps the
// server's code and says what to do.
func requestError(step string, err error) *SinchError {
	var apiErr *ocra.APIError
	if errors.As(err, &apiErr) {
		return &SinchError{
			Code:    apiErr.Code,
			Domain:  errs.API,
			Fatal:   apiErr.Status < 500,
			Message: fmt.Sprintf("%s: %s%s", step, apiErr.Message, hint(apiErr.Code)),
			Err:     err,
		}
	}
	if errors.Is(err, context.Canceled) {
		return &SinchError{Domain: errs.Generic, Message: step + ": terminated", Err: ErrClientTerminated}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &SinchError{
			Domain:  errs.Network,
			Message: step + ": Ocra did not answer within RequestTimeout: check EnvironmentHost and the network",
			Err:     err,
		}
	}
	return &SinchError{
		Domain:  errs.Network,
		Message: step + ": cannot reach Ocra: check EnvironmentHost and the network",
		Err:     err,
	}
}

// hint says what to do about a server error code.
func hint(code int) string {
	switch code {
	case ocra.CodeInvalidToken:
		return " (the registration token was refused: check the application secret, and the user id in the token's sub)"
	case ocra.CodeInvalidSignature:
		return " (a request signature was refused: check the system clock)"
	case ocra.CodeBadTimestamp:
		return " (the system clock is more than 15 minutes off: fix it)"
	case ocra.CodeMissingAuth, ocra.CodeWrongScheme:
		return " (the request was not authorized: this is an SDK or server bug)"
	case ocra.CodeNotFound:
		return " (the instance is gone: start the client again)"
	case ocra.CodeServiceUnavailable, ocra.CodeInternal:
		return " (the service failed: try again later)"
	}
	return ""
}

package sinch

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
)

// cursorConn is a realtime connection that knows where its subscription
// stands (PubNub's timetokens). When the connection is lost, the engine
// keeps its cursor and hands it to the next connection of the same
// instance, so that nothing published meanwhile is lost.
type cursorConn interface {
	Cursor() pubsub.Cursor
}

// dialRealtime opens the realtime connection of inst, subscribed to the
// instance's broadcast and signal channels (inst.config.RTCProfile), and
// hands every message to deliver. resume, when set, is where the previous
// connection of the same instance stood.
//
// This is the one place that knows the transports, chosen by the
// configuration's rtcConfig.mxpPubSubConfig.transport: "" or "pubnub" is
// PubNub (real-wire.md section 1) at the configuration's host and port,
// whose requests go through the application's HTTPClient and whose
// connection implements cursorConn; "websocket" is the stand-in of
// protocol.md section 4 on the REST host, which has no cursor.
func (e *engine) dialRealtime(ctx context.Context, inst *instance, deliver pubsub.Handler, resume *pubsub.Cursor) (pubsub.Conn, error) {
	cfg := inst.config.RTCConfig.MXPPubSubConfig
	switch cfg.Transport {
	case "", ocra.TransportPubNub:
		return e.dialPubNub(ctx, inst, deliver, resume)
	case ocra.TransportWebSocket:
		return e.dialWebSocket(ctx, inst, deliver)
	}
	return nil, &ocra.APIError{Status: http.StatusBadRequest, Code: ocra.CodeValidation,
		Message: fmt.Sprintf("the configuration names realtime transport %s, which this SDK does not speak: update the SDK",
			errs.Quote(cfg.Transport))}
}

// dialPubNub subscribes to the instance's channels on PubNub; it returns
// once both first subscribes answered, within RequestTimeout.
func (e *engine) dialPubNub(ctx context.Context, inst *instance, deliver pubsub.Handler, resume *pubsub.Cursor) (pubsub.Conn, error) {
	cfg, profile := inst.config.RTCConfig.MXPPubSubConfig, inst.config.RTCProfile
	o := pubsub.PubNubOptions{
		Origin:                pubsub.PubNubOrigin(cfg.Hostname, cfg.Port),
		BroadcastSubscribeKey: cfg.BroadcastSubscribeKey,
		BroadcastChannel:      profile.BroadcastChannel,
		SignalSubscribeKey:    cfg.SignalSubscribeKey,
		SignalPublishKey:      cfg.SignalPublishKey,
		SignalChannel:         profile.SignalChannel,
		UUID:                  inst.creds.InstanceID,
		Handler:               deliver,
		HTTPClient:            e.cfg.realtime.httpClient,
		RequestTimeout:        e.cfg.requestTimeout,
		Logger:                e.log,
	}
	if resume != nil {
		o.Resume = *resume
	}
	conn, err := pubsub.DialPubNub(ctx, o)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// dialWebSocket dials the WebSocket on the REST host and subscribes.
func (e *engine) dialWebSocket(ctx context.Context, inst *instance, deliver pubsub.Handler) (pubsub.Conn, error) {
	opts := e.cfg.realtime
	conn, err := pubsub.Dial(ctx, e.rest.PubSubURL(), pubsub.DialOptions{
		Header:           e.rest.PubSubHeader(inst.creds),
		Handler:          deliver,
		Transport:        opts.transport,
		HandshakeTimeout: e.cfg.requestTimeout,
		RequestTimeout:   e.cfg.requestTimeout,
		Logger:           e.log,
	})
	if err != nil {
		return nil, opts.explain(err)
	}
	profile := inst.config.RTCProfile
	if err := conn.Subscribe(ctx, profile.BroadcastChannel, profile.SignalChannel); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// realtimeOptions is how the realtime connection reaches the network: through
// the application's HTTPClient, like every REST request.
type realtimeOptions struct {
	// httpClient is the application's client (or the SDK's default); a
	// transport that speaks HTTP (PubNub) sends its requests with it.
	httpClient *http.Client
	// transport is the *http.Transport inside httpClient, found by
	// findTransport; a WebSocket is dialled with its proxy, dialers and TLS
	// settings. nil when there is none: see notFound.
	transport *http.Transport
	// notFound names the RoundTripper in which no *http.Transport was found.
	notFound string
}

func newRealtimeOptions(hc *http.Client) realtimeOptions {
	o := realtimeOptions{httpClient: hc}
	var rt http.RoundTripper = http.DefaultTransport
	if hc != nil && hc.Transport != nil {
		rt = hc.Transport
	}
	if o.transport = findTransport(rt); o.transport == nil {
		o.notFound = fmt.Sprintf("%T", rt)
	}
	return o
}

// maxUnwrap bounds how many middleware layers findTransport looks through.
const maxUnwrap = 8

// findTransport returns the *http.Transport that carries rt's requests: rt
// itself, or the transport a middleware wraps, found through its
// Unwrap() http.RoundTripper method (at most maxUnwrap layers). nil when
// there is none.
func findTransport(rt http.RoundTripper) *http.Transport {
	for range maxUnwrap + 1 {
		switch t := rt.(type) {
		case *http.Transport:
			return t
		case interface{ Unwrap() http.RoundTripper }:
			rt = t.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// explain adds to a failed dial why the HTTPClient's settings may not have
// applied to it.
func (o realtimeOptions) explain(err error) error {
	if o.notFound == "" {
		return err
	}
	return fmt.Errorf("%w (the realtime channel was dialled with the system's proxy and TLS settings: "+
		"HTTPClient's Transport %s is not an *http.Transport and has no Unwrap() http.RoundTripper method that leads to one)",
		err, o.notFound)
}

// channel is a realtime connection as the engine holds it: the connection,
// and the gate through which its messages reach the call engine. Once
// closed, no message of it reaches the call engine, whatever the
// transport's Close promises.
type channel struct {
	conn   pubsub.Conn // set once dialled
	handle pubsub.Handler

	mu     sync.Mutex // held while a message is handed over
	closed bool
}

func newChannel(handle pubsub.Handler) *channel { return &channel{handle: handle} }

// deliver hands a message to the call engine unless the channel is closed.
// The transport calls it on its read goroutine.
func (c *channel) deliver(name, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.handle(name, message)
	}
}

// close stops the deliveries, waiting for one in progress, then closes the
// connection.
func (c *channel) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// cursor returns where the connection stands, when its transport knows.
func (c *channel) cursor() *pubsub.Cursor {
	if cc, ok := c.conn.(cursorConn); ok {
		cur := cc.Cursor()
		return &cur
	}
	return nil
}

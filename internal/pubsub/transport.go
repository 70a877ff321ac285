package pubsub

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Conn is a realtime connection subscribed to one instance's channels, as
// the client's registration engine and call engine use it. Both transports
// implement it: the WebSocket of protocol.md section 4 (*WSConn after
// Subscribe) and PubNub (real-wire.md section 1, *PubNubConn). The call
// engine cannot tell them apart.
type Conn interface {
	// Publish sends message on channel and returns once the server took it.
	Publish(ctx context.Context, channel, message string) error
	// Ping checks that the server answers.
	Ping(ctx context.Context) error
	// Done is closed when the connection is gone; Err then says why.
	Done() <-chan struct{}
	Err() error
	Close() error
}

// PubNubOptions configure DialPubNub: the keys, host and channels come from
// the configuration the server returns at registration
// (rtcConfig.mxpPubSubConfig and rtcProfile).
type PubNubOptions struct {
	// Origin is where PubNub is served: "host[:port]" or "https://host[:port]"
	// mean TLS; plain HTTP only when written "http://host[:port]".
	Origin string
	// The broadcast network: subscribe key only (Invites arrive here).
	BroadcastSubscribeKey string
	BroadcastChannel      string
	// The signal network: subscribe and publish keys (everything after the
	// Invite). Publish always uses this network.
	SignalSubscribeKey string
	SignalPublishKey   string
	SignalChannel      string
	// UUID is the PubNub client id sent with every request (opaque;
	// default: a random one).
	UUID string
	// Handler receives every message of both channels, in order per channel.
	Handler Handler
	// HTTPClient is the application's client; its Transport (TLS settings,
	// proxy, middleware) carries every PubNub request (its Timeout,
	// CheckRedirect and Jar are not used: redirects are never followed).
	// nil, or a nil Transport: a transport of the conn's own with
	// http.DefaultTransport's settings, whose idle connections Close closes.
	HTTPClient *http.Client
	// RequestTimeout bounds publish, time and the first subscribes, and how
	// long polls may keep failing before the conn is gone (default 10 s).
	RequestTimeout time.Duration
	// PollTimeout bounds one long poll (default 320 s: servers hold a poll
	// for up to about 310 s).
	PollTimeout time.Duration
	// Resume continues after a previous connection's cursor, so that nothing
	// published while the client reconnected is lost. Zero: start now.
	Resume Cursor
	Logger *slog.Logger
}

// Cursor is where a PubNub subscription stands: the timetoken and region of
// the last reply, per network.
type Cursor struct {
	Broadcast, Signal Timetoken
}

// Timetoken is PubNub's subscribe cursor: a 17-digit timetoken and a region.
type Timetoken struct {
	T string
	R int
}

// Package pubsub is the realtime channel: the two transports of the Conn
// interface. PubNub (real-wire.md section 1, *PubNubConn) is what Sinch
// serves; the WebSocket of protocol.md section 4 (*WSConn) is the
// alternative a server may offer, with PubNub's publish/subscribe semantics
// over one WebSocket per instance. The Frame type, EncodeFrame and
// DecodeFrame are shared by WSConn and the server side, ocratest's hub
// (ocratest/internal/wshub).
package pubsub

import "context"

// MaxFrameSize is the largest frame either side accepts or sends.
const MaxFrameSize = 64 << 10

// Operations of a Frame.
const (
	OpSubscribe   = "subscribe"   // client -> server
	OpUnsubscribe = "unsubscribe" // client -> server
	OpPublish     = "publish"     // client -> server
	OpPing        = "ping"        // client -> server
	OpMessage     = "message"     // server -> client
	OpAck         = "ack"         // server -> client
	OpPong        = "pong"        // server -> client
	OpError       = "error"       // server -> client
)

// Frame is one JSON text frame on the WebSocket. Message carries the MXP
// frame for publish and message, and the error text for error.
type Frame struct {
	Op       string   `json:"op"`
	ID       uint64   `json:"id,omitempty"`
	Channel  string   `json:"channel,omitempty"`
	Channels []string `json:"channels,omitempty"`
	Message  string   `json:"message,omitempty"`
	Code     int      `json:"code,omitempty"`
}

// PubSub is what the SDK needs of a realtime transport, so that a PubNub
// transport can replace the WebSocket one without touching MXP.
type PubSub interface {
	Subscribe(ctx context.Context, channels ...string) error
	Unsubscribe(ctx context.Context, channels ...string) error
	// Publish returns once the server acknowledged the message.
	Publish(ctx context.Context, channel, message string) error
	Ping(ctx context.Context) error
	// Done is closed when the connection is gone; Err then says why.
	Done() <-chan struct{}
	Err() error
	Close() error
}

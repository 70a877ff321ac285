// Package session is the seam between a client (package sinch) and its call
// engine (package call): what the engine needs of the client, and what the
// client needs of the engine. Neither public package imports the other.
package session

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/video"
)

// Session is a started (or starting) client as its call engine sees it.
// Every method is safe for concurrent use.
type Session interface {
	UserID() string
	// DeviceID and ClientVersion describe this instance in call reports
	// (real-wire.md: instance{id, deviceId, version}).
	DeviceID() string
	ClientVersion() ocra.Version
	DisplayName() string
	CallerIdentifier() string

	// Ready is nil when the client is started, errs.ErrNotStarted before,
	// errs.ErrClientTerminated after Terminate.
	Ready() error
	// Done is closed when the client terminates.
	Done() <-chan struct{}
	// Post runs f on the client's serial callback goroutine. It returns
	// false when the client has terminated and f will not run.
	Post(f func()) bool
	Logger() *slog.Logger

	// InstanceID, InstanceKey and SignalChannel describe the registered
	// instance; valid once Ready is nil.
	InstanceID() string
	InstanceKey() []byte // the MXP key that Invites to this instance use
	SignalChannel() string

	// REST returns the Ocra client and this instance's credentials.
	REST() (*ocra.Client, ocra.Credentials)
	// Connected reports whether the realtime channel is up: false while
	// the client reconnects.
	Connected() bool
	// Publish sends an MXP frame on the realtime channel and waits for the
	// ack. It fails at once with an error wrapping ErrNoChannel while the
	// channel is down.
	Publish(ctx context.Context, channel, message string) error

	// API and PeerConfig are what every PeerConnection of this client is built from.
	API() *webrtc.API
	PeerConfig() webrtc.Configuration
	// PCMUOnly reports that the API negotiates PCMU only (no Opus).
	PCMUOnly() bool
	// OpusComplexity is the Opus encoder complexity the user set, 1 to
	// 10, or 0 for the default.
	OpusComplexity() int

	// Timeouts are the call timeouts the user configured.
	Timeouts() Timeouts
	// MaxIncomingCalls bounds the inbound calls that ring at once (not yet
	// answered or ended), the client's default applied (at least 1).
	MaxIncomingCalls() int

	// Audio settings of the client's audio.Controller.
	AudioMuted() bool
	AudioSource(callID string) audio.Source // the default source for a new call
	AudioSink(callID string) audio.Sink     // the default sink for a new call; nil: none

	// Video settings of the client's video.Controller (nil: none).
	VideoSource(callID string) video.Source
	VideoSink(callID string) video.Sink
}

// Timeouts of calls: the client's settings, each set (the client applies
// the defaults, which live with its builder).
type Timeouts struct {
	OutboundNoAnswer time.Duration
	InboundNoAnswer  time.Duration
	// Setup bounds ICE and DTLS after answer before the call fails.
	Setup time.Duration
	// MediaInactive is how long an established call may be without a
	// media connection (ICE restarts included) before it ends Inactive.
	MediaInactive time.Duration
}

// ErrNoChannel is what Publish fails with while the realtime channel is
// down: the client is reconnecting, or not started.
var ErrNoChannel = errors.New("sinch: realtime channel is not connected")

// Engine is the call engine as its client sees it. Package call implements it.
type Engine interface {
	// HandleMessage takes every message that arrives on the client's
	// realtime channels. It is called on the channel's read goroutine, in
	// order, and must not block.
	HandleMessage(channel, message string)
	// ChannelRestored is called once the realtime channel is back after a
	// loss. instanceChanged is set when the server had lost the instance
	// and the client registered a new one: messages to the old instance's
	// channels no longer reach the client. It must not block.
	ChannelRestored(instanceChanged bool)
	// Shutdown hangs up every live call (they end with HungUp) and waits
	// until their goroutines have stopped. ctx bounds the goodbyes (the
	// hangups sent to peers, the call reports): once it is done, those
	// still in flight are abandoned. Called by Terminate.
	Shutdown(ctx context.Context)
}

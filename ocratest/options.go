package ocratest

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Defaults of the server's options.
const (
	DefaultInstanceTTL           = 30 * 24 * time.Hour
	DefaultTTLWindow             = 7 * 24 * time.Hour
	DefaultConfigRefreshInterval = time.Hour
)

// Option configures NewServer.
type Option func(*options)

type options struct {
	table             *ocra.Table // the REST table; nil: ocra.DefaultTable (tests move its paths)
	appKey, appSecret string
	instanceTTL       time.Duration
	ttlWindow         time.Duration
	refreshInterval   time.Duration
	now               func() time.Time
	logger            *slog.Logger
	tls               bool
	phones            map[string]Behaviour // by E.164 number
	sips              map[string]Behaviour // by SIP identity, without "sip:"
	callbackURL       string
	websocket         bool          // WithWebSocket
	latency           time.Duration // WithLatency
	instanceKeySize   int           // bytes of instances' MXP keys; 0: mxpKeySize
	sessionKeySize    int           // bytes of calls' session keys; 0: sessionKeySize
	legacy            bool          // withLegacyFacade
	legacyExtra       http.Handler  // withLegacyFacade's page handler
	turn              bool          // WithTURN
	icePolicy         string        // WithICETransportPolicy
}

// WithApplication sets the application key and secret (base64) the server
// accepts. By default they are a random UUID and a random 32-byte secret.
func WithApplication(key, secret string) Option {
	return func(o *options) { o.appKey, o.appSecret = key, secret }
}

// WithInstanceTTL sets how long a new instance lives (default 30 days).
// Tests of re-registration use short ones.
func WithInstanceTTL(d time.Duration) Option {
	return func(o *options) { o.instanceTTL = d }
}

// WithTTLWindow sets how long before its expiry a client should extend an
// instance, sent in the configuration as updateInstanceTtlWindowDays
// (default 7 days). It is never more than half the instance TTL.
func WithTTLWindow(d time.Duration) Option {
	return func(o *options) { o.ttlWindow = d }
}

// WithConfigRefreshInterval sets the configRefreshIntervalMs the server
// announces (default 1 hour).
func WithConfigRefreshInterval(d time.Duration) Option {
	return func(o *options) { o.refreshInterval = d }
}

// WithClock sets the server's clock (default time.Now). It drives token and
// instance expiry, the signature skew check, GET /timestamp, the Date header
// and the tokens of Server.Token.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithLogger sets where the server logs what it refuses and routes (default:
// nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithTLS serves HTTPS and WSS with a self-signed certificate; the client of
// Server.Client trusts it.
func WithTLS() Option {
	return func(o *options) { o.tls = true }
}

// WithInstanceKeySize sets the size in bytes of the MXP key the server
// gives each instance (rtcProfile.key): 16, 24 or 32 (default 32). The
// only real instance key seen is 16 bytes (real-wire.md section 2).
func WithInstanceKeySize(n int) Option {
	return func(o *options) { o.instanceKeySize = n }
}

// WithSessionKeySize sets the size in bytes of the session key of each
// call (mxpEncryptionKey and the Invite's nvps.key): 16, 24 or 32 (default
// 32).
func WithSessionKeySize(n int) Option {
	return func(o *options) { o.sessionKeySize = n }
}

func (o *options) instanceKeyBytes() int { return cmp.Or(o.instanceKeySize, mxpKeySize) }
func (o *options) sessionKeyBytes() int  { return cmp.Or(o.sessionKeySize, sessionKeySize) }

// checkKeySizes refuses key sizes AES does not have.
func (o *options) checkKeySizes() error {
	for _, n := range []int{o.instanceKeyBytes(), o.sessionKeyBytes()} {
		if n != 16 && n != 24 && n != 32 {
			return fmt.Errorf("MXP key size %d is not 16, 24 or 32 bytes", n)
		}
	}
	return nil
}

// ttlWindowDays is the window in days, capped at half the instance TTL.
func (o *options) ttlWindowDays() float64 {
	return float64(min(o.ttlWindow, o.instanceTTL/2)) / float64(24*time.Hour)
}

// WithPhoneNumber adds a phone number, in E.164 form, that apps can call
// (CallPhoneNumber) and that can call apps ([Server.CallFromPhone]); b says
// how it behaves. Numbers that are not configured are not found (40400).
func WithPhoneNumber(number string, b Behaviour) Option {
	return func(o *options) {
		if o.phones == nil {
			o.phones = make(map[string]Behaviour)
		}
		o.phones[number] = b
	}
}

// WithSIPIdentity adds a SIP identity, "user@host" (a "sip:" prefix is
// ignored), that apps can call (CallSip); b says how it behaves.
func WithSIPIdentity(identity string, b Behaviour) Option {
	return func(o *options) {
		if o.sips == nil {
			o.sips = make(map[string]Behaviour)
		}
		o.sips[strings.TrimPrefix(identity, sipScheme)] = b
	}
}

// WithCallbackURL makes the server call the application's backend at url
// with Sinch's voice callbacks (ICE, ACE, DiCE), as callbacks.go describes.
// url is an absolute http URL, such as an httptest.Server's.
func WithCallbackURL(url string) Option {
	return func(o *options) { o.callbackURL = url }
}

// WithWebSocket carries the realtime channel over the WebSocket of
// protocol.md section 4, on the REST host at /ocra/v1/pubsub, instead of
// the default PubNub (real-wire.md section 1) on a listener of its own. The
// configuration says which: mxpPubSubConfig.transport is "websocket".
func WithWebSocket() Option {
	return func(o *options) { o.websocket = true }
}

// WithLatency adds d to every REST answer and to every realtime delivery,
// whichever the transport: a slower network, for benchmarks. Order is kept.
func WithLatency(d time.Duration) Option {
	return func(o *options) { o.latency = d }
}

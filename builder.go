package sinch

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// DefaultEnvironmentHost is the Ocra host used when EnvironmentHost is not set.
const DefaultEnvironmentHost = "ocra.api.sinch.com"

// Defaults of the builder's optional settings.
const (
	DefaultRequestTimeout     = 10 * time.Second
	DefaultCredentialsTimeout = time.Minute
	DefaultOutboundNoAnswer   = 45 * time.Second
	DefaultInboundNoAnswer    = 60 * time.Second
	DefaultCallSetupTimeout   = 20 * time.Second
	// DefaultMediaInactiveTimeout: see MediaInactiveTimeout.
	DefaultMediaInactiveTimeout = 30 * time.Second
	DefaultPingInterval         = 30 * time.Second
	// DefaultMaxReconnects: reconnect for as long as the client runs.
	DefaultMaxReconnects = -1
	// DefaultMaxIncomingCalls: see MaxIncomingCalls.
	DefaultMaxIncomingCalls = call.DefaultMaxIncomingCalls
)

// SinchClientBuilder collects a client's settings; Build checks them all.
// Each setter returns the builder, so calls chain. A builder is not safe for
// concurrent use.
type SinchClientBuilder struct {
	applicationKey       string
	environmentHost      string
	userID               string
	callerIdentifier     string
	deviceID             string
	logger               *slog.Logger
	httpClient           *http.Client
	iceServers           []webrtc.ICEServer
	iceTransportPolicy   webrtc.ICETransportPolicy
	loopbackOnly         bool
	pcmuOnly             bool
	opusComplexity       int // 0: rtc.DefaultOpusComplexity
	opusComplexitySet    bool
	webrtcSettings       func(*webrtc.SettingEngine)
	requestTimeout       time.Duration
	credentialsTimeout   time.Duration
	outboundNoAnswer     time.Duration
	inboundNoAnswer      time.Duration
	callSetupTimeout     time.Duration
	mediaInactiveTimeout time.Duration
	pingInterval         time.Duration
	maxReconnects        int
	reconnectDelay       func(attempt int) time.Duration
	maxIncomingCalls     int
}

// GetSinchClientBuilder returns a builder with the defaults set.
func GetSinchClientBuilder() *SinchClientBuilder {
	return &SinchClientBuilder{
		environmentHost:      DefaultEnvironmentHost,
		requestTimeout:       DefaultRequestTimeout,
		credentialsTimeout:   DefaultCredentialsTimeout,
		outboundNoAnswer:     DefaultOutboundNoAnswer,
		inboundNoAnswer:      DefaultInboundNoAnswer,
		callSetupTimeout:     DefaultCallSetupTimeout,
		mediaInactiveTimeout: DefaultMediaInactiveTimeout,
		pingInterval:         DefaultPingInterval,
		maxReconnects:        DefaultMaxReconnects,
		reconnectDelay:       DefaultReconnectDelay,
		maxIncomingCalls:     DefaultMaxIncomingCalls,
	}
}

// ApplicationKey sets the application key from the Sinch dashboard (a UUID).
func (b *SinchClientBuilder) ApplicationKey(key string) *SinchClientBuilder {
	b.applicationKey = key
	return b
}

// EnvironmentHost sets the Ocra host: "ocra.api.sinch.com" or
// "https://host[:port]" use TLS; "http://host:port" (a local test server
// such as ocratest) is plain HTTP, and only when written with that scheme.
func (b *SinchClientBuilder) EnvironmentHost(host string) *SinchClientBuilder {
	b.environmentHost = host
	return b
}

// UserID sets the user this client registers as: at most 255 bytes of
// A-Z a-z 0-9 - _ =.
func (b *SinchClientBuilder) UserID(id string) *SinchClientBuilder {
	b.userID = id
	return b
}

// CallerIdentifier sets the E.164 number shown to phones this client calls;
// CallPhoneNumber needs it.
func (b *SinchClientBuilder) CallerIdentifier(cli string) *SinchClientBuilder {
	b.callerIdentifier = cli
	return b
}

// DeviceID names this device among the user's instances. Default: random.
func (b *SinchClientBuilder) DeviceID(id string) *SinchClientBuilder {
	b.deviceID = id
	return b
}

// Logger sets the structured logger. Default: discard. The SDK never logs a
// token, secret or key.
func (b *SinchClientBuilder) Logger(l *slog.Logger) *SinchClientBuilder {
	b.logger = l
	return b
}

// HTTPClient sets the HTTP client for REST requests and the realtime
// channel (its Transport's TLS settings, proxy and dialers apply to both).
// A middleware RoundTripper that wraps an *http.Transport should have an
// Unwrap() http.RoundTripper method: the WebSocket realtime channel finds
// the Transport's settings through it (up to 8 layers); without it the
// WebSocket falls back to the system's TLS roots and proxy, and a warning
// is logged at Build. Default: a client of its own with RequestTimeout.
func (b *SinchClientBuilder) HTTPClient(c *http.Client) *SinchClientBuilder {
	b.httpClient = c
	return b
}

// ICEServers sets STUN and TURN servers for calls, in addition to those the
// server hands out. Build refuses an entry that no peer connection could
// use (a URL pion cannot parse, a TURN server without username and
// credential), naming it; a bad entry the server hands out is dropped with
// a warning instead, so that it cannot fail calls.
func (b *SinchClientBuilder) ICEServers(servers ...webrtc.ICEServer) *SinchClientBuilder {
	b.iceServers = append([]webrtc.ICEServer(nil), servers...)
	return b
}

// ICETransportPolicy chooses which ICE candidates calls may connect
// through: webrtc.ICETransportPolicyAll (the default: direct, through NAT
// or through a relay, whichever works) or webrtc.ICETransportPolicyRelay,
// through a TURN relay only, as the JavaScript SDK's
// setUseRelayIceCandidatesOnly(true): the far end never learns this
// device's addresses. With Relay, a call connects only when a TURN server
// is known, from ICEServers or handed out by the server (with capability
// turn.2); without one it fails at once (Failure, saying so). A server
// whose configuration asks for relay makes calls relay-only whatever this
// says. Call.Stats tells which candidates a call uses. Build refuses
// other values.
func (b *SinchClientBuilder) ICETransportPolicy(p webrtc.ICETransportPolicy) *SinchClientBuilder {
	b.iceTransportPolicy = p
	return b
}

// LoopbackOnly restricts call media to 127.0.0.1: for tests against
// ocratest and for calls between programs on one host.
func (b *SinchClientBuilder) LoopbackOnly() *SinchClientBuilder {
	b.loopbackOnly = true
	return b
}

// PCMUOnly makes calls negotiate PCMU (G.711, 8 kHz) only, without Opus.
// By default Opus (wideband, with loss concealment and in-band FEC) is
// negotiated first and PCMU is the fallback for peers without Opus; PCMU
// only costs a fraction of Opus's CPU per call (see docs/media.md), for the
// most calls per core. A caller that offers no PCMU is then refused.
func (b *SinchClientBuilder) PCMUOnly() *SinchClientBuilder {
	b.pcmuOnly = true
	return b
}

// OpusComplexity sets the effort of each call's Opus encoder, from 1 (the
// least CPU: about half the encoding cost of the default) to 10 (the best
// quality at a given bitrate); the default is 5. Lower it to carry more
// concurrent Opus calls per core (docs/benchmarks.md has the figures).
// Build fails for a value outside 1..10. PCMU calls ignore it.
func (b *SinchClientBuilder) OpusComplexity(n int) *SinchClientBuilder {
	b.opusComplexity = n
	b.opusComplexitySet = true
	return b
}

// WebRTCSettings is for power users: f is given the pion SettingEngine of
// the client's peer connections after the SDK has set its defaults
// (including those of LoopbackOnly), and may change any of them: UDP port
// ranges, NAT 1:1 IPs, interface filters, ICE timeouts, a virtual network
// (SetNet) in tests. It runs once, in Build. The SDK relies on
// DisableCloseByDTLS staying true. nil removes a previous f.
func (b *SinchClientBuilder) WebRTCSettings(f func(*webrtc.SettingEngine)) *SinchClientBuilder {
	b.webrtcSettings = f
	return b
}

// RequestTimeout bounds each REST request and realtime acknowledgement.
func (b *SinchClientBuilder) RequestTimeout(d time.Duration) *SinchClientBuilder {
	b.requestTimeout = d
	return b
}

// CredentialsTimeout bounds the wait for an answer to OnCredentialsRequired.
func (b *SinchClientBuilder) CredentialsTimeout(d time.Duration) *SinchClientBuilder {
	b.credentialsTimeout = d
	return b
}

// NoAnswerTimeouts sets how long calls ring before they end with NoAnswer:
// outbound (default 45 s) and inbound (default 60 s).
func (b *SinchClientBuilder) NoAnswerTimeouts(outbound, inbound time.Duration) *SinchClientBuilder {
	b.outboundNoAnswer, b.inboundNoAnswer = outbound, inbound
	return b
}

// CallSetupTimeout bounds how long an answered call may take to connect its
// media before it ends with Failure. Default 20 s.
func (b *SinchClientBuilder) CallSetupTimeout(d time.Duration) *SinchClientBuilder {
	b.callSetupTimeout = d
	return b
}

// MediaInactiveTimeout bounds how long an established call may be without
// a media connection before it ends with Inactive. When the connection
// drops, the caller's side restarts ICE (over the realtime channel, once it
// is back) and both sides wait this long for the media to come back.
// Default 30 s.
func (b *SinchClientBuilder) MediaInactiveTimeout(d time.Duration) *SinchClientBuilder {
	b.mediaInactiveTimeout = d
	return b
}

// PingInterval sets how often a started client pings the server on its
// realtime channel. A ping that gets no answer within RequestTimeout counts
// as a lost channel: the client reconnects. Default 30 s.
func (b *SinchClientBuilder) PingInterval(d time.Duration) *SinchClientBuilder {
	b.pingInterval = d
	return b
}

// MaxReconnects sets how many reconnect attempts in a row a started client
// makes after losing its realtime channel before it fails
// (OnClientFailed); -1, the default, means no limit.
func (b *SinchClientBuilder) MaxReconnects(n int) *SinchClientBuilder {
	b.maxReconnects = n
	return b
}

// ReconnectDelay sets how long the client waits after failed reconnect
// attempt number attempt (1, 2, ...) before the next one. nil restores
// DefaultReconnectDelay. The first attempt is made at once.
func (b *SinchClientBuilder) ReconnectDelay(delay func(attempt int) time.Duration) *SinchClientBuilder {
	if delay == nil {
		delay = DefaultReconnectDelay
	}
	b.reconnectDelay = delay
	return b
}

// MaxIncomingCalls bounds the inbound calls that ring at once: received,
// not yet answered or ended. Each costs a WebRTC peer connection (the
// callee's answer travels in its Ack, before the user answers). An Invite
// that comes while n others ring is declined at once, without building
// anything and without OnIncomingCall: the caller's call ends Denied. An
// answered call frees its slot. Default 16 (DefaultMaxIncomingCalls).
func (b *SinchClientBuilder) MaxIncomingCalls(n int) *SinchClientBuilder {
	b.maxIncomingCalls = n
	return b
}

// Bounds of DefaultReconnectDelay.
const (
	minReconnectDelay = 250 * time.Millisecond
	maxReconnectDelay = 30 * time.Second
)

// DefaultReconnectDelay is exponential backoff with jitter: a random delay
// between half and all of 250 ms * 2^(attempt-1), capped at 30 s.
func DefaultReconnectDelay(attempt int) time.Duration {
	d := maxReconnectDelay
	if attempt < 8 { // 250 ms << 7 is past the cap
		d = min(minReconnectDelay<<max(attempt-1, 0), maxReconnectDelay)
	}
	return d/2 + rand.N(d/2+1)
}

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)
)

// Build checks every setting and returns a client, or an error wrapping
// ErrInvalidArgument that names the first bad field.
func (b *SinchClientBuilder) Build() (*SinchClient, error) {
	switch {
	case b.applicationKey == "":
		return nil, errs.Invalid("ApplicationKey is empty: copy the key from the Sinch dashboard")
	case !uuidPattern.MatchString(b.applicationKey):
		return nil, errs.Invalid("ApplicationKey %s is not a UUID", errs.Quote(b.applicationKey))
	case ocra.CheckUserID(b.userID) != nil:
		return nil, errs.Invalid("UserID %v", ocra.CheckUserID(b.userID))
	case b.callerIdentifier != "" && !e164Pattern.MatchString(b.callerIdentifier):
		return nil, errs.Invalid("CallerIdentifier %s is not an E.164 number (+ and up to 15 digits)", errs.Quote(b.callerIdentifier))
	}
	base, err := parseEnvironmentHost(b.environmentHost)
	if err != nil {
		return nil, err
	}
	for name, d := range map[string]time.Duration{
		"RequestTimeout": b.requestTimeout, "CredentialsTimeout": b.credentialsTimeout,
		"NoAnswerTimeouts outbound": b.outboundNoAnswer, "NoAnswerTimeouts inbound": b.inboundNoAnswer,
		"CallSetupTimeout": b.callSetupTimeout, "PingInterval": b.pingInterval,
		"MediaInactiveTimeout": b.mediaInactiveTimeout,
	} {
		if d <= 0 {
			return nil, errs.Invalid("%s must be positive, not %v", name, d)
		}
	}
	if b.opusComplexitySet && (b.opusComplexity < 1 || b.opusComplexity > 10) {
		return nil, errs.Invalid("OpusComplexity must be from 1 to 10, not %d", b.opusComplexity)
	}
	if b.maxReconnects < -1 {
		return nil, errs.Invalid("MaxReconnects must be -1 (no limit) or more, not %d", b.maxReconnects)
	}
	if b.maxIncomingCalls < 1 {
		return nil, errs.Invalid("MaxIncomingCalls must be 1 or more, not %d", b.maxIncomingCalls)
	}
	if p := b.iceTransportPolicy; p != webrtc.ICETransportPolicyAll && p != webrtc.ICETransportPolicyRelay {
		return nil, errs.Invalid("ICETransportPolicy must be webrtc.ICETransportPolicyAll or webrtc.ICETransportPolicyRelay, not %v", p)
	}
	if _, refused := rtc.ValidICEServers(b.iceServers); len(refused) > 0 {
		return nil, errs.Invalid("ICEServers: %v", refused[0])
	}
	return newClient(b, base)
}

// parseEnvironmentHost turns the EnvironmentHost setting into a base URL:
// a bare host means https.
func parseEnvironmentHost(host string) (string, error) {
	if host == "" {
		return "", errs.Invalid("EnvironmentHost is empty")
	}
	raw := host
	if !strings.Contains(host, "://") {
		raw = "https://" + host
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", errs.Invalid("EnvironmentHost %s is not a host name or an http(s) URL", errs.Quote(host))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", errs.Invalid("EnvironmentHost %s: scheme must be https (or http for a local test server)", errs.Quote(host))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return "", errs.Invalid("EnvironmentHost %s must be a host, not a URL with a path, query or user", errs.Quote(host))
	}
	return u.Scheme + "://" + u.Host, nil
}

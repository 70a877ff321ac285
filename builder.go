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
// Each setter returns the builder, so calls chain. Every optional setting
// left unset, or set to its zero value, takes its default (the DefaultXxx
// constants); MaxReconnects, whose 0 means no reconnects, is the one
// exception. A builder is not safe for concurrent use; the client Build
// returns keeps its own copy of the settings.
type SinchClientBuilder struct {
	cfg config
}

// GetSinchClientBuilder returns a builder with every setting at its default.
func GetSinchClientBuilder() *SinchClientBuilder { return &SinchClientBuilder{} }

// ApplicationKey sets the application key from the Sinch dashboard (a UUID).
func (b *SinchClientBuilder) ApplicationKey(key string) *SinchClientBuilder {
	b.cfg.applicationKey = key
	return b
}

// EnvironmentHost sets the Ocra host: "ocra.api.sinch.com" or
// "https://host[:port]" use TLS; "http://host:port" (a local test server
// such as ocratest) is plain HTTP, and only when written with that scheme.
// Default (and ""): DefaultEnvironmentHost.
func (b *SinchClientBuilder) EnvironmentHost(host string) *SinchClientBuilder {
	b.cfg.environmentHost = host
	return b
}

// UserID sets the user this client registers as: at most 255 bytes of
// A-Z a-z 0-9 - _ =.
func (b *SinchClientBuilder) UserID(id string) *SinchClientBuilder {
	b.cfg.userID = id
	return b
}

// CallerIdentifier sets the E.164 number shown to phones this client calls;
// CallPhoneNumber needs it.
func (b *SinchClientBuilder) CallerIdentifier(cli string) *SinchClientBuilder {
	b.cfg.callerIdentifier = cli
	return b
}

// DeviceID names this device among the user's instances. Default: random.
func (b *SinchClientBuilder) DeviceID(id string) *SinchClientBuilder {
	b.cfg.deviceID = id
	return b
}

// Logger sets the structured logger. Default: discard. The SDK never logs a
// token, secret or key.
func (b *SinchClientBuilder) Logger(l *slog.Logger) *SinchClientBuilder {
	b.cfg.logger = l
	return b
}

// HTTPClient sets the HTTP client for REST requests and the realtime
// channel (its Transport's TLS settings, proxy and dialers apply to both).
// A middleware RoundTripper that wraps an *http.Transport should have an
// Unwrap() http.RoundTripper method: the WebSocket realtime channel finds
// the Transport's settings through it (up to 8 layers); without it the
// WebSocket falls back to the system's TLS roots and proxy, and a warning
// is logged at Build. Default: a client of its own. RequestTimeout bounds
// each request either way (a Timeout of c's own applies too).
func (b *SinchClientBuilder) HTTPClient(c *http.Client) *SinchClientBuilder {
	b.cfg.httpClient = c
	return b
}

// ICEServers sets STUN and TURN servers for calls, in addition to those the
// server hands out. Build refuses an entry that no peer connection could
// use (a URL pion cannot parse, a TURN server without username and
// credential), naming it; a bad entry the server hands out is dropped with
// a warning instead, so that it cannot fail calls.
func (b *SinchClientBuilder) ICEServers(servers ...webrtc.ICEServer) *SinchClientBuilder {
	b.cfg.iceServers = append([]webrtc.ICEServer(nil), servers...)
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
	b.cfg.iceTransportPolicy = p
	return b
}

// LoopbackOnly restricts call media to 127.0.0.1: for tests against
// ocratest and for calls between programs on one host.
func (b *SinchClientBuilder) LoopbackOnly() *SinchClientBuilder {
	b.cfg.loopbackOnly = true
	return b
}

// PCMUOnly makes calls negotiate PCMU (G.711, 8 kHz) only, without Opus.
// By default Opus (wideband, with loss concealment and in-band FEC) is
// negotiated first and PCMU is the fallback for peers without Opus; PCMU
// only costs a fraction of Opus's CPU per call (see docs/media.md), for the
// most calls per core. A caller that offers no PCMU is then refused.
func (b *SinchClientBuilder) PCMUOnly() *SinchClientBuilder {
	b.cfg.pcmuOnly = true
	return b
}

// OpusComplexity sets the effort of each call's Opus encoder, from 1 (the
// least CPU: about half the encoding cost of the default) to 10 (the best
// quality at a given bitrate); the default is 5. Lower it to carry more
// concurrent Opus calls per core (docs/benchmarks.md has the figures).
// 0 means the default; Build fails for a value outside 0..10. PCMU calls
// ignore it.
func (b *SinchClientBuilder) OpusComplexity(n int) *SinchClientBuilder {
	b.cfg.opusComplexity = n
	return b
}

// WebRTCSettings is for power users: f is given the pion SettingEngine of
// the client's peer connections after the SDK has set its defaults
// (including those of LoopbackOnly), and may change any of them: UDP port
// ranges, NAT 1:1 IPs, interface filters, ICE timeouts, a virtual network
// (SetNet) in tests. It runs once, in Build. The SDK relies on
// DisableCloseByDTLS staying true. nil removes a previous f.
func (b *SinchClientBuilder) WebRTCSettings(f func(*webrtc.SettingEngine)) *SinchClientBuilder {
	b.cfg.webrtcSettings = f
	return b
}

// RequestTimeout bounds each REST request and realtime acknowledgement
// (publish, subscribe, ping), calls' included: each is bounded once, by the
// transport that sends it.
// Default (and 0): DefaultRequestTimeout.
func (b *SinchClientBuilder) RequestTimeout(d time.Duration) *SinchClientBuilder {
	b.cfg.requestTimeout = d
	return b
}

// CredentialsTimeout bounds the wait for an answer to OnCredentialsRequired.
// Default (and 0): DefaultCredentialsTimeout.
func (b *SinchClientBuilder) CredentialsTimeout(d time.Duration) *SinchClientBuilder {
	b.cfg.credentialsTimeout = d
	return b
}

// NoAnswerTimeouts sets how long calls ring before they end with NoAnswer:
// outbound (default 45 s) and inbound (default 60 s); 0 keeps a default.
func (b *SinchClientBuilder) NoAnswerTimeouts(outbound, inbound time.Duration) *SinchClientBuilder {
	b.cfg.outboundNoAnswer, b.cfg.inboundNoAnswer = outbound, inbound
	return b
}

// CallSetupTimeout bounds how long an answered call may take to connect its
// media before it ends with Failure. Default (and 0): 20 s.
func (b *SinchClientBuilder) CallSetupTimeout(d time.Duration) *SinchClientBuilder {
	b.cfg.callSetupTimeout = d
	return b
}

// MediaInactiveTimeout bounds how long an established call may be without
// a media connection before it ends with Inactive. When the connection
// drops, the caller's side restarts ICE (over the realtime channel, once it
// is back) and both sides wait this long for the media to come back.
// Default (and 0): 30 s.
func (b *SinchClientBuilder) MediaInactiveTimeout(d time.Duration) *SinchClientBuilder {
	b.cfg.mediaInactiveTimeout = d
	return b
}

// PingInterval sets how often a started client pings the server on its
// realtime channel. A ping that gets no answer within RequestTimeout counts
// as a lost channel: the client reconnects. Default (and 0): 30 s.
func (b *SinchClientBuilder) PingInterval(d time.Duration) *SinchClientBuilder {
	b.cfg.pingInterval = d
	return b
}

// MaxReconnects sets how many reconnect attempts in a row a started client
// makes after losing its realtime channel before it fails
// (OnClientFailed); -1, the default, means no limit, and 0 means none.
func (b *SinchClientBuilder) MaxReconnects(n int) *SinchClientBuilder {
	b.cfg.maxReconnects, b.cfg.maxReconnectsSet = n, true
	return b
}

// ReconnectDelay sets how long the client waits after failed reconnect
// attempt number attempt (1, 2, ...) before the next one. nil restores
// DefaultReconnectDelay. The first attempt is made at once.
func (b *SinchClientBuilder) ReconnectDelay(delay func(attempt int) time.Duration) *SinchClientBuilder {
	b.cfg.reconnectDelay = delay
	return b
}

// MaxIncomingCalls bounds the inbound calls that ring at once: received,
// not yet answered or ended. Each costs a WebRTC peer connection (the
// callee's answer travels in its Ack, before the user answers). An Invite
// that comes while n others ring is declined at once, without building
// anything and without OnIncomingCall: the caller's call ends Denied. An
// answered call frees its slot. Default (and 0): 16 (DefaultMaxIncomingCalls).
func (b *SinchClientBuilder) MaxIncomingCalls(n int) *SinchClientBuilder {
	b.cfg.maxIncomingCalls = n
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
// ErrInvalidArgument that names the first bad field. The settings are
// checked in a fixed order (the order of the setters here), so the same
// bad builder always gets the same error.
func (b *SinchClientBuilder) Build() (*SinchClient, error) {
	base, err := b.cfg.check()
	if err != nil {
		return nil, err
	}
	return newClient(b.cfg.withDefaults(), base)
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

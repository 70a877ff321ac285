package sinch

import (
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// instance is this client's registration at Ocra. Once published (in a
// snapshot) it is never modified: changes make a new one.
type instance struct {
	creds ocra.Credentials
	key   []byte   // MXP key of Invites to this instance: 16, 24 or 32 bytes
	caps  []string // its capabilities, as the server accepted them
	// config is the configuration the realtime connection was opened
	// with; a refresh updates only its timing fields (see withTiming).
	config ocra.Config
	// expireAt is when the instance expires, on the server's clock, as
	// the server said (zero when it did not).
	expireAt time.Time
	// iceServers are the server's STUN and TURN servers; iceStale is set
	// when fetching them failed, so the next refresh fetches them again.
	iceServers []webrtc.ICEServer
	iceStale   bool
}

// Capabilities this SDK registers, by their names in Sinch's 2.x SDK
// (real-wire.md section 2). See docs/decisions.md for the ones left out.
const (
	capP2P  = "p2p"    // peer-to-peer WebRTC calls between apps
	capOcra = "ocra.1" // speaks the Ocra REST API
	capTURN = "turn.2" // fetches STUN/TURN servers from Ocra (ice-servers)
)

// capabilities is what a new instance registers with.
func capabilities() []string { return []string{capP2P, capOcra, capTURN} }

func sdkVersion() ocra.Version {
	return ocra.Version{OS: runtime.GOOS, Platform: "go " + runtime.Version(), SDK: Version}
}

// has reports whether the instance has capability c.
func (inst *instance) has(c string) bool { return slices.Contains(inst.caps, c) }

// Fallbacks for configuration values that make no sense.
const (
	// maxTTLWindowDays bounds updateInstanceTtlWindowDays: a longer window
	// (or NaN, an infinity, a negative one) is ignored, and the instance is
	// extended when two thirds of its remaining life have passed.
	maxTTLWindowDays = 365
	// assumedLifetime is how long an instance is taken to live when the
	// server's answer has no expireAt, or one already past on the
	// server's clock: it is extended after two thirds of it.
	assumedLifetime = 24 * time.Hour
)

// newInstance checks the server's answer to POST /instances.
func newInstance(resp *ocra.CreateInstanceResponse) (*instance, *SinchError) {
	secret, err := ocra.DecodeSecret(resp.Instance.Secret)
	if err != nil || resp.Instance.ID == "" {
		return nil, &SinchError{Domain: errs.API, Fatal: true,
			Message: "the server sent an instance without an id or with a secret that is not base64: report this to Sinch", Err: err}
	}
	key, serr := mxpKey(resp.Config.RTCProfile.Key)
	if serr != nil {
		return nil, serr
	}
	caps := resp.Instance.Capabilities
	if caps == nil { // the server did not say: what was asked for
		caps = capabilities()
	}
	return &instance{
		creds:    ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret},
		key:      key,
		caps:     slices.Clone(caps),
		config:   resp.Config,
		expireAt: resp.Instance.ExpireAt,
	}, nil
}

// mxpKey decodes an instance's MXP key: AES-128, -192 or -256.
func mxpKey(b64 string) ([]byte, *SinchError) {
	key, err := ocra.DecodeSecret(b64)
	switch {
	case err != nil:
		return nil, &SinchError{Domain: errs.API, Fatal: true,
			Message: "the server sent an MXP key that is not base64: report this to Sinch", Err: err}
	case len(key) != 16 && len(key) != 24 && len(key) != 32:
		return nil, &SinchError{Domain: errs.API, Fatal: true,
			Message: "the server sent an MXP key that is not 16, 24 or 32 bytes long: report this to Sinch"}
	}
	return key, nil
}

// validAt reports whether the instance is still valid at serverNow (on
// the server's clock). An instance whose expiry is unknown is taken to be:
// the server will say when it is not (40400).
func (inst *instance) validAt(serverNow time.Time) bool {
	return inst.expireAt.IsZero() || serverNow.Before(inst.expireAt)
}

// withConfig returns the instance with the configuration cfg, fetched
// before a reconnect: the new connection uses its channels and pub/sub
// settings. A key in cfg replaces the instance's.
func (inst *instance) withConfig(cfg *ocra.Config) (*instance, *SinchError) {
	next := *inst
	next.config = *cfg
	switch profile := cfg.RTCProfile; {
	case profile.BroadcastChannel == "" || profile.SignalChannel == "":
		// A configuration without channels keeps the ones in use.
		next.config.RTCProfile = inst.config.RTCProfile
	case profile.Key != "":
		key, serr := mxpKey(profile.Key)
		if serr != nil {
			return nil, serr
		}
		next.key = key
	}
	return &next, nil
}

// withTiming returns the instance with the timing fields of a refreshed
// configuration. The realtime fields (channels, pub/sub settings, key)
// take effect at the next reconnect, which fetches them again.
func (inst *instance) withTiming(cfg *ocra.Config) *instance {
	next := *inst
	next.config.ConfigRefreshIntervalMs = cfg.ConfigRefreshIntervalMs
	next.config.UpdateInstanceTTLWindowDays = cfg.UpdateInstanceTTLWindowDays
	next.config.ICETransportPolicy = cfg.ICETransportPolicy
	return &next
}

// ttlWindow is updateInstanceTtlWindowDays as a duration; ok is false when
// the value makes no sense (NaN, infinite, negative, over
// maxTTLWindowDays) and must be ignored.
func ttlWindow(days float64) (w time.Duration, ok bool) {
	if math.IsNaN(days) || days < 0 || days > maxTTLWindowDays {
		return 0, false
	}
	return time.Duration(days * float64(24*time.Hour)), true
}

// extendIn is how long from now (serverNow, on the server's clock) the
// instance is extended: updateInstanceTtlWindowDays before it expires,
// but never later than two thirds of its remaining life, so that
// short-lived instances (test servers) are extended in time. A window as
// long as the remaining life, or longer, is ignored: it would ask for
// the next extension at once. It is called right after the server's
// answer: an expiry that is missing or already past is not believed
// (assumed is set), and the instance is taken to live assumedLifetime.
func (inst *instance) extendIn(serverNow time.Time) (d time.Duration, assumed bool) {
	remaining := inst.expireAt.Sub(serverNow) // saturates, never overflows
	if inst.expireAt.IsZero() || remaining <= 0 {
		return assumedLifetime / 3 * 2, true
	}
	d = remaining / 3 * 2
	if w, ok := ttlWindow(inst.config.UpdateInstanceTTLWindowDays); ok && w < remaining {
		d = min(d, remaining-w)
	}
	return d, false
}

// minConfigRefresh bounds how often the configuration is fetched, whatever
// the server announces.
const minConfigRefresh = time.Second

// refreshInterval is how long a configuration stays current:
// configRefreshIntervalMs, at least minConfigRefresh. A server that
// announces none (0 or less) gets a refresh every day, as does one that
// announces more than a day.
func (inst *instance) refreshInterval() time.Duration {
	ms := inst.config.ConfigRefreshIntervalMs
	if ms <= 0 || ms > (24*time.Hour).Milliseconds() {
		return 24 * time.Hour
	}
	return max(time.Duration(ms)*time.Millisecond, minConfigRefresh)
}

// toWebRTC converts the server's ICE servers.
func toWebRTC(servers []ocra.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(servers))
	for _, s := range servers {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Password})
	}
	return out
}

package sinch

import (
	"cmp"
	crand "crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// config is a client's settings: SinchClientBuilder collects one, Build
// checks it and hands the client a copy with the defaults applied. A zero
// field means its default (withDefaults), the one exception being
// maxReconnects, whose zero (no reconnects) is a setting of its own.
type config struct {
	applicationKey     string
	environmentHost    string // "": DefaultEnvironmentHost
	userID             string
	callerIdentifier   string
	deviceID           string       // "": random
	logger             *slog.Logger // nil: discard
	httpClient         *http.Client // nil: one of the client's own
	iceServers         []webrtc.ICEServer
	iceTransportPolicy webrtc.ICETransportPolicy // zero: all
	loopbackOnly       bool
	pcmuOnly           bool
	opusComplexity     int // 0: the rtc package's default
	webrtcSettings     func(*webrtc.SettingEngine)

	requestTimeout       time.Duration
	credentialsTimeout   time.Duration
	outboundNoAnswer     time.Duration
	inboundNoAnswer      time.Duration
	callSetupTimeout     time.Duration
	mediaInactiveTimeout time.Duration
	pingInterval         time.Duration

	maxReconnects    int
	maxReconnectsSet bool                            // false: DefaultMaxReconnects
	reconnectDelay   func(attempt int) time.Duration // nil: DefaultReconnectDelay
	maxIncomingCalls int
}

// withDefaults returns c with every zero setting replaced by its default.
func (c config) withDefaults() config {
	c.environmentHost = cmp.Or(c.environmentHost, DefaultEnvironmentHost)
	c.deviceID = cmp.Or(c.deviceID, crand.Text())
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.requestTimeout = cmp.Or(c.requestTimeout, DefaultRequestTimeout)
	c.credentialsTimeout = cmp.Or(c.credentialsTimeout, DefaultCredentialsTimeout)
	c.outboundNoAnswer = cmp.Or(c.outboundNoAnswer, DefaultOutboundNoAnswer)
	c.inboundNoAnswer = cmp.Or(c.inboundNoAnswer, DefaultInboundNoAnswer)
	c.callSetupTimeout = cmp.Or(c.callSetupTimeout, DefaultCallSetupTimeout)
	c.mediaInactiveTimeout = cmp.Or(c.mediaInactiveTimeout, DefaultMediaInactiveTimeout)
	c.pingInterval = cmp.Or(c.pingInterval, DefaultPingInterval)
	if !c.maxReconnectsSet {
		c.maxReconnects, c.maxReconnectsSet = DefaultMaxReconnects, true
	}
	if c.reconnectDelay == nil {
		c.reconnectDelay = DefaultReconnectDelay
	}
	c.maxIncomingCalls = cmp.Or(c.maxIncomingCalls, DefaultMaxIncomingCalls)
	return c
}

// check validates c, the settings in a fixed order (the order of the
// builder's setters in its documentation), and returns the error of the
// first bad one, wrapping ErrInvalidArgument, with the base URL of the
// environment host when all are good.
func (c config) check() (base string, err error) {
	switch {
	case c.applicationKey == "":
		return "", errs.Invalid("ApplicationKey is empty: copy the key from the Sinch dashboard")
	case !uuidPattern.MatchString(c.applicationKey):
		return "", errs.Invalid("ApplicationKey %s is not a UUID", errs.Quote(c.applicationKey))
	case ocra.CheckUserID(c.userID) != nil:
		return "", errs.Invalid("UserID %v", ocra.CheckUserID(c.userID))
	case c.callerIdentifier != "" && !e164Pattern.MatchString(c.callerIdentifier):
		return "", errs.Invalid("CallerIdentifier %s is not an E.164 number (+ and up to 15 digits)", errs.Quote(c.callerIdentifier))
	}
	base, err = parseEnvironmentHost(cmp.Or(c.environmentHost, DefaultEnvironmentHost))
	if err != nil {
		return "", err
	}
	for _, d := range []struct {
		name     string
		value    time.Duration
		fallback time.Duration
	}{
		{"RequestTimeout", c.requestTimeout, DefaultRequestTimeout},
		{"CredentialsTimeout", c.credentialsTimeout, DefaultCredentialsTimeout},
		{"NoAnswerTimeouts outbound", c.outboundNoAnswer, DefaultOutboundNoAnswer},
		{"NoAnswerTimeouts inbound", c.inboundNoAnswer, DefaultInboundNoAnswer},
		{"CallSetupTimeout", c.callSetupTimeout, DefaultCallSetupTimeout},
		{"MediaInactiveTimeout", c.mediaInactiveTimeout, DefaultMediaInactiveTimeout},
		{"PingInterval", c.pingInterval, DefaultPingInterval},
	} {
		if d.value < 0 {
			return "", errs.Invalid("%s must be positive (or 0 for the default, %v), not %v", d.name, d.fallback, d.value)
		}
	}
	if c.opusComplexity < 0 || c.opusComplexity > 10 {
		return "", errs.Invalid("OpusComplexity must be from 1 to 10 (or 0 for the default), not %d", c.opusComplexity)
	}
	if c.maxReconnectsSet && c.maxReconnects < -1 {
		return "", errs.Invalid("MaxReconnects must be -1 (no limit) or more, not %d", c.maxReconnects)
	}
	if c.maxIncomingCalls < 0 {
		return "", errs.Invalid("MaxIncomingCalls must be 1 or more (or 0 for the default, %d), not %d", DefaultMaxIncomingCalls, c.maxIncomingCalls)
	}
	if p := c.iceTransportPolicy; p != webrtc.ICETransportPolicyAll && p != webrtc.ICETransportPolicyRelay {
		return "", errs.Invalid("ICETransportPolicy must be webrtc.ICETransportPolicyAll or webrtc.ICETransportPolicyRelay, not %v", p)
	}
	if _, refused := rtc.ValidICEServers(c.iceServers); len(refused) > 0 {
		return "", errs.Invalid("ICEServers: %v", refused[0])
	}
	return base, nil
}

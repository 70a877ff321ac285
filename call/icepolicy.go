package call

import (
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// errNoRelay is why a relay-only call fails at once when no TURN server is
// known: it could never connect.
var errNoRelay = &errs.SinchError{Domain: errs.Generic, Message: "the client only connects calls through a " +
	"TURN relay (ICETransportPolicy relay, from the builder or the server's configuration) but knows no " +
	"TURN server: give one with ICEServers, or use a server that hands them out"}

// checkRelayPolicy returns errNoRelay when cfg allows relay candidates
// only and has no TURN server to gather them from.
func checkRelayPolicy(cfg webrtc.Configuration) error {
	if cfg.ICETransportPolicy != webrtc.ICETransportPolicyRelay {
		return nil
	}
	for _, s := range cfg.ICEServers {
		for _, u := range s.URLs {
			if u = strings.ToLower(u); strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
				return nil
			}
		}
	}
	return errNoRelay
}

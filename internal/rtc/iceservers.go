package rtc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// CheckICEServer says why a peer connection could not use s, nil when it
// can: pion refuses to create a peer connection when any of its ICE
// servers has a URL it cannot parse, or a TURN URL without a username and
// a credential of the CredentialType. An entry without URLs is refused too:
// it can only be a mistake. The error quotes the bad URL, never the
// credential.
func CheckICEServer(s webrtc.ICEServer) error {
	if len(s.URLs) == 0 {
		return errors.New("has no URL")
	}
	for _, raw := range s.URLs {
		u := raw
		if strings.HasPrefix(u, "stun") {
			u, _, _ = strings.Cut(u, "?") // pion drops a STUN URL's query
		}
		uri, err := stun.ParseURI(u)
		if err != nil {
			return fmt.Errorf("URL %s is not a stun:, stuns:, turn: or turns: URL pion can use: %w", errs.Quote(raw), err)
		}
		if uri.Scheme != stun.SchemeTypeTURN && uri.Scheme != stun.SchemeTypeTURNS {
			continue
		}
		if s.Username == "" || s.Credential == nil {
			return fmt.Errorf("URL %s is a TURN server: it needs a Username and a Credential", errs.Quote(raw))
		}
		switch s.CredentialType {
		case webrtc.ICECredentialTypePassword:
			if _, ok := s.Credential.(string); !ok {
				return fmt.Errorf("URL %s: a password Credential must be a string, not %T", errs.Quote(raw), s.Credential)
			}
		case webrtc.ICECredentialTypeOauth:
			if _, ok := s.Credential.(webrtc.OAuthCredential); !ok {
				return fmt.Errorf("URL %s: an OAuth Credential must be a webrtc.OAuthCredential, not %T", errs.Quote(raw), s.Credential)
			}
		default:
			return fmt.Errorf("URL %s: unknown CredentialType %v", errs.Quote(raw), s.CredentialType)
		}
	}
	return nil
}

// ValidICEServers returns the entries of servers that CheckICEServer
// accepts, in order, and an error for each other one that names it by its
// index and first URL.
func ValidICEServers(servers []webrtc.ICEServer) (valid []webrtc.ICEServer, refused []error) {
	for i, s := range servers {
		if err := CheckICEServer(s); err != nil {
			refused = append(refused, fmt.Errorf("ICE server %d%s: %w", i, firstURL(s), err))
			continue
		}
		valid = append(valid, s)
	}
	return valid, refused
}

// firstURL names an entry in an error: " (URL)", or "" without URLs.
func firstURL(s webrtc.ICEServer) string {
	if len(s.URLs) == 0 {
		return ""
	}
	return " (" + errs.Quote(s.URLs[0]) + ")"
}

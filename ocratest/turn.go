package ocratest

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by definition
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// turnRealm is the realm of the server's TURN server.
const turnRealm = "ocratest"

// turnCredentialTTL bounds how long the TURN credentials of one
// GET /ice-servers answer are valid (never past the instance's expiry).
const turnCredentialTTL = 24 * time.Hour

// WithTURN makes the server run a TURN server (RFC 8656, over UDP) on
// 127.0.0.1 and hand it out from GET /instances/{id}/ice-servers, which
// clients with capability turn.2 ask for when they start. Each answer
// carries credentials of that instance alone, valid for 24 hours and only
// while the instance lives (the time-limited "TURN REST" scheme: the user
// name is the expiry and the instance id, the password an HMAC of it with
// a secret only the server knows). The TURN server refuses any other
// credentials, and relays only between addresses on 127.0.0.1.
//
// Together with a client built with ICETransportPolicy(relay), this is how
// a test proves that calls connect through a relay; see
// Server.TURNAllocations.
func WithTURN() Option {
	return func(o *options) { o.turn = true }
}

// WithICETransportPolicy sets the iceTransportPolicy of every instance's
// configuration: "relay" tells clients to connect calls through a TURN
// relay only (use it with WithTURN), "all" or "" (the default: the field
// is left out) lets them connect any way. NewServer panics on another
// value.
func WithICETransportPolicy(policy string) Option {
	return func(o *options) { o.icePolicy = policy }
}

// turnServer is the server's TURN server (WithTURN).
type turnServer struct {
	srv    *turn.Server
	url    string
	secret []byte

	allocations atomic.Int64 // granted so far
	refused     atomic.Int64 // requests refused for their credentials
}

// startTURN starts the TURN server on a UDP port of 127.0.0.1.
func (s *Server) startTURN() (*turnServer, error) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("TURN server: %w", err)
	}
	t := &turnServer{
		url:    fmt.Sprintf("turn:%s?transport=udp", conn.LocalAddr()),
		secret: randomBytes(32),
	}
	t.srv, err = turn.NewServer(turn.ServerConfig{
		Realm:         turnRealm,
		AuthHandler:   t.authHandler(s),
		LoggerFactory: &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled},
		EventHandler: turn.EventHandler{
			OnAuth: func(_, _ net.Addr, _, _, _, _ string, verdict bool) {
				if !verdict {
					t.refused.Add(1)
				}
			},
			OnAllocationCreated: func(_, _ net.Addr, _, _, _ string, _ net.Addr, _ int) {
				t.allocations.Add(1)
			},
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: net.IPv4(127, 0, 0, 1),
				Address:      "127.0.0.1",
			},
			// Loopback only: the relay never sends anywhere else.
			PermissionHandler: func(_ net.Addr, peer net.IP) bool { return peer.IsLoopback() },
		}},
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("TURN server: %w", err)
	}
	return t, nil
}

// close stops the TURN server and its allocations.
func (t *turnServer) close() {
	if t != nil {
		_ = t.srv.Close() // its sockets are closed either way
	}
}

// password returns the TURN password of user name username.
func (t *turnServer) password(username string) string {
	mac := hmac.New(sha1.New, t.secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// iceServers returns the TURN server with credentials for instance in,
// valid until the earlier of its expiry and now + turnCredentialTTL.
func (t *turnServer) iceServers(in *instance, now time.Time) []ocra.ICEServer {
	until := now.Add(turnCredentialTTL)
	if in.expireAt.Before(until) {
		until = in.expireAt
	}
	username := strconv.FormatInt(until.Unix(), 10) + ":" + in.id
	return []ocra.ICEServer{{
		URLs:           []string{t.url},
		Username:       username,
		CredentialType: "password",
		Password:       t.password(username),
		ValidUntil:     until.UTC(),
	}}
}

// authHandler accepts the user names iceServers hands out while they are
// valid and their instance lives: it gives the TURN server the key of
// the password that goes with the name, and pion checks the request's
// message integrity with it. Anything else is refused.
func (t *turnServer) authHandler(s *Server) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		id, key, ok := t.check(s, ra)
		if !ok {
			t.refused.Add(1)
		}
		return id, key, ok
	}
}

// check is authHandler's verdict on one request.
func (t *turnServer) check(s *Server, ra *turn.RequestAttributes) (string, []byte, bool) {
	expiry, id, ok := strings.Cut(ra.Username, ":")
	if !ok {
		s.log.Debug("TURN request refused: not a user name this server hands out")
		return "", nil, false
	}
	until, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || s.opts.now().Unix() >= until {
		s.log.Debug("TURN request refused: expired or malformed credentials", "instance", id)
		return "", nil, false
	}
	if s.lookupInstance(id) == nil {
		s.log.Debug("TURN request refused: the instance does not exist (any more)", "instance", id)
		return "", nil, false
	}
	return id, turn.GenerateAuthKey(ra.Username, ra.Realm, t.password(ra.Username)), true
}

// TURNURL returns the URL of the server's TURN server,
// "turn:127.0.0.1:port?transport=udp", or "" without WithTURN.
func (s *Server) TURNURL() string {
	if s.turn == nil {
		return ""
	}
	return s.turn.url
}

// TURNAllocations returns how many relay allocations the server's TURN
// server has granted so far (0 without WithTURN). Each relay candidate a
// client gathers is one allocation.
func (s *Server) TURNAllocations() int {
	if s.turn == nil {
		return 0
	}
	return int(s.turn.allocations.Load())
}

// TURNRefusals returns how many TURN requests with credentials the
// server's TURN server has refused (0 without WithTURN): an unknown or
// expired user name, one of an instance that no longer lives, or a wrong
// password. (The first request of each allocation carries no credentials
// by the protocol's design; its challenge is not counted.)
func (s *Server) TURNRefusals() int {
	if s.turn == nil {
		return 0
	}
	return int(s.turn.refused.Load())
}

package ocratest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/legacy"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/wshub"
)

// Server is a fake Ocra server listening on 127.0.0.1. Its methods are safe
// for concurrent use.
type Server struct {
	opts    options
	log     *slog.Logger
	srv     *httptest.Server
	relay   relay      // the realtime transport: PubNub, or the WebSocket hub
	hub     *wshub.Hub // with WithWebSocket; else nil
	port    int
	closing chan struct{}  // closed by Close; ends stalled requests
	far     *farEnds       // phone, SIP and conference endpoints; callbacks
	legacy  *legacy.Server // the facade of the 1.x API (withLegacyFacade); else nil
	turn    *turnServer    // WithTURN; else nil

	closeOnce sync.Once

	mu           sync.Mutex
	instances    map[string]*instance    // by id
	seq          uint64                  // creation order of instances
	nonces       map[string]time.Time    // used token nonces -> token expiry
	noncePruneAt int                     // size of nonces that triggers pruning
	calls        map[string]*call        // by call id
	channels     map[string]channelOwner // instance channels by name, for the hub's rules
	realtimeAddr string                  // SetRealtimeAddr
	reports      []ocra.CallReport
	faults       []*faultEntry
}

// channelOwner is the instance a channel belongs to.
type channelOwner struct {
	instance  string
	broadcast bool
}

// InstanceInfo describes a live instance, for tests.
type InstanceInfo struct {
	ID           string
	UserID       string
	DeviceID     string
	ExpireAt     time.Time
	Capabilities []string
	// BroadcastChannel and SignalChannel are its realtime channels, as its
	// configuration names them (opaque).
	BroadcastChannel, SignalChannel string
	// Online reports whether a realtime connection is subscribed to the
	// instance's broadcast channel, where calls arrive. Over PubNub: a poll
	// is out, or ended less than two seconds ago.
	Online bool
}

// NewServer starts a server on 127.0.0.1 and returns it; Close stops it.
// Like httptest.NewServer, it panics when it cannot start, and when an
// option is invalid: an empty application key, a secret that is not base64,
// a TTL or refresh interval that is not positive, a negative TTL window, a
// nil clock or logger, a phone number that is not E.164, a SIP identity that
// is not user@host, an invalid Behaviour, an MXP key size other than 16, 24
// or 32 bytes, a callback URL that is not an absolute http(s) URL, or a
// negative latency.
func NewServer(opts ...Option) *Server {
	o := options{
		appKey:          newUUID(),
		appSecret:       base64.StdEncoding.EncodeToString(randomBytes(32)),
		instanceTTL:     DefaultInstanceTTL,
		ttlWindow:       DefaultTTLWindow,
		refreshInterval: DefaultConfigRefreshInterval,
		now:             time.Now,
		logger:          slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		panic("ocratest: NewServer: " + err.Error())
	}
	s := &Server{
		opts:      o,
		log:       o.logger.With("component", "ocratest"),
		closing:   make(chan struct{}),
		instances: make(map[string]*instance),
		nonces:    make(map[string]time.Time),
		calls:     make(map[string]*call),
		channels:  make(map[string]channelOwner),
	}
	if err := s.checkTable(); err != nil {
		panic("ocratest: NewServer: " + err.Error())
	}
	s.far = newFarEnds(&o, s.log)
	if o.websocket {
		s.hub = wshub.NewHub(wshub.HubOptions{
			Authorize: s.authorizeRealtime,
			Channel:   s.channelRule,
			Latency:   o.latency,
			Logger:    s.log,
		})
		s.relay = hubRelay{s.hub}
	} else {
		s.relay = s.newPubNubRelay()
	}
	if o.legacy {
		if err := s.startLegacy(); err != nil {
			s.relay.close()
			panic("ocratest: NewServer: " + err.Error())
		}
	}
	if o.turn {
		t, err := s.startTURN()
		if err != nil {
			if s.legacy != nil {
				s.legacy.Close()
			}
			s.relay.close()
			panic("ocratest: NewServer: " + err.Error())
		}
		s.turn = t
	}
	if o.tls {
		s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	}
	s.port = s.srv.Listener.Addr().(*net.TCPAddr).Port
	return s
}

func (o *options) check() error {
	switch {
	case o.appKey == "":
		return errors.New("application key is empty")
	case o.instanceTTL <= 0:
		return fmt.Errorf("instance TTL %v is not positive", o.instanceTTL)
	case o.ttlWindow < 0:
		return fmt.Errorf("TTL window %v is negative", o.ttlWindow)
	case o.refreshInterval <= 0:
		return fmt.Errorf("config refresh interval %v is not positive", o.refreshInterval)
	case o.now == nil:
		return errors.New("WithClock needs a clock")
	case o.logger == nil:
		return errors.New("WithLogger needs a logger")
	case o.latency < 0:
		return fmt.Errorf("latency %v is negative", o.latency)
	case o.icePolicy != "" && o.icePolicy != "all" && o.icePolicy != "relay":
		return fmt.Errorf("ICE transport policy %q is not \"all\" or \"relay\"", o.icePolicy)
	}
	if _, err := ocra.DecodeSecret(o.appSecret); err != nil {
		return fmt.Errorf("application secret: %w", err)
	}
	if err := o.checkKeySizes(); err != nil {
		return err
	}
	return o.checkFarEnds()
}

// URL is the server's base URL, "http://127.0.0.1:port" ("https://..." with
// WithTLS): the value for the SDK's environment host.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client for the server; with WithTLS it trusts the
// server's certificate. Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// ApplicationKey is the application key the server accepts.
func (s *Server) ApplicationKey() string { return s.opts.appKey }

// ApplicationSecret is the application secret (base64) the server's tokens
// are signed with.
func (s *Server) ApplicationSecret() string { return s.opts.appSecret }

// Token returns a valid registration token of userID, issued now by the
// server's clock, as an app's backend would with auth.NewRegistrationToken.
// Every call returns a new token (each has its own nonce). Like a failing
// httptest setup, it panics when userID is not a valid user id (empty).
func (s *Server) Token(userID string) string {
	token, err := auth.NewRegistrationToken(s.opts.appKey, s.opts.appSecret, userID, auth.WithClock(s.opts.now))
	if err != nil {
		panic("ocratest: Token: " + err.Error())
	}
	return token
}

// Instances returns the live instances of userID, oldest first.
func (s *Server) Instances(userID string) []InstanceInfo {
	live := s.liveInstancesOf(userID, "")
	infos := make([]InstanceInfo, len(live))
	for i, in := range live {
		infos[i] = InstanceInfo{
			ID:           in.id,
			UserID:       in.userID,
			DeviceID:     in.deviceID,
			ExpireAt:     in.expireAt,
			Capabilities: slices.Clone(in.capabilities),
			Online:       s.relay.subscribed(in.broadcastChannel),

			BroadcastChannel: in.broadcastChannel,
			SignalChannel:    in.signalChannel,
		}
	}
	return infos
}

// Reports returns the call reports received so far, in arrival order.
func (s *Server) Reports() []CallReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	reports := make([]CallReport, len(s.reports))
	for i, r := range s.reports {
		reports[i] = publicReport(r)
	}
	return reports
}

// CallReport is the report a client sends when one of its calls ends, as
// the server received it (POST /calls/{callId}/reports).
type CallReport struct {
	ReportID     string         // a random UUID, one per report
	CallID       string         // the call it reports on
	Instance     ReportInstance // the reporting instance
	UserID       string         // its user
	Direction    string         // "outbound" or "inbound"
	RemoteUserID string         // whom the call was with
	StartTime    time.Time
	EndTime      time.Time
	Duration     time.Duration // established to ended; zero if never established
	Result       string        // the end cause, such as "HungUp"
	Error        string        // the call's error, if any
}

// ReportInstance names the instance that sent a CallReport.
type ReportInstance struct {
	ID       string // as InstanceInfo.ID
	DeviceID string
	Version  ClientVersion
}

// ClientVersion is the software an instance said it runs.
type ClientVersion struct {
	OS       string // such as "linux"
	Platform string // such as "go"
	SDK      string // the SDK's version, such as sinch.Version
}

func publicReport(r ocra.CallReport) CallReport {
	return CallReport{
		ReportID: r.ReportID,
		CallID:   r.CallID,
		Instance: ReportInstance{
			ID:       r.Instance.ID,
			DeviceID: r.Instance.DeviceID,
			Version:  ClientVersion(r.Instance.Version),
		},
		UserID:       r.UserID,
		Direction:    r.Direction,
		RemoteUserID: r.RemoteUserID,
		StartTime:    r.StartTime,
		EndTime:      r.EndTime,
		Duration:     time.Duration(r.Duration * float64(time.Second)),
		Result:       r.Result,
		Error:        r.Error,
	}
}

// Disconnect drops the realtime connections of userID's instances, as a
// network fault would. The instances stay registered. Over the WebSocket,
// their clients see the connection close and reconnect; over PubNub, their
// held polls fail and they poll again from the same cursor, losing nothing.
func (s *Server) Disconnect(userID string) {
	for _, in := range s.liveInstancesOf(userID, "") {
		s.relay.drop(&in)
	}
}

// DisconnectAll drops every realtime connection, as Disconnect does.
func (s *Server) DisconnectAll() {
	s.mu.Lock()
	all := make([]instance, 0, len(s.instances))
	for _, in := range s.instances {
		all = append(all, *in)
	}
	s.mu.Unlock()
	for _, in := range all {
		s.relay.drop(&in)
	}
}

// channelRule is the hub's view of a channel, from the server's records.
func (s *Server) channelRule(name string) wshub.ChannelRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.channels[name]
	if !ok {
		return wshub.ChannelRule{}
	}
	return wshub.ChannelRule{Owner: o.instance, ServerOnly: o.broadcast}
}

// newChannel returns a fresh opaque channel name: a random UUID and a
// letter, as Sinch's are. Nothing is read into it.
func newChannel(kind byte) string { return newUUID() + string(kind) }

// Close stops the server: stalled requests end, realtime connections close,
// and Close returns once every request and connection goroutine is done.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.far.close()
		if s.legacy != nil {
			s.legacy.Close()
		}
		s.relay.close()
		s.srv.Close()
		s.turn.close()
	})
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails; it crashes the program if the system has no randomness
	return b
}

// randomKey returns n random bytes and their standard base64 form.
func randomKey(n int) ([]byte, string) {
	b := randomBytes(n)
	return b, base64.StdEncoding.EncodeToString(b)
}

// newUUID returns a random UUID version 4 in its canonical text form.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

package ocratest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/pubnub"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/wshub"
)

// relay is the realtime transport the server carries MXP frames on: PubNub
// (the default, real-wire.md section 1) or the WebSocket of protocol.md
// section 4 (WithWebSocket). Channel names are opaque to both: the server
// keeps maps from names to instances and calls.
type relay interface {
	// publishBroadcast and publishSignal send a server-originated message
	// and report whether it was taken for delivery: PubNub keeps it for
	// the subscriber's next poll; the WebSocket delivers only to a
	// connection subscribed now.
	publishBroadcast(channel, message string) bool
	publishSignal(channel, message string) bool
	// listen hands f what is published on channel (a call's channel, a far
	// end's signal channel) until stop.
	listen(channel string, f func(message string)) (stop func())
	// subscribed reports whether a client receives channel.
	subscribed(channel string) bool
	// drop cuts the instance's realtime connection, as a network fault
	// would: over PubNub, the client polls again from the same cursor.
	drop(in *instance)
	// revoke ends the realtime channel of an instance that is gone, so that
	// its client learns it: the WebSocket closes (and re-authorization
	// fails), PubNub refuses its polls with 403.
	revoke(in *instance)
	// restart drops every connection, as a restarting process would.
	restart()
	close()
}

// hubRelay is the WebSocket transport, served on the REST host at
// /ocra/v1/pubsub.
type hubRelay struct{ hub *wshub.Hub }

func (r hubRelay) publishBroadcast(ch, msg string) bool { return r.hub.Publish(ch, msg) > 0 }
func (r hubRelay) publishSignal(ch, msg string) bool    { return r.hub.Publish(ch, msg) > 0 }
func (r hubRelay) listen(ch string, f func(string)) func() {
	return r.hub.Listen(ch, f)
}
func (r hubRelay) subscribed(ch string) bool { return r.hub.Subscribed(ch) }
func (r hubRelay) drop(in *instance)         { r.hub.Disconnect(in.id) }
func (r hubRelay) revoke(in *instance)       { r.hub.Disconnect(in.id) }
func (r hubRelay) restart()                  {} // Server.Restart disconnects every instance
func (r hubRelay) close()                    { r.hub.Close() }

// pubnubRelay is the PubNub transport, served on a listener of its own
// whose address and keys the configuration names.
type pubnubRelay struct {
	pn   *pubnub.Server
	http *httptest.Server
	port int
}

// newPubNubRelay serves a fake PubNub origin on 127.0.0.1, with TLS when
// the server has it (the same certificate as the REST host, so that
// Server.Client trusts both). Every request passes the server's faults as
// "/pubsub" followed by its path.
func (s *Server) newPubNubRelay() *pubnubRelay {
	pn := pubnub.New(pubnub.Options{Latency: s.opts.latency, Logger: s.log})
	keys := pn.Keys()
	hideKeys := strings.NewReplacer(keys.BroadcastSubscribe, "{subKey}",
		keys.SignalSubscribe, "{subKey}", keys.SignalPublish, "{pubKey}")
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Faults match the real path; what the server logs of it has
		// no keys. Without faults (the common case) nothing is copied:
		// a publish's path holds the whole message.
		if s.hasFaults() {
			shown := r.Clone(r.Context())
			shown.URL.Path = "/pubsub" + hideKeys.Replace(r.URL.Path)
			shown.URL.RawPath = ""
			if s.applyFault(w, shown, "/pubsub"+r.URL.Path) {
				return
			}
		}
		pn.ServeHTTP(w, r)
	}))
	hs.Config.MaxHeaderBytes = 64 << 10 // a 32 KiB message fits in the URL
	if s.opts.tls {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	return &pubnubRelay{pn: pn, http: hs, port: hs.Listener.Addr().(*net.TCPAddr).Port}
}

// hasFaults reports whether any fault is armed.
func (s *Server) hasFaults() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults) > 0
}

func (r *pubnubRelay) publishBroadcast(ch, msg string) bool {
	return r.pn.PublishBroadcast(ch, msg) == nil
}
func (r *pubnubRelay) publishSignal(ch, msg string) bool { return r.pn.PublishSignal(ch, msg) == nil }
func (r *pubnubRelay) listen(ch string, f func(string)) func() {
	return r.pn.Listen(ch, f)
}
func (r *pubnubRelay) subscribed(ch string) bool { return r.pn.Subscribed(ch) }
func (r *pubnubRelay) drop(in *instance)         { r.pn.Drop(in.broadcastChannel, in.signalChannel) }
func (r *pubnubRelay) revoke(in *instance)       { r.pn.Revoke(in.broadcastChannel, in.signalChannel) }
func (r *pubnubRelay) restart()                  { r.http.CloseClientConnections() }
func (r *pubnubRelay) close() {
	r.pn.Close()
	r.http.Close()
}

// pubSubConfig is the configuration's mxpPubSubConfig: where the realtime
// channel is and its keys.
func (s *Server) pubSubConfig() ocra.PubSubConfig {
	r, ok := s.relay.(*pubnubRelay)
	if !ok {
		return ocra.PubSubConfig{
			Transport:             ocra.TransportWebSocket,
			Hostname:              "127.0.0.1",
			Port:                  s.port,
			BroadcastSubscribeKey: "ocratest-broadcast-subscribe",
			SignalSubscribeKey:    "ocratest-signal-subscribe",
			SignalPublishKey:      "ocratest-signal-publish",
		}
	}
	k := r.pn.Keys()
	cfg := ocra.PubSubConfig{
		Hostname:              "127.0.0.1",
		Port:                  r.port,
		BroadcastSubscribeKey: k.BroadcastSubscribe,
		SignalSubscribeKey:    k.SignalSubscribe,
		SignalPublishKey:      k.SignalPublish,
	}
	s.mu.Lock()
	if s.realtimeAddr != "" {
		host, port, _ := net.SplitHostPort(s.realtimeAddr) // checked by SetRealtimeAddr
		cfg.Hostname = host
		cfg.Port, _ = strconv.Atoi(port)
	}
	s.mu.Unlock()
	if !s.opts.tls {
		// A client speaks plain HTTP to PubNub only when told so.
		cfg.Hostname = "http://" + cfg.Hostname
	}
	return cfg
}

// RealtimeAddr is the host:port of the server's PubNub origin, or "" with
// WithWebSocket, where the realtime channel is on URL().
func (s *Server) RealtimeAddr() string {
	if r, ok := s.relay.(*pubnubRelay); ok {
		return r.http.Listener.Addr().String()
	}
	return ""
}

// SetRealtimeAddr makes the configurations the server hands out from now on
// name hostport ("127.0.0.1:port") as the PubNub origin instead of
// RealtimeAddr: for a test that puts a proxy between its clients and the
// origin, to fault the network. It panics when hostport is not host:port
// with a numeric port. It has no effect with WithWebSocket.
func (s *Server) SetRealtimeAddr(hostport string) {
	_, port, err := net.SplitHostPort(hostport)
	if _, perr := strconv.Atoi(port); err != nil || perr != nil {
		panic("ocratest: SetRealtimeAddr: " + strconv.Quote(hostport) + " is not host:port")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.realtimeAddr = hostport
}

package ocratest_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/wshub"
)

func TestWebSocketConfig(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	_, reg := register(t, s, c, "alice")
	ps := reg.Config.RTCConfig.MXPPubSubConfig
	if ps.Transport != ocra.TransportWebSocket || ps.Hostname != "127.0.0.1" {
		t.Errorf("pub/sub config %+v, want transport websocket on the REST host", ps)
	}
	if s.RealtimeAddr() != "" {
		t.Errorf("RealtimeAddr = %q, want none: the WebSocket is on URL()", s.RealtimeAddr())
	}
}

func TestWebSocketEndpointIsNotServedOverPubNub(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	_, err := pubsub.Dial(context.Background(), c.PubSubURL(), pubsub.DialOptions{Header: c.PubSubHeader(alice)})
	wantAPIError(t, err, ocra.CodeWrongScheme, "WithWebSocket")
}

// The hub decides who may subscribe from the server's records: with opaque
// names, another instance's channel is refused.
func TestWebSocketChannelsBelongToTheirInstance(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	_, bobReg := register(t, s, c, "bob")
	conn, err := pubsub.Dial(context.Background(), c.PubSubURL(), pubsub.DialOptions{Header: c.PubSubHeader(alice)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	var se *pubsub.ServerError
	for _, ch := range []string{bobReg.Config.RTCProfile.BroadcastChannel, bobReg.Config.RTCProfile.SignalChannel} {
		if err := conn.Subscribe(ctx, ch); !errors.As(err, &se) || se.Code != wshub.CodeForbidden {
			t.Errorf("alice subscribing to bob's %s: %v, want 40301", ch, err)
		}
	}
	if err := conn.Publish(ctx, bobReg.Config.RTCProfile.BroadcastChannel, "fake invite"); !errors.As(err, &se) || se.Code != wshub.CodeForbidden {
		t.Errorf("alice publishing to bob's broadcast channel: %v, want 40301", err)
	}
	if err := conn.Publish(ctx, bobReg.Config.RTCProfile.SignalChannel, "hello"); err != nil {
		t.Errorf("alice publishing to bob's signal channel: %v", err)
	}
}

func TestLatencyDelaysRESTAndRealtime(t *testing.T) {
	const latency = 150 * time.Millisecond
	forEachTransport(t, func(t *testing.T, opts ...ocratest.Option) {
		s := newServer(t, append(opts, ocratest.WithLatency(latency))...)
		c := newClient(t, s)
		start := time.Now()
		alice, _ := register(t, s, c, "alice")
		if d := time.Since(start); d < latency {
			t.Errorf("registration answered after %v, before the latency", d)
		}
		bob, bobReg := register(t, s, c, "bob")
		aliceConn, _ := realtime(t, s, c, alice)
		_, bobRx := realtime(t, s, c, bob)
		start = time.Now()
		if err := aliceConn.Publish(context.Background(), bobReg.Config.RTCProfile.SignalChannel, "x"); err != nil {
			t.Fatal(err)
		}
		receive(t, bobRx)
		if d := time.Since(start); d < latency {
			t.Errorf("delivered after %v, before the latency", d)
		}
	})
}

// SetRealtimeAddr makes the configuration name another origin, such as a
// proxy: clients then reach PubNub there.
func TestSetRealtimeAddr(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s.SetRealtimeAddr(ln.Addr().String())
	_, reg := register(t, s, c, "alice")
	if got := reg.Config.RTCConfig.MXPPubSubConfig.Port; strconv.Itoa(got) != portOf(t, ln.Addr().String()) {
		t.Errorf("port %d, want the proxy's %s", got, ln.Addr())
	}
	defer func() {
		if recover() == nil {
			t.Error("SetRealtimeAddr of a non host:port did not panic")
		}
	}()
	s.SetRealtimeAddr("nowhere")
}

func portOf(t *testing.T, hostport string) string {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestPubNubCORS(t *testing.T) {
	s := newServer(t)
	req, err := http.NewRequest(http.MethodOptions, "http://"+s.RealtimeAddr()+"/v2/subscribe/k/ch/0", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://127.0.0.1:1")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight answered %d with %v", resp.StatusCode, resp.Header)
	}
}

func TestNegativeLatencyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewServer(WithLatency(-1)) did not panic")
		}
	}()
	ocratest.NewServer(ocratest.WithLatency(-time.Second)).Close()
}

// What the server logs of a faulted PubNub request carries no key.
func TestPubNubFaultLogsNoKey(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	s := newServer(t, ocratest.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c := newClient(t, s)
	alice, reg := register(t, s, c, "alice")
	conn, _ := realtime(t, s, c, alice)
	s.InjectFault(ocratest.Fault{Path: "/pubsub/publish", Status: http.StatusServiceUnavailable, Times: 1})
	if err := conn.Publish(context.Background(), reg.Config.RTCProfile.SignalChannel, "x"); err == nil {
		t.Fatal("the faulted publish succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	ps := reg.Config.RTCConfig.MXPPubSubConfig
	if !strings.Contains(logs.String(), "injecting fault") {
		t.Fatal("no fault logged")
	}
	for _, key := range []string{ps.BroadcastSubscribeKey, ps.SignalSubscribeKey, ps.SignalPublishKey} {
		if strings.Contains(logs.String(), key) {
			t.Errorf("a PubNub key is in the server's log:\n%s", logs.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

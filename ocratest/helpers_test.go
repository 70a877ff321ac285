package ocratest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock for the server and its clients.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newServer starts a server that the test closes when it ends.
func newServer(t *testing.T, opts ...ocratest.Option) *ocratest.Server {
	t.Helper()
	s := ocratest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns the SDK's REST client of s.
func newClient(t *testing.T, s *ocratest.Server, opts ...ocra.Option) *ocra.Client {
	t.Helper()
	c, err := ocra.NewClient(s.URL(), s.Client(), opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// register creates an instance of userID and returns its credentials.
func register(t *testing.T, s *ocratest.Server, c *ocra.Client, userID string) (ocra.Credentials, *ocra.CreateInstanceResponse) {
	t.Helper()
	resp, err := c.CreateInstance(context.Background(), s.Token(userID), ocra.CreateInstanceRequest{
		UserID:       userID,
		DeviceID:     "device-of-" + userID,
		Capabilities: []string{"audio", "video"},
		Version:      ocra.Version{OS: "linux", Platform: "go", SDK: "test"},
	})
	if err != nil {
		t.Fatalf("CreateInstance(%s): %v", userID, err)
	}
	secret, err := ocra.DecodeSecret(resp.Instance.Secret)
	if err != nil {
		t.Fatalf("instance secret: %v", err)
	}
	return ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret}, resp
}

// wantAPIError fails the test unless err is an *ocra.APIError with code
// and a message containing msg.
func wantAPIError(t *testing.T, err error, code int, msg string) *ocra.APIError {
	t.Helper()
	var apiErr *ocra.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want an *ocra.APIError with code %d", err, code)
	}
	if apiErr.Code != code || !strings.Contains(apiErr.Message, msg) {
		t.Fatalf("error = %v, want code %d with message containing %q", apiErr, code, msg)
	}
	if apiErr.Reference == "" {
		t.Errorf("error %v has no reference", apiErr)
	}
	return apiErr
}

// message is one message received on a realtime connection.
type message struct{ channel, text string }

// transports are the realtime transports a server can serve, as options.
var transports = []struct {
	name string
	opts []ocratest.Option
}{
	{"pubnub", nil},
	{"websocket", []ocratest.Option{ocratest.WithWebSocket()}},
}

// forEachTransport runs f once per transport, as subtests.
func forEachTransport(t *testing.T, f func(t *testing.T, opts ...ocratest.Option)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { f(t, tr.opts...) })
	}
}

// realtime connects an instance to the realtime channel its configuration
// names (PubNub, or the WebSocket), subscribed to its own broadcast and
// signal channels. Received messages go to the returned channel.
func realtime(t *testing.T, s *ocratest.Server, c *ocra.Client, cr ocra.Credentials) (pubsub.Conn, <-chan message) {
	t.Helper()
	received := make(chan message, 64)
	handler := func(channel, text string) { received <- message{channel, text} }
	cfg, err := c.Config(context.Background(), cr)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	ps, profile := cfg.RTCConfig.MXPPubSubConfig, cfg.RTCProfile
	if ps.Transport == ocra.TransportWebSocket {
		opts := pubsub.DialOptions{Header: c.PubSubHeader(cr), Handler: handler}
		if tr, ok := s.Client().Transport.(*http.Transport); ok {
			opts.TLSConfig = tr.TLSClientConfig
		}
		conn, err := pubsub.Dial(context.Background(), c.PubSubURL(), opts)
		if err != nil {
			t.Fatalf("pubsub.Dial: %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := conn.Subscribe(context.Background(), profile.BroadcastChannel, profile.SignalChannel); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		return conn, received
	}
	conn, err := pubsub.DialPubNub(context.Background(), pubsub.PubNubOptions{
		Origin:                pubsub.PubNubOrigin(ps.Hostname, ps.Port),
		BroadcastSubscribeKey: ps.BroadcastSubscribeKey, BroadcastChannel: profile.BroadcastChannel,
		SignalSubscribeKey: ps.SignalSubscribeKey, SignalPublishKey: ps.SignalPublishKey, SignalChannel: profile.SignalChannel,
		Handler:        handler,
		HTTPClient:     s.Client(),
		RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("pubsub.DialPubNub: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, received
}

// receive returns the next message of ch, failing the test after a while.
func receive(t *testing.T, ch <-chan message) message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message received")
		return message{}
	}
}

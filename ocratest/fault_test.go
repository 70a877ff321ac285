package ocratest_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestFaultAnswersUntilRemoved(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	remove := s.InjectFault(ocratest.Fault{Method: http.MethodGet, Path: "/instances", Status: http.StatusServiceUnavailable})
	for range 2 {
		_, err := c.Config(context.Background(), alice)
		wantAPIError(t, err, ocra.CodeServiceUnavailable, "injected fault")
	}
	if _, err := c.Timestamp(context.Background()); err != nil {
		t.Errorf("Timestamp, outside the fault's path: %v", err)
	}
	remove()
	remove()
	if _, err := c.Config(context.Background(), alice); err != nil {
		t.Errorf("Config after remove: %v", err)
	}
}

func TestFaultTimes(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	s.InjectFault(ocratest.Fault{Path: "/timestamp", Code: ocra.CodeInternal, Times: 1})
	_, err := c.Timestamp(context.Background())
	if e := wantAPIError(t, err, ocra.CodeInternal, "injected fault"); e.Status != 500 {
		t.Errorf("status = %d, want 500", e.Status)
	}
	if _, err := c.Timestamp(context.Background()); err != nil {
		t.Errorf("second Timestamp: %v", err)
	}
}

func TestFaultStallEndsWithContext(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	s.InjectFault(ocratest.Fault{Path: "/timestamp", Stall: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Timestamp(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Timestamp = %v, want the context's deadline", err)
	}
}

func TestFaultStallThenThrough(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	s.InjectFault(ocratest.Fault{Path: "/timestamp", Stall: time.Millisecond})
	if _, err := c.Timestamp(context.Background()); err != nil {
		t.Errorf("Timestamp after a short stall: %v", err)
	}
}

func TestFaultDrop(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	s.InjectFault(ocratest.Fault{Drop: true})
	_, err := c.CreateInstance(context.Background(), s.Token("alice"), ocra.CreateInstanceRequest{UserID: "alice"})
	var apiErr *ocra.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Errorf("CreateInstance = %v, want a network error", err)
	}
}

func TestFaultOnRealtimeUpgrade(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	s.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable, Times: 1})
	_, err := pubsub.Dial(context.Background(), c.PubSubURL(), pubsub.DialOptions{Header: c.PubSubHeader(alice)})
	wantAPIError(t, err, ocra.CodeServiceUnavailable, "injected fault")
}

// A Path "/pubsub" fault applies to every request to the PubNub origin.
func TestFaultOnPubNub(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	remove := s.InjectFault(ocratest.Fault{Path: "/pubsub", Status: http.StatusServiceUnavailable})
	cfg, err := c.Config(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	ps := cfg.RTCConfig.MXPPubSubConfig
	_, err = pubsub.DialPubNub(context.Background(), pubsub.PubNubOptions{
		Origin:                pubsub.PubNubOrigin(ps.Hostname, ps.Port),
		BroadcastSubscribeKey: ps.BroadcastSubscribeKey, BroadcastChannel: cfg.RTCProfile.BroadcastChannel,
		SignalSubscribeKey: ps.SignalSubscribeKey, SignalPublishKey: ps.SignalPublishKey, SignalChannel: cfg.RTCProfile.SignalChannel,
		HTTPClient: s.Client(),
	})
	wantAPIError(t, err, ocra.CodeServiceUnavailable, "injected fault")
	remove()

	conn, _ := realtime(t, s, c, alice)
	s.InjectFault(ocratest.Fault{Path: "/pubsub/time", Status: http.StatusServiceUnavailable, Times: 1})
	wantAPIError(t, conn.Ping(context.Background()), ocra.CodeServiceUnavailable, "injected fault")
	if err := conn.Ping(context.Background()); err != nil {
		t.Errorf("Ping after the fault: %v", err)
	}
}

func TestRealtimeUpgradeIsSigned(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	_, err := pubsub.Dial(context.Background(), c.PubSubURL(), pubsub.DialOptions{})
	wantAPIError(t, err, ocra.CodeMissingAuth, "")
	ghost := ocra.Credentials{InstanceID: "ghost", Secret: []byte("0123456789abcdef")}
	_, err = pubsub.Dial(context.Background(), c.PubSubURL(), pubsub.DialOptions{Header: c.PubSubHeader(ghost)})
	wantAPIError(t, err, ocra.CodeNotFound, "instance not found")
}

// signalHandler is a slog handler that signals each record's message.
type signalHandler struct {
	slog.Handler
	messages chan<- string
}

func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.messages <- r.Message:
	default:
	}
	return nil
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func TestCloseEndsConnectionsAndStalledRequests(t *testing.T) {
	logged := make(chan string, 1024)
	s := ocratest.NewServer(ocratest.WithLogger(slog.New(signalHandler{messages: logged})))
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	conn, _ := realtime(t, s, c, alice)
	s.InjectFault(ocratest.Fault{Path: "/instances", Stall: -1})

	stalled := make(chan error, 1)
	go func() {
		_, err := c.Config(context.Background(), alice)
		stalled <- err
	}()
	for msg := range logged {
		if msg == "injecting fault" {
			break
		}
	}
	s.Close()
	if err := <-stalled; err == nil {
		t.Error("the stalled request succeeded")
	}
	waitDone(t, conn.Done())
	conn.Close()
	goleak.VerifyNone(t)
}

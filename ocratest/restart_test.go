package ocratest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestRestartDropsConnectionsAndKeepsInstances(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")
	conn, _ := realtime(t, s, c, cr)

	s.Restart()
	select {
	case <-conn.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the realtime connection survived the restart")
	}
	if got := s.Instances("alice"); len(got) != 1 || got[0].ID != cr.InstanceID {
		t.Fatalf("instances after a restart = %+v, want alice's one", got)
	}
	if _, err := c.Config(context.Background(), cr); err != nil {
		t.Fatalf("the instance's requests after a restart: %v", err)
	}
}

// Over PubNub, a restart drops the polls, which the client makes again
// from the same cursor: the subscription survives, nothing is lost.
func TestRestartKeepsPubNubSubscriptions(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	cr, reg := register(t, s, c, "alice")
	conn, rx := realtime(t, s, c, cr)
	other, _ := register(t, s, c, "bob")
	bobConn, _ := realtime(t, s, c, other)

	s.Restart()
	ch := reg.Config.RTCProfile.SignalChannel
	if err := bobConn.Publish(context.Background(), ch, "after the restart"); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, rx); m.channel != ch || m.text != "after the restart" {
		t.Errorf("got %+v", m)
	}
	if conn.Err() != nil {
		t.Errorf("the subscription ended: %v", conn.Err())
	}
}

// Over PubNub, a restart that forgets the instances revokes their channels:
// their clients' polls are refused, so they know to register again.
func TestRestartThatForgetsInstancesRevokesTheirChannels(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")
	conn, _ := realtime(t, s, c, cr)
	s.Restart(ocratest.ForgetInstances())
	waitDone(t, conn.Done())
	var apiErr *ocra.APIError
	if !errors.As(conn.Err(), &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Errorf("connection ended with %v, want PubNub's 403", conn.Err())
	}
}

func TestRestartThatForgetsInstancesAnswers40400(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")

	s.Restart(ocratest.ForgetInstances())
	if got := s.Instances("alice"); len(got) != 0 {
		t.Fatalf("instances after a data loss = %+v, want none", got)
	}
	_, err := c.Config(context.Background(), cr)
	wantAPIError(t, err, 40400, "instance not found")
}

func TestRestartDowntimeDropsRequestsUntilItReturns(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")
	restarted := make(chan struct{})
	go func() {
		s.Restart(ocratest.Downtime(time.Hour))
		close(restarted)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for { // until the restart has begun: requests then fail
		if _, err := c.Config(ctx, cr); err != nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("requests kept succeeding during the downtime")
		}
	}
	s.Close() // ends the downtime
	select {
	case <-restarted:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end Restart's downtime")
	}
}

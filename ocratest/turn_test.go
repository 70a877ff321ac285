package ocratest_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// allocate asks the TURN server at url for a relay allocation with the
// given credentials and returns the relay's address, or the error.
func allocate(t *testing.T, url, username, password string) (net.Addr, error) {
	t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "turn:"), "?transport=udp")
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: addr, Username: username, Password: password, Conn: conn,
		RTO:           100 * time.Millisecond,
		LoggerFactory: &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	defer relay.Close()
	return relay.LocalAddr(), nil
}

// With WithTURN, each instance gets TURN credentials of its own that the
// TURN server accepts while the instance lives, and no others.
func TestTURNServerChecksTheCredentialsItHandsOut(t *testing.T) {
	clk := newClock()
	s := newServer(t, ocratest.WithTURN(), ocratest.WithClock(clk.Now), ocratest.WithInstanceTTL(time.Hour))
	c := newClient(t, s, ocra.WithClock(clk.Now))
	ctx := context.Background()
	alice, _ := register(t, s, c, "alice")
	bob, _ := register(t, s, c, "bob")

	ice, err := c.ICEServers(ctx, alice)
	if err != nil || len(ice) != 1 {
		t.Fatalf("ICEServers = %+v, %v; want the TURN server", ice, err)
	}
	srv := ice[0]
	if len(srv.URLs) != 1 || srv.URLs[0] != s.TURNURL() || !strings.HasPrefix(s.TURNURL(), "turn:127.0.0.1:") ||
		srv.Username == "" || srv.Password == "" || srv.CredentialType != "password" {
		t.Fatalf("ICE server %+v; want %s with password credentials", srv, s.TURNURL())
	}
	if want := clk.Now().Add(time.Hour); !srv.ValidUntil.Equal(want) {
		t.Errorf("validUntil %v, want the instance's expiry %v", srv.ValidUntil, want)
	}
	bobs, err := c.ICEServers(ctx, bob)
	if err != nil || len(bobs) != 1 || bobs[0].Username == srv.Username || bobs[0].Password == srv.Password {
		t.Fatalf("bob's ICE servers %+v, %v; want credentials other than alice's", bobs, err)
	}

	relay, err := allocate(t, srv.URLs[0], srv.Username, srv.Password)
	if err != nil {
		t.Fatalf("allocating with the credentials handed out: %v", err)
	}
	if ip := relay.(*net.UDPAddr).IP; !ip.IsLoopback() {
		t.Errorf("relay address %v, want one on 127.0.0.1", relay)
	}
	if n := s.TURNAllocations(); n != 1 {
		t.Errorf("TURNAllocations = %d, want 1", n)
	}

	refused := []struct{ name, user, password string }{
		{"wrong password", srv.Username, bobs[0].Password},
		{"another user name", bobs[0].Username, srv.Password},
		{"made-up user name", "alice", "secret"},
		{"forged expiry", "99999999999:" + alice.InstanceID, srv.Password},
	}
	for _, r := range refused {
		if _, err := allocate(t, srv.URLs[0], r.user, r.password); err == nil {
			t.Errorf("%s: allocation granted, want refused", r.name)
		}
	}
	if got := s.TURNRefusals(); got < len(refused) {
		t.Errorf("TURNRefusals = %d, want at least %d", got, len(refused))
	}

	// Deleting the instance revokes its credentials at once.
	if err := c.DeleteInstance(ctx, alice); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	if _, err := allocate(t, srv.URLs[0], srv.Username, srv.Password); err == nil {
		t.Error("allocation granted to a deleted instance's credentials")
	}
	// Expired credentials are refused too.
	clk.Advance(2 * time.Hour)
	if _, err := allocate(t, bobs[0].URLs[0], bobs[0].Username, bobs[0].Password); err == nil {
		t.Error("allocation granted with expired credentials")
	}
	if n := s.TURNAllocations(); n != 1 {
		t.Errorf("TURNAllocations = %d after the refusals, want still 1", n)
	}
}

// Without WithTURN there is no TURN server.
func TestNoTURNServerByDefault(t *testing.T) {
	s := newServer(t)
	if s.TURNURL() != "" || s.TURNAllocations() != 0 || s.TURNRefusals() != 0 {
		t.Errorf("TURNURL %q, allocations %d, refusals %d; want none", s.TURNURL(), s.TURNAllocations(), s.TURNRefusals())
	}
}

// WithICETransportPolicy is the iceTransportPolicy of every configuration;
// by default the field is left out.
func TestICETransportPolicyInTheConfiguration(t *testing.T) {
	for _, policy := range []string{"", "all", "relay"} {
		s := newServer(t, ocratest.WithICETransportPolicy(policy))
		c := newClient(t, s)
		cr, resp := register(t, s, c, "alice")
		cfg, err := c.Config(context.Background(), cr)
		if err != nil || cfg.ICETransportPolicy != policy || resp.Config.ICETransportPolicy != policy {
			t.Errorf("policy %q: config says %q (at registration %q), %v", policy, cfg.ICETransportPolicy, resp.Config.ICETransportPolicy, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewServer accepted the policy \"nohost\"")
		}
	}()
	ocratest.NewServer(ocratest.WithICETransportPolicy("nohost")).Close()
}

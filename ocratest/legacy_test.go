package ocratest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/legacy"
)

// client1x makes the requests of a 1.x client (docs/sinch-rtc-1x.md
// sections 3-5) to the facade of an ocratest server.
type client1x struct {
	t      *testing.T
	f      *legacy.Server
	id     string
	secret []byte
	cfg    struct {
		RTCConfiguration struct {
			BroadcastNetwork, SignalNetwork struct{ Host, PublishKey, SubscribeKey string }
		}
		RTCProfile struct{ BroadcastChannel, SignalChannel, TransportChannel, Key string }
	}
}

// do makes a request signed by the instance, or with authz (a user ticket;
// "-" for none) when not empty, and fails the test unless it is answered 200.
func (c *client1x) do(method, path, authz string, body []byte) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.f.URL()+path, rd)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Timestamp", ocra.FormatTimestamp(time.Now()))
	switch authz {
	case "-":
	case "":
		ocra.SignRequest(req, body, ocra.SchemeInstance, c.id, c.secret, time.Now())
	default:
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.f.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

func start1x(t *testing.T, s *ocratest.Server, user string) *client1x {
	t.Helper()
	c := &client1x{t: t, f: legacy.OcratestFacade(s)}
	secret, _ := ocra.DecodeSecret(s.ApplicationSecret())
	b := c.do("POST", "/v1/instance", "user "+legacy.Ticket(s.ApplicationKey(), secret, user, time.Now()),
		[]byte(`{"version":{"os":"Chrome/156","platform":"Linux x86_64","sdk":"js/1.4.12"},"services":{"calling":["online","voip","p2p","srtp"]},"expiresIn":31536000}`))
	var inst struct{ ID, Secret string }
	if err := json.Unmarshal(b, &inst); err != nil {
		t.Fatal(err)
	}
	c.id = inst.ID
	c.secret, _ = base64.StdEncoding.DecodeString(inst.Secret)
	if err := json.Unmarshal(c.do("GET", "/v1/configuration/user", "", nil), &c.cfg); err != nil {
		t.Fatal(err)
	}
	return c
}

// subscribe polls channels (of one network, subscribe key sub) from tt
// and returns the messages and the next timetoken.
func (c *client1x) subscribe(sub, tt string, channels ...string) ([]string, string) {
	c.t.Helper()
	var v []json.RawMessage
	if err := json.Unmarshal(c.do("GET", "/subscribe/"+sub+"/"+url.PathEscape(strings.Join(channels, ","))+"/0/"+tt+"?uuid=u", "-", nil), &v); err != nil || len(v) < 2 {
		c.t.Fatalf("subscribe answered %s (%v)", v, err)
	}
	var msgs []string
	var next string
	json.Unmarshal(v[0], &msgs)
	json.Unmarshal(v[1], &next)
	return msgs, next
}

// openMessage reassembles frames and decrypts them with key.
func openMessage(t *testing.T, key []byte, frames []string) (string, map[string]any) {
	t.Helper()
	var data strings.Builder
	var session string
	for _, fr := range frames {
		f, err := mxp.ParseFrame(fr)
		if err != nil {
			t.Fatalf("frame %q: %v", fr, err)
		}
		session = f.SessionID
		data.WriteString(f.Data)
	}
	plain, err := mxp.Open(key, data.String())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return session, m
}

// TestLegacyClientsAreInstances: a 1.x client, through the facade, is an
// instance of the same fake Sinch as the SDK's clients: its channels are on
// the server's PubNub origin, an SDK client's call to its user reaches it as
// an Invite in the form 1.x takes, and its call to an SDK user reaches that
// user's instance.
func TestLegacyClientsAreInstances(t *testing.T) {
	s := newServer(t, ocratest.WithTLS(), legacy.OcratestOption(nil).(ocratest.Option))
	c := newClient(t, s)
	ctx := context.Background()
	alice, aliceReg := register(t, s, c, "alice")
	_, aliceRx := realtime(t, s, c, alice)
	bob := start1x(t, s, "bob")

	// bob's configuration names the server's PubNub keys (through the
	// facade's listener) and channels of his own.
	net := bob.cfg.RTCConfiguration
	ps := aliceReg.Config.RTCConfig.MXPPubSubConfig
	if net.BroadcastNetwork.SubscribeKey != ps.BroadcastSubscribeKey || net.SignalNetwork.SubscribeKey != ps.SignalSubscribeKey ||
		net.SignalNetwork.PublishKey != ps.SignalPublishKey || net.SignalNetwork.Host != bob.f.Addr() {
		t.Fatalf("1.x networks %+v, want the server's PubNub keys %+v on the facade's host %s", net, ps, bob.f.Addr())
	}
	infos := s.Instances("bob")
	if len(infos) != 1 || infos[0].ID != bob.id || infos[0].BroadcastChannel != bob.cfg.RTCProfile.BroadcastChannel ||
		infos[0].SignalChannel != bob.cfg.RTCProfile.SignalChannel {
		t.Fatalf("server's instances of bob: %+v, want the 1.x instance %s", infos, bob.id)
	}

	// alice (SDK) calls bob (1.x): the Invite on his broadcast channel has
	// bd "" and names alice's signal channel and fi.
	bsub := net.BroadcastNetwork.SubscribeKey
	bch := []string{bob.cfg.RTCProfile.BroadcastChannel, bob.cfg.RTCProfile.TransportChannel}
	_, tt := bob.subscribe(bsub, "0", bch...)
	resp, err := c.CreateCall(ctx, alice, offer("call-to-1x", "bob"))
	if err != nil {
		t.Fatalf("CreateCall to a 1.x user: %v", err)
	}
	frames, _ := bob.subscribe(bsub, tt, bch...)
	ik, _ := base64.StdEncoding.DecodeString(bob.cfg.RTCProfile.Key)
	session, inv := openMessage(t, ik, frames)
	nvps, _ := inv["nvps"].(map[string]any)
	bd, hasBD := inv["bd"]
	if session != "call-to-1x" || inv["md"] != float64(1) || inv["bt"] != "media" || !hasBD || bd != "" ||
		inv["fi"] != alice.InstanceID+":0" || inv["fs"] != aliceReg.Config.RTCProfile.SignalChannel ||
		inv["fu"] != "alice" || nvps["key"] != resp.MXPEncryptionKey || nvps["ph"] != `{"topic":"lunch"}` {
		t.Fatalf("Invite to the 1.x callee: session %q %v", session, inv)
	}

	// bob (1.x) calls alice (SDK): the Invite reaches her instance.
	body, _ := json.Marshal(map[string]any{"cli": "", "destination": map[string]string{"type": "username", "endpoint": "alice"},
		"callId": "4f6c2d0e-5b7a-4c1e-8d2f-0a9b8c7d6e5f", "mediaChannels": []string{"audio"}, "subinstanceId": 2197748293,
		"headers": map[string]string{"p2p": "yes"}, "domain": "data", "sdp": map[string]string{"sdp": "v=0\r\n", "type": "offer"}})
	var route struct {
		Body, SignalChannel, EncryptionKey string
		Instances                          []struct{ InstanceID string }
	}
	if err := json.Unmarshal(bob.do("POST", "/v1/calls/data", "", body), &route); err != nil {
		t.Fatal(err)
	}
	if route.SignalChannel == "" || route.EncryptionKey == "" || len(route.Instances) != 1 || route.Instances[0].InstanceID != alice.InstanceID {
		t.Fatalf("route %+v, want a virtual channel, a key and alice's instance", route)
	}
	m := receive(t, aliceRx)
	f, msg := decodeInvite(t, m, aliceReg.Config.RTCProfile.Key)
	if f.SessionID != "4f6c2d0e-5b7a-4c1e-8d2f-0a9b8c7d6e5f" || msg.FromID != bob.id+":2197748293" || msg.FromUser != "bob" ||
		msg.FromSignalChannel != bob.cfg.RTCProfile.SignalChannel || msg.NVPs[mxp.NVPKey] != route.EncryptionKey {
		t.Fatalf("Invite to the SDK callee: %+v", msg)
	}

	// A call to a user with no instance is 404 40400, as 1.x expects.
	nobody := []byte(strings.Replace(string(body), `"alice"`, `"nobody"`, 1))
	req, _ := http.NewRequest("POST", bob.f.URL()+"/v1/calls/data", bytes.NewReader(nobody))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Timestamp", ocra.FormatTimestamp(time.Now()))
	ocra.SignRequest(req, nobody, ocra.SchemeInstance, bob.id, bob.secret, time.Now())
	hr, err := bob.f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	if hr.StatusCode != 404 || !strings.Contains(string(hb), "40400") {
		t.Fatalf("call to nobody: %d %s", hr.StatusCode, hb)
	}
}

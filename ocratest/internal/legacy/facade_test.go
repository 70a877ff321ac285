package legacy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// protocol.md's application key and secret.
const (
	testAppKey    = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"
	testAppSecret = "ax8hTTQJF0OPXL32r1LHMA=="
)

func testSecret(t testing.TB) []byte {
	t.Helper()
	s, err := ocra.DecodeSecret(testAppSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.AppKey == "" {
		cfg.AppKey, cfg.AppSecret = testAppKey, testAppSecret
	}
	s, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// client1x makes the requests of a 1.x client, as docs/sinch-rtc-1x.md
// describes them.
type client1x struct {
	t      *testing.T
	s      *Server
	id     string
	secret []byte
	config struct {
		RTCConfiguration struct {
			BroadcastNetwork, SignalNetwork struct{ Host, PublishKey, SubscribeKey string }
		}
		RTCProfile struct {
			BroadcastChannel, SignalChannel, TransportChannel, Key string
		}
	}
}

func (c *client1x) do(method, path, authz string, body []byte, sign bool) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Timestamp", ocra.FormatTimestamp(time.Now()))
	if sign {
		ocra.SignRequest(req, body, ocra.SchemeInstance, c.id, c.secret, time.Now())
	} else if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.s.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// start creates an instance for user and fetches its configuration.
func (c *client1x) start(user string) {
	c.t.Helper()
	ticket := Ticket(testAppKey, testSecret(c.t), user, time.Now())
	status, b := c.do("POST", "/v1/instance", "user "+ticket,
		[]byte(`{"version":{"os":"Go","platform":"test","sdk":"js/1.4.12"},"services":{"calling":["online","voip","p2p","srtp"]},"expiresIn":31536000}`), false)
	if status != 200 {
		c.t.Fatalf("POST instance: %d %s", status, b)
	}
	var inst struct{ ID, Secret string }
	if err := json.Unmarshal(b, &inst); err != nil || inst.ID == "" {
		c.t.Fatalf("POST instance answered %s", b)
	}
	c.id = inst.ID
	c.secret, _ = base64.StdEncoding.DecodeString(inst.Secret)
	status, b = c.do("GET", "/v1/configuration/user", "", nil, true)
	if status != 200 {
		c.t.Fatalf("GET configuration: %d %s", status, b)
	}
	if err := json.Unmarshal(b, &c.config); err != nil {
		c.t.Fatal(err)
	}
}

// pubnub GETs a PubNub path and decodes the JSON reply.
func (c *client1x) pubnub(path string) (int, []any) {
	c.t.Helper()
	resp, err := c.s.Client().Get(c.s.URL() + path + "?uuid=test&pnsdk=PubNub-JS-Modern%2F3.16.5")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v []any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

// subKey is the subscribe key of channels: the broadcast network's for
// a broadcast or transport channel of the client, else the signal one's.
func (c *client1x) subKey(channels []string) string {
	k := c.s.PubNub().Keys()
	p := c.config.RTCProfile
	if p.BroadcastChannel != "" && (channels[0] == p.BroadcastChannel || channels[0] == p.TransportChannel) {
		return k.BroadcastSubscribe
	}
	return k.SignalSubscribe
}

// subscribe returns the current timetoken of a new subscription.
func (c *client1x) subscribe(channels ...string) string {
	c.t.Helper()
	_, v := c.pubnub("/subscribe/" + c.subKey(channels) + "/" + url.PathEscape(strings.Join(channels, ",")) + "/0/0")
	if len(v) != 2 || len(v[0].([]any)) != 0 {
		c.t.Fatalf("first subscribe answered %v, want no messages and a timetoken", v)
	}
	return v[1].(string)
}

// poll returns the messages after tt and the next timetoken.
func (c *client1x) poll(tt string, channels ...string) ([]string, string) {
	c.t.Helper()
	_, v := c.pubnub("/subscribe/" + c.subKey(channels) + "/" + url.PathEscape(strings.Join(channels, ",")) + "/0/" + tt)
	if len(v) < 2 {
		c.t.Fatalf("subscribe answered %v", v)
	}
	var msgs []string
	for _, m := range v[0].([]any) {
		msgs = append(msgs, m.(string))
	}
	return msgs, v[1].(string)
}

func (c *client1x) publish(channel, frame string) {
	c.t.Helper()
	v, _ := json.Marshal(frame)
	k := c.s.PubNub().Keys()
	status, reply := c.pubnub("/publish/" + k.SignalPublish + "/" + k.SignalSubscribe + "/0/" + url.PathEscape(channel) + "/0/" + url.PathEscape(string(v)))
	if status != 200 || len(reply) != 3 || reply[0] != float64(1) || reply[1] != "Sent" {
		c.t.Fatalf("publish answered %d %v", status, reply)
	}
}

// decodeFrames reassembles and decrypts one MXP message from frames.
func decodeFrames(t *testing.T, key []byte, frames []string) map[string]any {
	t.Helper()
	var payload strings.Builder
	for i, s := range frames {
		f, err := mxp.ParseFrame(s)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		payload.WriteString(f.Data)
	}
	plain, err := mxp.Open(key, payload.String())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTimestampAndCORS(t *testing.T) {
	s := newTestServer(t, Config{})
	c := &client1x{t: t, s: s}
	status, b := c.do("GET", "/v1/timestamp/", "application "+testAppKey, nil, false)
	var ts struct{ Timestamp string }
	json.Unmarshal(b, &ts)
	got, err := time.Parse(time.RFC3339Nano, ts.Timestamp)
	if status != 200 || err != nil || time.Since(got).Abs() > time.Minute {
		t.Fatalf("timestamp: %d %s", status, b)
	}
	req, _ := http.NewRequest("OPTIONS", s.URL()+"/v1/instance", nil)
	req.Header.Set("Origin", "https://page.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-timestamp")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://page.test" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "authorization,content-type,x-timestamp" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("preflight answered %d %v", resp.StatusCode, resp.Header)
	}
}

func TestInstanceAndConfiguration(t *testing.T) {
	s := newTestServer(t, Config{})
	alice := &client1x{t: t, s: s}
	alice.start("alice")
	cfg := alice.config
	if cfg.RTCConfiguration.BroadcastNetwork.Host != s.Addr() || cfg.RTCConfiguration.SignalNetwork.Host != s.Addr() {
		t.Errorf("PubNub hosts %q, %q; want the host the client reached, %q",
			cfg.RTCConfiguration.BroadcastNetwork.Host, cfg.RTCConfiguration.SignalNetwork.Host, s.Addr())
	}
	p := cfg.RTCProfile
	key, _ := base64.StdEncoding.DecodeString(p.Key)
	if p.BroadcastChannel == "" || p.SignalChannel == "" || p.TransportChannel == "" || len(key) != 16 ||
		strings.Contains(p.BroadcastChannel, alice.id) {
		t.Errorf("rtcProfile %+v: want three opaque channels unrelated to the instance id and a 16-byte key", p)
	}
	// A restart of the same user renews the instance: same id and channels, new secret.
	old := alice.secret
	ticket := Ticket(testAppKey, testSecret(t), "alice", time.Now())
	status, b := alice.do("PUT", "/v1/instances/id/"+alice.id+"/authorization", "user "+ticket,
		[]byte(`{"instanceId":"`+alice.id+`","expiresIn":31536000}`), false)
	var inst struct{ ID, Secret string }
	json.Unmarshal(b, &inst)
	if status != 200 || inst.ID != alice.id || inst.Secret == base64.StdEncoding.EncodeToString(old) {
		t.Fatalf("renewal answered %d %s", status, b)
	}
	alice.secret, _ = base64.StdEncoding.DecodeString(inst.Secret)
	if status, b := alice.do("GET", "/v1/configuration/user", "", nil, true); status != 200 || !strings.Contains(string(b), p.SignalChannel) {
		t.Fatalf("configuration after renewal: %d %s", status, b)
	}
	// The old secret no longer signs.
	alice.secret = old
	if status, b := alice.do("GET", "/v1/configuration/user", "", nil, true); status != 401 || !strings.Contains(string(b), `"errorCode":40102`) {
		t.Fatalf("old secret: %d %s, want 401 40102", status, b)
	}
}

func TestTicketRefused(t *testing.T) {
	s := newTestServer(t, Config{})
	c := &client1x{t: t, s: s}
	other := []byte("another secret, 32 bytes long...")
	cases := map[string]struct {
		authz string
		code  string
	}{
		"no authorization": {"", `"errorCode":40100`},
		"wrong scheme":     {"instance x:y", `"errorCode":40301`},
		"other secret":     {"user " + Ticket(testAppKey, other, "alice", time.Now()), "signature does not match"},
		"other app":        {"user " + Ticket("another-app", testSecret(t), "alice", time.Now()), "another application"},
		"expired":          {"user " + Ticket(testAppKey, testSecret(t), "alice", time.Now().Add(-25*time.Hour)), "expired"},
		"malformed":        {"user not-a-ticket", "not base64(JSON):signature"},
	}
	for name, tc := range cases {
		status, b := c.do("POST", "/v1/instance", tc.authz, []byte(`{}`), false)
		if status < 400 || !strings.Contains(string(b), tc.code) {
			t.Errorf("%s: %d %s, want an error with %s", name, status, b, tc.code)
		}
		if strings.Contains(string(b), testAppSecret) {
			t.Errorf("%s: the reply shows the application secret", name)
		}
	}
}

func TestCallRouting(t *testing.T) {
	s := newTestServer(t, Config{})
	alice, bob := &client1x{t: t, s: s}, &client1x{t: t, s: s}
	alice.start("alice")
	bob.start("bob")
	bp := bob.config.RTCProfile
	btt := bob.subscribe(bp.BroadcastChannel, bp.TransportChannel)

	callID := "0b8e7c62-3a51-4a8e-9f0e-6f6a1d3f2c11"
	offer := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + strings.Repeat("a=x-filler:0123456789\r\n", 100)
	body, _ := json.Marshal(map[string]any{
		"cli": "", "destination": map[string]string{"type": "username", "endpoint": "bob"}, "callId": callID,
		"mediaChannels": []string{"audio"}, "subinstanceId": 2197748293,
		"headers": map[string]any{"p2p": "yes", "ph": `{"greeting":"hi"}`}, "domain": "data",
		"sdp": map[string]string{"sdp": offer, "type": "offer"},
	})
	status, b := alice.do("POST", "/v1/calls/data", "", body, true)
	if status != 200 {
		t.Fatalf("POST calls/data: %d %s", status, b)
	}
	var route struct {
		Body          string
		SignalChannel string
		Instances     []RouteInstance
		EncryptionKey string
	}
	json.Unmarshal(b, &route)
	key, _ := base64.StdEncoding.DecodeString(route.EncryptionKey)
	if strings.TrimSpace(route.Body) != "" || route.Body == "" || route.SignalChannel == "" || len(key) != 16 ||
		len(route.Instances) != 1 || route.Instances[0].ID != bob.id {
		t.Fatalf("route %s: want a non-empty relay-less body, a virtual channel, a 16-byte key and bob's instance", b)
	}

	// bob's broadcast subscription gets the Invite, sealed with his instance key.
	frames, next := bob.poll(btt, bp.BroadcastChannel, bp.TransportChannel)
	if len(frames) < 2 {
		t.Fatalf("bob got %d frames, want a multi-part Invite", len(frames))
	}
	ik, _ := base64.StdEncoding.DecodeString(bp.Key)
	inv := decodeFrames(t, ik, frames)
	nvps, _ := inv["nvps"].(map[string]any)
	wantSDP, _ := json.Marshal(SessionDescription{Type: "offer", SDP: offer})
	for k, want := range map[string]any{"md": float64(1), "bt": "media", "bd": "", "bv": float64(10), "fu": "alice",
		"fi": alice.id + ":2197748293", "fd": alice.id, "fs": alice.config.RTCProfile.SignalChannel, "fc": ""} {
		if inv[k] != want {
			t.Errorf("Invite %s = %#v, want %#v", k, inv[k], want)
		}
	}
	if nvps["key"] != route.EncryptionKey || nvps["sdp"] != string(wantSDP) || nvps["ph"] != `{"greeting":"hi"}` || nvps["to"] != nil {
		t.Errorf("Invite nvps %v", nvps)
	}

	// What alice publishes on the virtual channel reaches bob's signal channel.
	stt := bob.subscribe(bp.SignalChannel)
	cancel, err := mxp.Encode(callID, key, &mxp.Message{Method: mxp.Cancel, FromUser: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice.publish(route.SignalChannel, cancel[0])
	got, _ := bob.poll(stt, bp.SignalChannel)
	if len(got) != 1 || got[0] != cancel[0] {
		t.Fatalf("bob's signal channel got %q, want alice's Cancel", got)
	}
	if m := decodeFrames(t, key, got); m["md"] != float64(7) {
		t.Fatalf("decoded %v", m)
	}
	_ = next

	// Call reports reach the backend.
	report := []byte(`{"callId":"` + callID + `","domain":"data","outbound":true,"result":6}`)
	if status, b := alice.do("PUT", "/v1/calls/data/id/"+callID, "", report, true); status != 200 || string(b) != "{}" {
		t.Fatalf("report: %d %s", status, b)
	}
	if r := s.Memory().Reports(callID); len(r) != 1 || string(r[0]) != string(report) {
		t.Fatalf("reports %s", r)
	}
}

func TestCallToUnknownUser(t *testing.T) {
	s := newTestServer(t, Config{})
	alice := &client1x{t: t, s: s}
	alice.start("alice")
	body := []byte(`{"destination":{"type":"username","endpoint":"nobody"},"callId":"c1","subinstanceId":7,"domain":"data","sdp":{"type":"offer","sdp":"v=0"}}`)
	status, b := alice.do("POST", "/v1/calls/data", "", body, true)
	if status != 404 || string(b) != `{"errorCode":40400,"message":"destination user not found"}` {
		t.Fatalf("got %d %s", status, b)
	}
	// Unsigned and badly signed calls are refused.
	if status, b := alice.do("POST", "/v1/calls/data", "", body, false); status != 401 || !strings.Contains(string(b), "40100") {
		t.Fatalf("unsigned: %d %s", status, b)
	}
	alice.secret = []byte("wrong")
	if status, b := alice.do("POST", "/v1/calls/data", "", body, true); status != 401 || !strings.Contains(string(b), "40102") {
		t.Fatalf("badly signed: %d %s", status, b)
	}
}

// TestSubscribeLosesNothing: what is published while no poll is open is in
// the next poll, in order; a poll with nothing to return waits its hold and
// returns the same cursor's successor.
func TestSubscribeLosesNothing(t *testing.T) {
	s := newTestServer(t, Config{PollHold: 200 * time.Millisecond})
	c := &client1x{t: t, s: s}
	tt := c.subscribe("a", "b")
	c.publish("a", "one")
	c.publish("c", "elsewhere")
	c.publish("b", "two")
	msgs, next := c.poll(tt, "a", "b")
	if fmt.Sprint(msgs) != "[one two]" {
		t.Fatalf("got %q, want [one two]", msgs)
	}
	start := time.Now()
	msgs, after := c.poll(next, "a", "b")
	if len(msgs) != 0 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("empty poll returned %q after %v, want nothing after the hold", msgs, time.Since(start))
	}
	n1, _ := strconv.ParseInt(next, 10, 64)
	n2, _ := strconv.ParseInt(after, 10, 64)
	if n2 < n1 || len(after) != 17 {
		t.Fatalf("cursor went from %s to %s", next, after)
	}
	// A poll held open gets a message published meanwhile.
	done := make(chan []string)
	go func() {
		m, _ := c.poll(after, "b")
		done <- m
	}()
	time.Sleep(50 * time.Millisecond)
	c.publish("b", "three")
	if m := <-done; fmt.Sprint(m) != "[three]" {
		t.Fatalf("held poll got %q", m)
	}
}

func TestPubNubTimeAndLeave(t *testing.T) {
	s := newTestServer(t, Config{})
	c := &client1x{t: t, s: s}
	_, v := c.pubnub("/time/0")
	if len(v) != 1 {
		t.Fatalf("time answered %v", v)
	}
	k := s.PubNub().Keys()
	resp, err := s.Client().Get(s.URL() + "/v2/presence/sub_key/" + k.SignalSubscribe + "/channel/x%2Cy/leave?uuid=u")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"action":"leave"`) {
		t.Fatalf("leave answered %d %s", resp.StatusCode, b)
	}
	for _, bad := range []string{"/subscribe/" + k.SignalSubscribe + "/a/cb/0", "/subscribe/" + k.SignalSubscribe + "/a/0/12x",
		"/publish/p/s/0/a/0/%7B%7D", "/publish/" + k.SignalPublish + "/" + k.SignalSubscribe + "/0/a/0/%7B", "/time/cb"} {
		status, _ := c.pubnub(bad)
		if status < 400 || status > 499 {
			t.Errorf("%s: %d, want a 4xx refusal", bad, status)
		}
	}
}

// TestCloseEndsPolls: closing the server does not wait for held polls.
func TestCloseEndsPolls(t *testing.T) {
	s, err := NewServer(Config{AppKey: testAppKey, AppSecret: testAppSecret, PollHold: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client1x{t: t, s: s}
	tt := c.subscribe("a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/subscribe/"+s.PubNub().Keys().SignalSubscribe+"/a/0/"+tt, nil)
		if resp, err := s.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	s.Close()
	<-done
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v with a poll held", d)
	}
}

package ocratest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestInstanceLifecycle(t *testing.T) {
	clk := newClock()
	s := newServer(t, ocratest.WithClock(clk.Now), ocratest.WithInstanceTTL(72*time.Hour),
		ocratest.WithConfigRefreshInterval(time.Minute))
	c := newClient(t, s, ocra.WithClock(clk.Now))
	ctx := context.Background()

	ts, err := c.Timestamp(ctx)
	if err != nil || !ts.Equal(clk.Now()) {
		t.Fatalf("Timestamp = %v, %v; want %v", ts, err, clk.Now())
	}

	cr, created := register(t, s, c, "alice")
	in := created.Instance
	if len(cr.Secret) != 32 {
		t.Errorf("instance secret has %d bytes, want 32", len(cr.Secret))
	}
	if want := clk.Now().Add(72 * time.Hour); !in.ExpireAt.Equal(want) {
		t.Errorf("expireAt = %v, want %v", in.ExpireAt, want)
	}
	if in.DeviceID != "device-of-alice" || len(in.Capabilities) != 2 || in.Version.SDK != "test" {
		t.Errorf("instance = %+v, want the request's device, capabilities and version", in)
	}
	cfg := created.Config
	if b, sig := cfg.RTCProfile.BroadcastChannel, cfg.RTCProfile.SignalChannel; b == "" || sig == "" || b == sig ||
		strings.Contains(b, in.ID) || strings.Contains(sig, in.ID) {
		t.Errorf("channels = %q, %q; want two opaque names that do not contain the instance id", b, sig)
	}
	if key, err := ocra.DecodeSecret(cfg.RTCProfile.Key); err != nil || len(key) != 32 {
		t.Errorf("MXP key decodes to %d bytes (%v), want 32", len(key), err)
	}
	if cfg.ConfigRefreshIntervalMs != 60000 || cfg.UpdateInstanceTTLWindowDays != 1.5 {
		t.Errorf("refresh %d ms, window %v days; want 60000 and 1.5 (half the TTL)",
			cfg.ConfigRefreshIntervalMs, cfg.UpdateInstanceTTLWindowDays)
	}
	if ps := cfg.RTCConfig.MXPPubSubConfig; ps.Transport != "" || ps.Hostname != "http://127.0.0.1" ||
		!strings.HasSuffix(s.RealtimeAddr(), ":"+strconv.Itoa(ps.Port)) || ps.BroadcastSubscribeKey == "" ||
		ps.SignalSubscribeKey == "" || ps.SignalPublishKey == "" {
		t.Errorf("pub/sub config %+v, PubNub origin at %s", ps, s.RealtimeAddr())
	}

	got, err := c.Config(ctx, cr)
	if err != nil || got.RTCProfile != cfg.RTCProfile {
		t.Fatalf("Config = %+v, %v; want the profile of the registration", got, err)
	}
	ice, err := c.ICEServers(ctx, cr)
	if err != nil || len(ice) != 0 {
		t.Fatalf("ICEServers = %v, %v; want none", ice, err)
	}

	clk.Advance(time.Hour)
	ttl, err := c.ExtendInstance(ctx, s.Token("alice"), in.ID)
	if err != nil {
		t.Fatalf("ExtendInstance: %v", err)
	}
	if want := clk.Now().Add(72 * time.Hour); ttl.InstanceID != in.ID || !ttl.ExpireAt.Equal(want) {
		t.Errorf("ExtendInstance = %+v, want expireAt %v", ttl, want)
	}
	if infos := s.Instances("alice"); len(infos) != 1 || infos[0].ID != in.ID || !infos[0].ExpireAt.Equal(ttl.ExpireAt) {
		t.Errorf("Instances(alice) = %+v, want the extended instance", infos)
	}

	if err := c.DeleteInstance(ctx, cr); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	_, err = c.Config(ctx, cr)
	wantAPIError(t, err, ocra.CodeNotFound, "instance not found: create a new instance")
	if infos := s.Instances("alice"); len(infos) != 0 {
		t.Errorf("Instances(alice) after delete = %+v, want none", infos)
	}
}

func TestInstanceExpiresAndTokenCapsIt(t *testing.T) {
	clk := newClock()
	s := newServer(t, ocratest.WithClock(clk.Now), ocratest.WithInstanceTTL(30*24*time.Hour))
	c := newClient(t, s, ocra.WithClock(clk.Now))
	ctx := context.Background()

	limit := clk.Now().Add(49 * time.Hour)
	token, err := auth.NewRegistrationToken(s.ApplicationKey(), s.ApplicationSecret(), "alice",
		auth.WithClock(clk.Now), auth.WithInstanceExpiry(limit))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.CreateInstance(ctx, token, ocra.CreateInstanceRequest{UserID: "alice"})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if !resp.Instance.ExpireAt.Equal(limit) {
		t.Fatalf("expireAt = %v, want the token's instance expiry %v", resp.Instance.ExpireAt, limit)
	}
	secret, _ := ocra.DecodeSecret(resp.Instance.Secret)
	cr := ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret}

	clk.Advance(49 * time.Hour)
	_, err = c.Config(ctx, cr)
	wantAPIError(t, err, ocra.CodeNotFound, "instance not found")
	_, err = c.ExtendInstance(ctx, s.Token("alice"), cr.InstanceID)
	wantAPIError(t, err, ocra.CodeNotFound, "instance not found")
	if infos := s.Instances("alice"); len(infos) != 0 {
		t.Errorf("Instances(alice) = %+v, want none after expiry", infos)
	}
}

func TestTTLWindow(t *testing.T) {
	tests := []struct {
		name string
		opts []ocratest.Option
		want float64
	}{
		{"default", nil, 7},
		{"set", []ocratest.Option{ocratest.WithTTLWindow(48 * time.Hour)}, 2},
		{"capped at half the TTL", []ocratest.Option{ocratest.WithInstanceTTL(4 * 24 * time.Hour)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.opts...)
			_, resp := register(t, s, newClient(t, s), "alice")
			if got := resp.Config.UpdateInstanceTTLWindowDays; got != tt.want {
				t.Errorf("updateInstanceTtlWindowDays = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCreateInstanceRefusesBadTokens(t *testing.T) {
	clk := newClock()
	s := newServer(t, ocratest.WithClock(clk.Now))
	c := newClient(t, s, ocra.WithClock(clk.Now))
	token := func(appKey, appSecret, user string, opts ...auth.Option) string {
		tok, err := auth.NewRegistrationToken(appKey, appSecret, user, append([]auth.Option{auth.WithClock(clk.Now)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherSecret := "c2VjcmV0IG9mIGFub3RoZXIgYXBwbGljYXRpb24hIQ=="
	replayed := s.Token("alice")
	if _, err := c.CreateInstance(context.Background(), replayed, ocra.CreateInstanceRequest{UserID: "alice"}); err != nil {
		t.Fatalf("first use of a token: %v", err)
	}
	tests := []struct {
		name  string
		token string
		user  string
		code  int
		msg   string
	}{
		{"signed with another secret", token(s.ApplicationKey(), otherSecret, "alice"), "alice",
			ocra.CodeInvalidToken, "token signature invalid: check the application secret"},
		{"expired", token(s.ApplicationKey(), s.ApplicationSecret(), "alice",
			auth.WithClock(func() time.Time { return clk.Now().Add(-time.Hour) })), "alice",
			ocra.CodeInvalidToken, "token expired"},
		{"another application", token("other-app", s.ApplicationSecret(), "alice"), "alice",
			ocra.CodeInvalidToken, "token is for another application"},
		{"another user in the body", s.Token("alice"), "mallory",
			ocra.CodeInvalidToken, "token is for another user"},
		{"nonce reused", replayed, "alice", ocra.CodeInvalidToken, "token nonce already used"},
		{"not a JWT", "not-a-token", "alice", ocra.CodeInvalidToken, "invalid registration token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateInstance(context.Background(), tt.token, ocra.CreateInstanceRequest{UserID: tt.user})
			apiErr := wantAPIError(t, err, tt.code, tt.msg)
			if apiErr.Status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", apiErr.Status)
			}
			if strings.Contains(apiErr.Message, tt.token) {
				t.Errorf("message %q echoes the token", apiErr.Message)
			}
		})
	}
	if infos := s.Instances("alice"); len(infos) != 1 {
		t.Errorf("Instances(alice) = %d instances, want only the first registration", len(infos))
	}
}

// do sends a raw request to s and returns the status and error body.
func do(t *testing.T, s *ocratest.Server, r *http.Request) (int, ocra.APIError) {
	t.Helper()
	resp, err := s.Client().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	var body ocra.APIError
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("%s %s: HTTP %d body %q is not an error JSON", r.Method, r.URL.Path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, body
}

// newRequest builds a request to path below /ocra/v1 with a JSON body.
func newRequest(t *testing.T, s *ocratest.Server, method, path string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, s.URL()+ocra.BasePath+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		r.Header.Set("Content-Type", ocra.ContentTypeJSON)
	}
	return r
}

func TestSignedRequestsAreChecked(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	bob, _ := register(t, s, c, "bob")
	body := []byte(`{"callId":"c1","destination":{"type":"userId","identity":"bob"},"sdp":{"type":"offer","sdp":"v=0"}}`)
	sign := func(r *http.Request, body []byte, cr ocra.Credentials, at time.Time) *http.Request {
		ocra.SignRequest(r, body, ocra.SchemeInstance, cr.InstanceID, cr.Secret, at)
		return r
	}
	now := time.Now()
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		code   int
	}{
		{"tampered body", func() *http.Request {
			r := sign(newRequest(t, s, "POST", "/calls", body), body, alice, now)
			tampered := bytes.Replace(body, []byte("bob"), []byte("eve"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(tampered)), int64(len(tampered))
			return r
		}, 401, ocra.CodeInvalidSignature},
		{"tampered path", func() *http.Request {
			r := sign(newRequest(t, s, "GET", "/instances/"+alice.InstanceID+"/config", nil), nil, alice, now)
			r.URL.Path = ocra.BasePath + "/instances/" + alice.InstanceID + "/ice-servers"
			return r
		}, 401, ocra.CodeInvalidSignature},
		{"wrong secret", func() *http.Request {
			forged := ocra.Credentials{InstanceID: alice.InstanceID, Secret: bob.Secret}
			return sign(newRequest(t, s, "GET", "/instances/"+alice.InstanceID+"/config", nil), nil, forged, now)
		}, 401, ocra.CodeInvalidSignature},
		{"clock skew", func() *http.Request {
			return sign(newRequest(t, s, "GET", "/instances/"+alice.InstanceID+"/config", nil), nil, alice, now.Add(-20*time.Minute))
		}, 401, ocra.CodeBadTimestamp},
		{"no authorization", func() *http.Request {
			return newRequest(t, s, "GET", "/instances/"+alice.InstanceID+"/config", nil)
		}, 401, ocra.CodeMissingAuth},
		{"unknown instance", func() *http.Request {
			ghost := ocra.Credentials{InstanceID: "ghost", Secret: alice.Secret}
			return sign(newRequest(t, s, "GET", "/instances/ghost/config", nil), nil, ghost, now)
		}, 404, ocra.CodeNotFound},
		{"another instance's path", func() *http.Request {
			return sign(newRequest(t, s, "GET", "/instances/"+bob.InstanceID+"/config", nil), nil, alice, now)
		}, 403, ocra.CodeWrongScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := do(t, s, tt.req())
			if status != tt.status || e.Code != tt.code {
				t.Errorf("answer = %d %+v, want %d with code %d", status, e, tt.status, tt.code)
			}
		})
	}
}

func TestClientCorrectsClockFromDateHeader(t *testing.T) {
	serverTime := time.Now().Add(time.Hour)
	s := newServer(t, ocratest.WithClock(func() time.Time { return serverTime }))
	c := newClient(t, s) // signs with the real clock, an hour behind the server
	cr, _ := register(t, s, c, "alice")
	if _, err := c.Config(context.Background(), cr); err != nil {
		t.Fatalf("Config after the client saw the server's Date: %v", err)
	}
}

func TestRouting(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name, method, path string
		body               []byte
		status, code       int
	}{
		{"unknown path", "GET", "/nope", nil, 404, ocra.CodeNotFound},
		{"wrong method", "DELETE", "/timestamp", nil, 405, 40500},
		{"empty instance id", "GET", "/instances//config", nil, 404, ocra.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := do(t, s, newRequest(t, s, tt.method, tt.path, tt.body))
			if status != tt.status || e.Code != tt.code {
				t.Errorf("answer = %d %+v, want %d with code %d", status, e, tt.status, tt.code)
			}
		})
	}
	t.Run("outside the API", func(t *testing.T) {
		r, _ := http.NewRequest("GET", s.URL()+"/v1/timestamp", nil)
		if status, e := do(t, s, r); status != 404 || e.Code != ocra.CodeNotFound {
			t.Errorf("answer = %d %+v, want 404 with code 40400", status, e)
		}
	})
}

func TestCreateInstanceValidatesBody(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name   string
		body   []byte
		status int
	}{
		{"not JSON", []byte("{"), 400},
		{"no user", []byte(`{"deviceId":"d"}`), 400},
		{"expireAt in the past", []byte(`{"userId":"alice","expireAt":"2001-01-01T00:00:00Z"}`), 400},
		{"over 64 KiB", append([]byte(`{"userId":"alice","deviceId":"`), bytes.Repeat([]byte("x"), 65<<10)...), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(t, s, "POST", "/instances", tt.body)
			r.Header.Set("Authorization", "Bearer "+s.Token("alice"))
			status, e := do(t, s, r)
			if status != tt.status || e.Code != ocra.CodeValidation {
				t.Errorf("answer = %d %+v, want %d with code 40001", status, e, tt.status)
			}
		})
	}
}

func TestExtendInstanceWithAnotherUsersToken(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	_, err := c.ExtendInstance(context.Background(), s.Token("bob"), alice.InstanceID)
	wantAPIError(t, err, ocra.CodeInvalidToken, "another user")
}

func TestTLS(t *testing.T) { forEachTransport(t, testTLS) }

func testTLS(t *testing.T, opts ...ocratest.Option) {
	s := newServer(t, append(opts, ocratest.WithTLS())...)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %q, want https://127.0.0.1:port", s.URL())
	}
	c := newClient(t, s)
	cr, reg := register(t, s, c, "alice")
	if ps := reg.Config.RTCConfig.MXPPubSubConfig; ps.Hostname != "127.0.0.1" {
		t.Errorf("hostname %q: with TLS the client is not told to use plain HTTP", ps.Hostname)
	}
	conn, _ := realtime(t, s, c, cr)
	if err := conn.Ping(context.Background()); err != nil {
		t.Fatalf("Ping over TLS: %v", err)
	}
}

func TestTokenPanicsOnEmptyUser(t *testing.T) {
	s := newServer(t)
	defer func() {
		if recover() == nil {
			t.Error("Token(\"\") did not panic")
		}
	}()
	s.Token("")
}

func TestNewServerPanicsOnInvalidOption(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewServer with a secret that is not base64 did not panic")
		}
	}()
	ocratest.NewServer(ocratest.WithApplication("app", "not base64!")).Close()
}

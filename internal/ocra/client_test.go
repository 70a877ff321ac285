package ocra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testJWT = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"

// testCred has an id that needs escaping in a path.
var testCred = Credentials{InstanceID: "inst 1/a", Secret: testSecret}

// seen is what the fake server received on its last request.
type seen struct {
	method, path, param string // param is the {id} or {callId} path value
	header              http.Header
	body                []byte
	instance            string // the verified instance id
}

// fake is an Ocra server that checks every request's authorization for real:
// Bearer requests against testJWT, signed ones with VerifyRequest.
type fake struct {
	srv      *httptest.Server
	mu       sync.Mutex
	last     seen
	requests int
}

type authKind int

const (
	authNone authKind = iota
	authBearer
	authInstance
)

// reply answers a request with a status and a JSON body (none when nil).
type reply func(r *http.Request, body []byte) (int, any)

func newFake(t *testing.T, opts ...Option) (*fake, *Client) {
	t.Helper()
	f := &fake{}
	mux := http.NewServeMux()
	f.route(mux, "GET /ocra/v1/timestamp", authNone, func(*http.Request, []byte) (int, any) {
		return http.StatusOK, TimestampResponse{Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)}
	})
	f.route(mux, "POST /ocra/v1/instances", authBearer, func(_ *http.Request, body []byte) (int, any) {
		var req CreateInstanceRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return http.StatusBadRequest, APIError{Code: CodeValidation, Message: "bad body"}
		}
		return http.StatusCreated, CreateInstanceResponse{
			Instance: Instance{ID: "new-id", Secret: "c2VjcmV0", DeviceID: req.DeviceID},
			Config:   Config{ConfigRefreshIntervalMs: 1000},
		}
	})
	f.route(mux, "PUT /ocra/v1/instances/{id}/ttl", authBearer, func(r *http.Request, _ []byte) (int, any) {
		return http.StatusOK, TTLResponse{InstanceID: r.PathValue("id"), ExpireAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	})
	f.route(mux, "GET /ocra/v1/instances/{id}/config", authInstance, func(*http.Request, []byte) (int, any) {
		return http.StatusOK, Config{RTCProfile: RTCProfile{SignalChannel: "s.x", Key: "a2V5"}}
	})
	f.route(mux, "DELETE /ocra/v1/instances/{id}", authInstance, func(*http.Request, []byte) (int, any) {
		return http.StatusNoContent, nil
	})
	f.route(mux, "GET /ocra/v1/instances/{id}/ice-servers", authInstance, func(*http.Request, []byte) (int, any) {
		return http.StatusOK, []ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}, Username: "u", CredentialType: "password", Password: "p"}}
	})
	f.route(mux, "POST /ocra/v1/calls", authInstance, func(_ *http.Request, body []byte) (int, any) {
		var req CreateCallRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return http.StatusBadRequest, APIError{Code: CodeValidation, Message: "bad body"}
		}
		return http.StatusOK, CreateCallResponse{CallID: req.CallID, MXPSignalChannel: "c." + req.CallID, Instances: []CallInstance{{ID: "callee"}}}
	})
	f.route(mux, "POST /ocra/v1/calls/{callId}/reports", authInstance, func(*http.Request, []byte) (int, any) {
		return http.StatusNoContent, nil
	})
	f.route(mux, "GET /ocra/v1/pubsub", authInstance, func(*http.Request, []byte) (int, any) {
		return http.StatusOK, map[string]string{}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	c, err := NewClient(f.srv.URL, f.srv.Client(), append([]Option{WithVersion("1.2.3")}, opts...)...)
	require.NoError(t, err)
	return f, c
}

func (f *fake) route(mux *http.ServeMux, pattern string, kind authKind, answer reply) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		f.mu.Unlock()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		s := seen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		s.param = r.PathValue("id") + r.PathValue("callId")
		switch kind {
		case authBearer:
			if r.Header.Get("Authorization") != "Bearer "+testJWT {
				writeJSON(w, http.StatusUnauthorized, APIError{Code: CodeInvalidToken, Message: "Invalid token"})
				return
			}
		case authInstance:
			id, apiErr := VerifyRequest(r, body, SchemeInstance, time.Now(), func(id string) ([]byte, bool) {
				return testCred.Secret, id == testCred.InstanceID
			})
			if apiErr != nil {
				writeJSON(w, apiErr.Status, apiErr)
				return
			}
			s.instance = id
		}
		f.mu.Lock()
		f.last = s
		f.mu.Unlock()
		status, out := answer(r, body)
		writeJSON(w, status, out)
	})
}

func (f *fake) lastRequest() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func (f *fake) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", ContentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestClientTimestamp(t *testing.T) {
	f, c := newFake(t)
	ts, err := c.Timestamp(t.Context())
	require.NoError(t, err)
	assert.True(t, ts.Equal(time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)), ts)
	last := f.lastRequest()
	assert.Equal(t, "sinch-go/1.2.3", last.header.Get("User-Agent"))
	assert.Empty(t, last.header.Get("Authorization"))
}

func TestClientCreateInstance(t *testing.T) {
	f, c := newFake(t)
	req := CreateInstanceRequest{UserID: "alice", DeviceID: "dev-1", Capabilities: []string{"video"}, Version: Version{OS: "linux", Platform: "go", SDK: "1.2.3"}}
	resp, err := c.CreateInstance(t.Context(), testJWT, req)
	require.NoError(t, err)
	assert.Equal(t, "new-id", resp.Instance.ID)
	assert.Equal(t, "dev-1", resp.Instance.DeviceID)
	assert.Equal(t, int64(1000), resp.Config.ConfigRefreshIntervalMs)

	last := f.lastRequest()
	assert.Equal(t, ContentTypeJSON, last.header.Get("Content-Type"))
	var got CreateInstanceRequest
	require.NoError(t, json.Unmarshal(last.body, &got))
	assert.Equal(t, req, got)

	_, err = c.CreateInstance(t.Context(), "other.jwt.x", req)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeInvalidToken, apiErr.Code)
}

func TestClientExtendInstance(t *testing.T) {
	f, c := newFake(t)
	resp, err := c.ExtendInstance(t.Context(), testJWT, testCred.InstanceID)
	require.NoError(t, err)
	assert.Equal(t, testCred.InstanceID, resp.InstanceID)
	last := f.lastRequest()
	assert.Equal(t, http.MethodPut, last.method)
	assert.Empty(t, last.body)
	assert.Empty(t, last.header.Get("Content-Type"))
}

func TestClientInstanceEndpoints(t *testing.T) {
	f, c := newFake(t)
	ctx := t.Context()

	cfg, err := c.Config(ctx, testCred)
	require.NoError(t, err)
	assert.Equal(t, "s.x", cfg.RTCProfile.SignalChannel)
	assert.Equal(t, seen{method: http.MethodGet, path: "/ocra/v1/instances/inst 1/a/config", param: testCred.InstanceID, instance: testCred.InstanceID},
		withoutHeaderBody(f.lastRequest()))

	servers, err := c.ICEServers(ctx, testCred)
	require.NoError(t, err)
	require.Len(t, servers, 1)
	assert.Equal(t, []string{"turn:127.0.0.1:3478"}, servers[0].URLs)
	assert.Equal(t, "/ocra/v1/instances/inst 1/a/ice-servers", f.lastRequest().path)

	require.NoError(t, c.DeleteInstance(ctx, testCred))
	assert.Equal(t, seen{method: http.MethodDelete, path: "/ocra/v1/instances/inst 1/a", param: testCred.InstanceID, instance: testCred.InstanceID},
		withoutHeaderBody(f.lastRequest()))
}

func withoutHeaderBody(s seen) seen {
	s.header, s.body = nil, nil
	return s
}

func TestClientCalls(t *testing.T) {
	f, c := newFake(t)
	req := CreateCallRequest{
		CallID:            "call-1",
		Destination:       Destination{Domain: "mxp", Type: DestUserID, Identity: "bob"},
		SDP:               SessionDescription{Type: "offer", SDP: "v=0\r\n"},
		PublicCallHeaders: map[string]string{"k": "v"},
	}
	resp, err := c.CreateCall(t.Context(), testCred, req)
	require.NoError(t, err)
	assert.Equal(t, "c.call-1", resp.MXPSignalChannel)
	last := f.lastRequest()
	assert.Equal(t, ContentTypeJSON, last.header.Get("Content-Type"))
	assert.Equal(t, ContentMD5(last.body), last.header.Get(HeaderContentMD5))
	var got CreateCallRequest
	require.NoError(t, json.Unmarshal(last.body, &got))
	assert.Equal(t, req, got)

	rep := CallReport{CallID: "call/1", Direction: "outbound", Duration: 1.5, Result: "HUNG_UP"}
	require.NoError(t, c.ReportCall(t.Context(), testCred, rep))
	last = f.lastRequest()
	assert.Equal(t, "call/1", last.param)
	assert.Equal(t, testCred.InstanceID, last.instance)
	var gotRep CallReport
	require.NoError(t, json.Unmarshal(last.body, &gotRep))
	assert.Equal(t, rep, gotRep)
}

func TestClientPubSub(t *testing.T) {
	f, c := newFake(t)
	assert.Equal(t, "ws://"+f.srv.Listener.Addr().String()+"/ocra/v1/pubsub", c.PubSubURL())

	// The headers are what the WebSocket upgrade sends: the server must accept them.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/ocra/v1/pubsub", nil)
	require.NoError(t, err)
	req.Header = c.PubSubHeader(testCred)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, testCred.InstanceID, f.lastRequest().instance)
	assert.Equal(t, "sinch-go/1.2.3", f.lastRequest().header.Get("User-Agent"))
}

func TestClientRefusesBeforeSending(t *testing.T) {
	f, c := newFake(t)
	ctx := t.Context()
	_, err := c.CreateInstance(ctx, "", CreateInstanceRequest{})
	assert.ErrorContains(t, err, "registration token is empty")
	_, err = c.ExtendInstance(ctx, testJWT, "")
	assert.ErrorContains(t, err, "instance id is empty")
	_, err = c.Config(ctx, Credentials{Secret: testSecret})
	assert.ErrorContains(t, err, "no instance id")
	err = c.DeleteInstance(ctx, Credentials{InstanceID: "x"})
	assert.ErrorContains(t, err, "no secret")
	err = c.ReportCall(ctx, testCred, CallReport{})
	assert.ErrorContains(t, err, "no call id")
	assert.Equal(t, seen{}, f.lastRequest())
}

func TestCredentialsHideSecret(t *testing.T) {
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.Equal(t, "instance inst 1/a", fmt.Sprintf(format, testCred), format)
	}
}

// errorServer answers every request with status and body.
func errorServer(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, srv.Client())
	require.NoError(t, err)
	return c
}

func TestClientErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   APIError
	}{
		{"JSON error", http.StatusNotFound, `{"code":40400,"message":"destination user not found","reference":"r-1"}`,
			APIError{Status: 404, Code: 40400, Message: "destination user not found", Reference: "r-1"}},
		{"non-JSON 502", http.StatusBadGateway, "<html>bad gateway</html>",
			APIError{Status: 502, Code: 50200, Message: "unexpected HTTP status 502 Bad Gateway"}},
		{"JSON without code", http.StatusServiceUnavailable, `{"error":"busy"}`,
			APIError{Status: 503, Code: 50300, Message: "unexpected HTTP status 503 Service Unavailable"}},
		{"body of exactly 1 MiB", http.StatusInternalServerError, strings.Repeat("x", MaxResponseBody),
			APIError{Status: 500, Code: 50000, Message: "unexpected HTTP status 500 Internal Server Error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := errorServer(t, tc.status, tc.body)
			err := c.DeleteInstance(t.Context(), testCred)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.want, *apiErr)
		})
	}
}

func TestClientBodyOverLimit(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusBadGateway} {
		c := errorServer(t, status, strings.Repeat(" ", MaxResponseBody+1))
		_, err := c.Config(t.Context(), testCred)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "over 1048576 bytes")
		var apiErr *APIError
		assert.False(t, errors.As(err, &apiErr), "status %d", status)
	}
}

// A 2xx answer the client cannot use is the server's fault, not the
// network's: an *APIError that names the request, whose body it never quotes.
func TestClientBadSuccessBody(t *testing.T) {
	cases := []struct {
		name, body, want string
		do               func(*Client) error
	}{
		{"HTML", "<html>secret-looking page</html>", "not JSON at byte 1",
			func(c *Client) error { _, err := c.Config(t.Context(), testCred); return err }},
		{"wrong field type", `{"instance":{"id":7,"secret":"c2VjcmV0"}}`, "field instance.id is a JSON number, not string",
			func(c *Client) error {
				_, err := c.CreateInstance(t.Context(), testJWT, CreateInstanceRequest{})
				return err
			}},
		{"truncated", `{"callId":"c`, "truncated JSON",
			func(c *Client) error { _, err := c.CreateCall(t.Context(), testCred, CreateCallRequest{}); return err }},
		{"no timestamp", "{}", "it has no timestamp",
			func(c *Client) error { _, err := c.Timestamp(t.Context()); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := errorServer(t, http.StatusOK, tc.body)
			err := tc.do(c)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusOK, apiErr.Status)
			assert.Equal(t, 20000, apiErr.Code)
			assert.Contains(t, apiErr.Message, "bad answer to ")
			assert.Contains(t, apiErr.Message, tc.want)
			assert.Contains(t, apiErr.Message, "check the environment host")
			assert.NotContains(t, err.Error(), "secret")
			assert.NotContains(t, err.Error(), "c2VjcmV0")
		})
	}
	c := errorServer(t, http.StatusOK, "not json")
	_, err := c.Config(t.Context(), testCred)
	assert.ErrorContains(t, err, "bad answer to GET /ocra/v1/instances/inst%201%2Fa/config: HTTP 200 OK with Content-Type text/plain")
}

func TestClientContextCancelled(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // the client gave up
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, srv.Client())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	_, err = c.Config(ctx, testCred)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestClientServerClosed(t *testing.T) {
	f, c := newFake(t)
	f.srv.Close()
	_, err := c.Timestamp(t.Context())
	require.Error(t, err)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
	assert.Contains(t, err.Error(), "GET /ocra/v1/timestamp")
}

// A client whose clock is an hour slow is refused with 40101, takes the
// server's time from the Date header and succeeds on the retry, and signs
// later requests with the corrected clock.
func TestClientCorrectsClockSkew(t *testing.T) {
	f, c := newFake(t, WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	_, err := c.Config(t.Context(), testCred)
	require.NoError(t, err)
	require.NoError(t, c.DeleteInstance(t.Context(), testCred))
	assert.Equal(t, 3, f.requestCount(), "one retry for the first request, none for the second")
}

func TestClientConcurrentUse(t *testing.T) {
	_, c := newFake(t, WithClock(func() time.Time { return time.Now().Add(time.Hour) }))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Config(t.Context(), testCred)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestClientRetriesBadTimestampOnce(t *testing.T) {
	var mu sync.Mutex
	attempts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, APIError{Code: CodeBadTimestamp, Message: "Invalid timestamp"})
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, srv.Client())
	require.NoError(t, err)

	err = c.DeleteInstance(t.Context(), testCred)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeBadTimestamp, apiErr.Code)
	_, err = c.CreateInstance(t.Context(), testJWT, CreateInstanceRequest{})
	require.ErrorAs(t, err, &apiErr)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 3, attempts, "a signed request is retried once, a Bearer one never")
}

func TestNewClient(t *testing.T) {
	good := map[string]string{
		"https://ocra.api.sinch.com":      "wss://ocra.api.sinch.com/ocra/v1/pubsub",
		"https://ocra.api.sinch.com/":     "wss://ocra.api.sinch.com/ocra/v1/pubsub",
		"ocra.api.sinch.com":              "wss://ocra.api.sinch.com/ocra/v1/pubsub",
		"ocra.example.com:8443":           "wss://ocra.example.com:8443/ocra/v1/pubsub",
		"HTTPS://Ocra.Example.com:8443":   "wss://Ocra.Example.com:8443/ocra/v1/pubsub",
		"http://127.0.0.1:8080":           "ws://127.0.0.1:8080/ocra/v1/pubsub",
		"http://[::1]:8080":               "ws://[::1]:8080/ocra/v1/pubsub",
		"https://ocra.example.com:443":    "wss://ocra.example.com:443/ocra/v1/pubsub",
		"https://xn--ocr-5na.example.com": "wss://xn--ocr-5na.example.com/ocra/v1/pubsub",
	}
	for base, want := range good {
		c, err := NewClient(base, nil)
		require.NoError(t, err, base)
		assert.Equal(t, want, c.PubSubURL(), base)
	}
	bad := map[string]string{
		"":                             "empty",
		"ftp://ocra.example.com":       `scheme "ftp"`,
		"https://":                     "no host",
		"https://user:hunter2@ocra.io": "user info",
		"https://ocra.io/api":          "only scheme, host and port",
		"https://ocra.io?x=1":          "only scheme, host and port",
		"https://ocra.io#top":          "only scheme, host and port",
		"http://[::1":                  "not a valid URL",
		"https://ocra.io:port":         "not a valid URL",
	}
	for base, want := range bad {
		_, err := NewClient(base, nil)
		require.Error(t, err, base)
		assert.Contains(t, err.Error(), want, base)
		assert.NotContains(t, err.Error(), "hunter2")
	}
	_, err := NewClient("https://ocra.io", nil, WithClock(nil))
	assert.Error(t, err)
}

func FuzzDecodeAPIError(f *testing.F) {
	f.Add(401, []byte(`{"code":40102,"message":"Invalid Signature","reference":"r"}`))
	f.Add(502, []byte("<html>"))
	f.Add(404, []byte(`{"code":0}`))
	f.Add(500, []byte(`null`))
	f.Add(400, []byte(`{"code":1e400}`))
	f.Add(999, []byte(`{"code":"40001","message":7}`))
	f.Add(-1, []byte{})
	f.Add(1<<62, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeAPIError(status, body)
		if e == nil || e.Status != status {
			t.Fatalf("got %+v for status %d", e, status)
		}
		if e.Code == 0 && status >= 100 && status <= 999 {
			t.Fatalf("no code in %+v", e)
		}
		_ = e.Error()
	})
}

// The client never follows a redirect: by default net/http re-sends the
// Authorization header to another port of the same host and from https to
// http. A 3xx is an error that names the redirect; the target sees nothing.
func TestClientRefusesRedirects(t *testing.T) {
	var mu sync.Mutex
	var leaked []string // Authorization headers the redirect target received
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Method+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		writeJSON(w, http.StatusOK, Config{})
	}))
	t.Cleanup(target.Close)

	for _, tc := range []struct {
		name   string
		tls    bool
		status int
	}{
		{"302 to another port", false, http.StatusFound},
		{"307 to another port", false, http.StatusTemporaryRedirect},
		{"308 from https to http", true, http.StatusPermanentRedirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+r.URL.Path+"?sig=hidden", tc.status)
			})
			srv := httptest.NewUnstartedServer(handler)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			hc := srv.Client()
			c, err := NewClient(srv.URL, hc)
			require.NoError(t, err)
			assert.Nil(t, hc.CheckRedirect, "the app's own client is not changed")

			_, err = c.Config(t.Context(), testCred)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.Status)
			assert.Equal(t, tc.status*100, apiErr.Code)
			assert.Contains(t, apiErr.Message, "GET /ocra/v1/instances/inst%201%2Fa/config was redirected")
			assert.Contains(t, apiErr.Message, "to "+target.URL+";")
			assert.NotContains(t, err.Error(), "hidden", "a redirect's query is never shown")

			_, err = c.CreateInstance(t.Context(), testJWT, CreateInstanceRequest{UserID: "alice"})
			require.ErrorAs(t, err, &apiErr)
			assert.Contains(t, apiErr.Message, "POST /ocra/v1/instances was redirected")
		})
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, leaked, "the redirect target received requests")
}

// A redirect to another path of the same host names that path, which may
// be a hint at the real API's paths.
func TestClientRedirectOnSameHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/V2/Instance?x=1", http.StatusMovedPermanently)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, srv.Client())
	require.NoError(t, err)
	_, err = c.CreateInstance(t.Context(), testJWT, CreateInstanceRequest{UserID: "alice"})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, apiErr.Message, "(HTTP 301 Moved Permanently) to "+srv.URL+"/V2/Instance;")
}

// Any 2xx body either decodes or is a bad answer naming the request; it
// never panics.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(`{"instance":{"id":"i","secret":"c2VjcmV0"},"config":{}}`))
	f.Add([]byte(`{"instance":{"id":7}}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"callId":"c`))
	f.Add([]byte(``))
	f.Add([]byte(`null`))
	f.Add([]byte(`[1,2]`))
	p := &prepared{method: http.MethodPost, path: "/ocra/v1/instances"}
	resp := &http.Response{StatusCode: http.StatusCreated, Header: http.Header{"Content-Type": {ContentTypeJSON}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out CreateInstanceResponse
		err := decodeResult(p, resp, data, &out)
		if err == nil {
			return
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != 20100 || !strings.Contains(apiErr.Message, "bad answer to POST /ocra/v1/instances") {
			t.Fatalf("got %v", err)
		}
	})
}

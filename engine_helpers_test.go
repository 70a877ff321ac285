package sinch_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// tamper is an HTTP middleware in front of the SDK's REST requests, as an
// app's tracing or metrics middleware would be: it counts requests by
// route and can change the server's answers, to play a server that sends
// what ocratest never would. It exposes the transport it wraps (Unwrap).
type tamper struct {
	next http.RoundTripper

	mu      sync.Mutex
	counts  map[string]int // by route, e.g. "PUT /ttl"
	rewrite map[string]func(body map[string]any)
	refuse  map[string]int // route -> answers of 503 left
	hold    map[string]func(r *http.Request) error
}

func newTamper(next http.RoundTripper) *tamper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &tamper{
		next:    next,
		counts:  make(map[string]int),
		rewrite: make(map[string]func(map[string]any)),
		refuse:  make(map[string]int),
		hold:    make(map[string]func(*http.Request) error),
	}
}

func (t *tamper) Unwrap() http.RoundTripper { return t.next }

// route names a request by its method and the last segment of its path
// that is not an id: "POST /instances", "GET /config", "PUT /ttl",
// "GET /ice-servers", "DELETE /instances".
func route(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/ocra/v1")
	switch {
	case strings.HasPrefix(path, "/instances/") && strings.Count(path, "/") == 2:
		return r.Method + " /instances"
	case strings.HasPrefix(path, "/instances/"):
		return r.Method + " " + path[strings.LastIndex(path, "/"):]
	}
	return r.Method + " " + path
}

// count returns how many requests of route were sent.
func (t *tamper) count(route string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[route]
}

// onAnswer changes the JSON answers of route.
func (t *tamper) onAnswer(route string, f func(body map[string]any)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rewrite[route] = f
}

// refuseNext answers the next n requests of route with a 503 of its own.
func (t *tamper) refuseNext(route string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refuse[route] = n
}

// afterAnswer runs f once the server answered a request of route, before
// the SDK gets the answer; an error from f is what the SDK gets instead,
// as if the answer was lost on the way.
func (t *tamper) afterAnswer(route string, f func(r *http.Request) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hold[route] = f
}

func (t *tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	rt := route(r)
	t.mu.Lock()
	t.counts[rt]++
	refuse := t.refuse[rt] > 0
	if refuse {
		t.refuse[rt]--
	}
	rewrite, hold := t.rewrite[rt], t.hold[rt]
	t.mu.Unlock()
	if refuse {
		body := `{"code":50300,"message":"tamper: refused"}`
		return &http.Response{
			StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: r,
		}, nil
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if hold != nil {
		if err := hold(r); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	if rewrite == nil || resp.StatusCode/100 != 2 {
		return resp, nil
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err == nil {
		rewrite(body)
		data, _ = json.Marshal(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
	return resp, nil
}

// withTamper makes a peer's requests go through t.
func withTamper(t *tamper) peerOption {
	return func(b *sinch.SinchClientBuilder) {
		b.HTTPClient(&http.Client{Transport: t, Timeout: 5 * time.Second})
	}
}

// field returns the object at path in a JSON body ("instance", "config.rtcProfile").
func field(body map[string]any, path string) map[string]any {
	for _, name := range strings.Split(path, ".") {
		next, _ := body[name].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		body = next
	}
	return body
}

// counter counts a client's lifecycle events.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) add(event string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]int)
	}
	c.counts[event]++
}

func (c *counter) get(event string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[event]
}

// countEvents adds a listener to p that counts its lifecycle events.
func countEvents(p *peer) *counter {
	c := &counter{}
	p.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(*sinch.SinchClient, sinch.ClientRegistration) { c.add("credentials") },
		OnClientFailedFunc:        func(*sinch.SinchClient, error) { c.add("failed") },
		OnClientReconnectingFunc:  func(*sinch.SinchClient, error) { c.add("reconnecting") },
		OnClientReconnectedFunc:   func(*sinch.SinchClient) { c.add("reconnected") },
	})
	return c
}

// observe lets the client run for d: the length of an observation window
// in which something must not happen, not a synchronisation.
func observe(d time.Duration) { time.Sleep(d) }

// startedPeer builds and starts a peer and checks that it started.
func startedPeer(t *testing.T, srv *ocratest.Server, host, user string, opts ...peerOption) *peer {
	t.Helper()
	p := newPeer(t, srv, host, user, opts...)
	require.True(t, p.IsStarted())
	return p
}

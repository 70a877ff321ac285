package sinch_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// deadlines records, per kind of request, how long each request had left
// before its deadline when it was sent (none: no deadline).
type deadlines struct {
	next http.RoundTripper

	mu   sync.Mutex
	left map[string][]time.Duration
}

func (d *deadlines) Unwrap() http.RoundTripper { return d.next }

func (d *deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	kind := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/ocra/v1")
	if i := strings.Index(kind[1:], "/"); strings.HasPrefix(kind, "GET /publish/") && i >= 0 {
		kind = "GET /publish"
	}
	left := time.Duration(-1)
	if dl, ok := r.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	d.mu.Lock()
	d.left[kind] = append(d.left[kind], left)
	d.mu.Unlock()
	return d.next.RoundTrip(r)
}

func (d *deadlines) of(kind string) []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Duration(nil), d.left[kind]...)
}

// TestRequestTimeoutGovernsACallsSends: the user's RequestTimeout, not a
// bound of the call engine's own (it was 10 s), bounds what a call sends:
// its POST /calls and its realtime publishes (farewells such as the
// hangup's Leave keep their own short bound). With 15 s, every one of them
// has more than 10 s and at most 15 s to go when it is sent. The client's
// HTTPClient has no Timeout: the SDK bounds each request once, in the
// transport that sends it.
func TestRequestTimeoutGovernsACallsSends(t *testing.T) {
	const timeout = 15 * time.Second
	srv := ocratest.NewServer()
	defer srv.Close()
	rec := &deadlines{next: http.DefaultTransport, left: make(map[string][]time.Duration)}
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.RequestTimeout(timeout).HTTPClient(&http.Client{Transport: rec})
	})
	bob := newPeer(t, srv, srv.URL(), "bob")
	out, in := establish(t, alice, bob)
	sent := map[string][]time.Duration{"POST /calls": rec.of("POST /calls"), "GET /publish": rec.of("GET /publish")}
	// The hangup's Leave is a farewell, with its own shorter bound.
	require.NoError(t, out.Hangup())
	waitClosed(t, bob.record(in).ended, 20*time.Second, "bob's call ended")

	for kind, left := range sent {
		require.NotEmpty(t, left, "no %s was sent", kind)
		for _, l := range left {
			assert.Greater(t, l, 10*time.Second, "%s: bounded by something else than RequestTimeout", kind)
			assert.LessOrEqual(t, l, timeout, "%s: not bounded by RequestTimeout", kind)
		}
	}
	// Registration's requests are bounded the same way, once.
	for _, kind := range []string{"POST /instances"} {
		for _, l := range rec.of(kind) {
			assert.Greater(t, l, 10*time.Second, kind)
			assert.LessOrEqual(t, l, timeout, kind)
		}
	}
}

package sinch_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// startAgainst starts a client of user alice against host, registering with
// a token of srv, and returns the error Start ends with.
func startAgainst(t *testing.T, srv *ocratest.Server, host string) error {
	t.Helper()
	c := sinchtest.Build(t, srv, "alice", sinchtest.Host(host))
	require.NoError(t, c.Start())
	return c.WaitStarted(waitCtx(t))
}

// A host that answers registration with 200 and a page that is not JSON (a
// captive portal, a web server on the wrong host) is a bad server answer
// naming the request, not a network failure.
func TestStartReportsBadAnswerNamingTheRequest(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>Welcome to the hotel wifi</html>"))
	}))
	defer portal.Close()

	err := startAgainst(t, srv, portal.URL)
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	assert.Equal(t, sinch.ErrorTypeAPI, serr.Domain, "%v", err)
	assert.True(t, serr.Fatal)
	assert.Contains(t, err.Error(), "bad answer to POST /ocra/v1/instances: HTTP 200 OK with Content-Type text/html")
	assert.Contains(t, err.Error(), "check the environment host")
	assert.NotContains(t, err.Error(), "cannot reach Ocra")
	assert.NotContains(t, err.Error(), "hotel", "the body is never quoted")
}

// A redirect is never followed, so the registration token never reaches
// the place it points to; the error names the redirect.
func TestStartRefusesRedirect(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	var reached atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	err := startAgainst(t, srv, redirector.URL)
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	assert.Contains(t, err.Error(), "POST /ocra/v1/instances was redirected (HTTP 307 Temporary Redirect) to "+elsewhere.URL)
	assert.NotContains(t, err.Error(), "cannot reach Ocra")
	assert.Zero(t, reached.Load(), "the redirect was followed")
}

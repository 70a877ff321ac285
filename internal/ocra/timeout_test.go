package ocra

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadlineOf records the deadline of the requests it sends.
type deadlineOf struct {
	next http.RoundTripper
	left []time.Duration
}

func (d *deadlineOf) RoundTrip(r *http.Request) (*http.Response, error) {
	left := time.Duration(-1)
	if dl, ok := r.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	d.left = append(d.left, left)
	return d.next.RoundTrip(r)
}

// TestRequestTimeoutBoundsEachRequest: WithRequestTimeout bounds a request
// whose caller passed a context without deadline, through an http.Client
// without Timeout; without it, the default applies.
func TestRequestTimeoutBoundsEachRequest(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	rt := &deadlineOf{next: http.DefaultTransport}
	c, err := NewClient(srv.URL, &http.Client{Transport: rt}, WithRequestTimeout(200*time.Millisecond))
	require.NoError(t, err)
	_, err = c.Timestamp(context.Background())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "a stalled request ends at its deadline: %v", err)
	require.Len(t, rt.left, 1)
	assert.LessOrEqual(t, rt.left[0], 200*time.Millisecond)
	assert.Positive(t, rt.left[0])

	// A caller's earlier deadline wins; the default bounds the rest.
	rt.left = nil
	d, err := NewClient(srv.URL, &http.Client{Transport: rt}, WithRequestTimeout(0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = d.Timestamp(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, rt.left, 1)
	assert.LessOrEqual(t, rt.left[0], 100*time.Millisecond)
	assert.Equal(t, 30*time.Second, defaultTimeout)
	assert.Equal(t, defaultTimeout, d.timeout, "0 keeps the default")
}

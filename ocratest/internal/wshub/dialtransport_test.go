package wshub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/sinch-rtc-go/sinch/internal/pubsub"

	"github.com/stretchr/testify/require"
)

// A connection dialled with an application's *http.Transport uses its
// dialer and its proxy, as the transport's own requests do.
func TestDialUsesTheApplicationsTransport(t *testing.T) {
	h := startHub(t, HubOptions{})
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	c := dial(t, h.url, "A", pubsub.DialOptions{Transport: tr})
	require.NoError(t, c.Ping(context.Background()))
	require.EqualValues(t, 1, dials.Load(), "dialled with the transport's DialContext")

	errNoProxy := errors.New("the transport's proxy was asked")
	proxied := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return nil, errNoProxy }}
	_, err := pubsub.Dial(context.Background(), h.url, pubsub.DialOptions{Header: header("B"), Transport: proxied})
	require.ErrorIs(t, err, errNoProxy)
}

package sinch_test

import (
	"testing"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// transport is a realtime transport ocratest can serve: PubNub (the
// default, as Sinch) or the WebSocket (ocratest.WithWebSocket).
type transport struct {
	name string
	opts []ocratest.Option
	// polls: a dropped connection is not a lost channel (PubNub polls
	// again from the same cursor); the WebSocket reconnects.
	polls bool
}

var transports = []transport{
	{name: "pubnub", polls: true},
	{name: "websocket", opts: []ocratest.Option{ocratest.WithWebSocket()}},
}

// forEachTransport runs f once per transport, as subtests.
func forEachTransport(t *testing.T, f func(t *testing.T, tr transport)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { f(t, tr) })
	}
}

// server starts an ocratest server on tr with opts; it closes when the
// test ends.
func (tr transport) server(t testing.TB, opts ...ocratest.Option) *ocratest.Server {
	t.Helper()
	srv := ocratest.NewServer(append(append([]ocratest.Option(nil), tr.opts...), opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

package call_test

import (
	"testing"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// forEachTransport runs f once per realtime transport of ocratest: PubNub
// (the default, as Sinch) and the WebSocket.
func forEachTransport(t *testing.T, f func(t *testing.T, opts ...ocratest.Option)) {
	t.Helper()
	t.Run("pubnub", func(t *testing.T) { f(t) })
	t.Run("websocket", func(t *testing.T) { f(t, ocratest.WithWebSocket()) })
}

package wshub

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/pubsub"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenReceivesWhatIsPublishedToItsChannel(t *testing.T) {
	h := startHub(t, HubOptions{})
	got := make(chan string, 4)
	stop := h.Listen("s.endpoint", func(message string) { got <- message })

	c := dial(t, h.url, "A", pubsub.DialOptions{})
	require.NoError(t, c.Publish(context.Background(), "s.endpoint", "from a client"))
	assert.Equal(t, "from a client", <-got, "the listener runs before the publish is acked")
	assert.Equal(t, 1, h.Publish("s.endpoint", "from the server"))
	assert.Equal(t, "from the server", <-got)

	replaced := make(chan string, 1)
	stopReplaced := h.Listen("s.endpoint", func(message string) { replaced <- message })
	stop() // stops nothing: its listener was replaced
	assert.Equal(t, 1, h.Publish("s.endpoint", "to the new listener"))
	assert.Equal(t, "to the new listener", <-replaced)

	stopReplaced()
	stopReplaced()
	assert.Equal(t, 0, h.Publish("s.endpoint", "lost"))
	assert.Empty(t, got)
	assert.Empty(t, replaced)
}

func TestHubLatencyDelaysDeliveriesInOrder(t *testing.T) {
	const latency = 30 * time.Millisecond
	h := startHub(t, HubOptions{Latency: latency})
	handler, got := collector(100)
	a := dial(t, h.url, "A", pubsub.DialOptions{Handler: handler})
	ctx := context.Background()
	require.NoError(t, a.Subscribe(ctx, "s.A"))
	heard := make(chan string, 100)
	h.Listen("server", func(m string) { heard <- m })

	start := time.Now()
	for i := range 50 {
		require.Equal(t, 1, h.Publish("s.A", strconv.Itoa(i)))
		require.NoError(t, a.Publish(ctx, "server", strconv.Itoa(i)), "acks are not delayed")
	}
	for i := range 50 {
		assert.Equal(t, received{"s.A", strconv.Itoa(i)}, <-got)
		assert.Equal(t, strconv.Itoa(i), <-heard)
	}
	assert.GreaterOrEqual(t, time.Since(start), latency, "delivered no earlier than the latency")
}

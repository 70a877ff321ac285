package pubsub

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenReceivesWhatIsPublishedToItsChannel(t *testing.T) {
	h := startHub(t, HubOptions{})
	got := make(chan string, 4)
	stop := h.Listen("s.endpoint", func(message string) { got <- message })

	c := dial(t, h.url, "A", DialOptions{})
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

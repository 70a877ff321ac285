package pubsub

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type received struct{ channel, message string }

// collector returns a Handler that forwards to a channel, and that channel.
func collector(size int) (Handler, <-chan received) {
	ch := make(chan received, size)
	return func(channel, message string) { ch <- received{channel, message} }, ch
}

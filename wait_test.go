package sinch_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// WaitStarted on a client that Start was never called on cannot succeed:
// it says so at once, even with a context that never ends, and a later
// Start and WaitStarted work as usual.
func TestWaitStartedBeforeStart(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	c.AddListener(newRecorder(func() string { return srv.Token("alice") }))

	err := c.WaitStarted(context.Background())
	require.ErrorIs(t, err, sinch.ErrNotStarted)
	require.ErrorContains(t, err, "call Start before WaitStarted")

	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
}

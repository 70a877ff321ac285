package sinchtest_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The helper's client is started and registered as the user asked for,
// with the options applied after the defaults.
func TestClientIsStartedAndRegistered(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := sinchtest.Client(t, srv, "alice", sinchtest.CallerIdentifier("+46700000000"))
	require.True(t, c.IsStarted())
	require.Equal(t, "alice", c.UserID())
	require.Equal(t, srv.ApplicationKey(), c.ApplicationKey())
	require.Len(t, srv.Instances("alice"), 1, "registered once")
}

// Build leaves the client unstarted, so a test can attach listeners first.
func TestBuildDoesNotStart(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := sinchtest.Build(t, srv, "bob")
	require.False(t, c.IsStarted())
	require.Empty(t, srv.Instances("bob"))
	sinchtest.Start(t, c)
	require.True(t, c.IsStarted())
}

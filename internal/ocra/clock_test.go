package ocra

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ServerNow is the local clock until the server corrected it, then the
// server's clock (to the second of its Date header).
func TestServerNowFollowsTheCorrectedClock(t *testing.T) {
	slow := func() time.Time { return time.Now().Add(-time.Hour) }
	_, c := newFake(t, WithClock(slow))
	assert.WithinDuration(t, slow(), c.ServerNow(), time.Second, "no skew known yet")
	_, err := c.Config(t.Context(), testCred) // refused with 40101, then retried
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), c.ServerNow(), 2*time.Second, "the server's clock")
}

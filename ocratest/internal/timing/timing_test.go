package timing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWaitUntil(t *testing.T) {
	quit := make(chan struct{})
	assert.True(t, WaitUntil(time.Now().Add(-time.Second), quit), "a time in the past: at once")
	start := time.Now()
	assert.True(t, WaitUntil(start.Add(20*time.Millisecond), quit))
	assert.False(t, time.Now().Before(start.Add(20*time.Millisecond)), "returned before t")

	close(quit)
	assert.False(t, WaitUntil(time.Now().Add(time.Hour), quit), "quit closed: it stops waiting")
	assert.True(t, WaitUntil(time.Now().Add(-time.Second), quit), "a past t wins over a closed quit")
}

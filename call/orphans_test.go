package call

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestOrphansKeepInOrderWithinBounds(t *testing.T) {
	var o orphans
	now := time.Unix(1000, 0)
	assert.True(t, o.keep("c1", "a", now))
	assert.True(t, o.keep("c1", "b", now))
	assert.Equal(t, []string{"a", "b"}, o.take("c1"))
	assert.Nil(t, o.take("c1"), "taken once")

	for i := range maxOrphansPerCall {
		assert.True(t, o.keep("c2", strconv.Itoa(i), now))
	}
	assert.False(t, o.keep("c2", "one too many", now))

	for i := range maxOrphanCalls - 1 {
		assert.True(t, o.keep("other"+strconv.Itoa(i), "x", now))
	}
	assert.False(t, o.keep("no-room", "x", now), "at most maxOrphanCalls calls")

	later := now.Add(orphanTTL + time.Second)
	assert.True(t, o.keep("fresh", "y", later), "old calls are dropped first")
	assert.Nil(t, o.take("c2"), "expired")
	assert.Equal(t, []string{"y"}, o.take("fresh"))
}

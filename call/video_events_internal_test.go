package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestVideoActivityPausesAndResumes(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	v := newVideoActivity(2*time.Second, t0)
	steps := []struct {
		ms        int
		packets   uint64
		connected bool
		want      videoChange
	}{
		{250, 10, true, videoUnchanged},
		{2000, 10, true, videoUnchanged}, // 1.75 s without packets
		{2250, 10, true, videoPausedNow},
		{4000, 10, true, videoUnchanged}, // paused once, not again
		{4250, 11, true, videoResumedNow},
		{4500, 20, true, videoUnchanged},
		// A dropped connection stops the clock: 3 s without a connection
		// and 1.75 s with one is no pause.
		{5000, 20, false, videoUnchanged},
		{8000, 20, false, videoUnchanged},
		{9750, 20, true, videoUnchanged},
		{10000, 20, true, videoPausedNow},
		{12000, 20, false, videoUnchanged}, // still paused while disconnected
		{12250, 21, true, videoResumedNow},
	}
	for _, s := range steps {
		assert.Equal(t, s.want, v.sample(s.packets, s.connected, at(s.ms)), "at %d ms", s.ms)
	}
}

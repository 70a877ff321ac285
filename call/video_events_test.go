package call_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/video"
)

// videoEvents records the remote video events of a call.
type videoEvents struct {
	mu     sync.Mutex
	events []string
}

func (v *videoEvents) add(e string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.events = append(v.events, e)
}

func (v *videoEvents) snapshot() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.events...)
}

// When alice pauses her video, bob's listener hears that the remote video
// paused, and resumed when she resumes it; the video sent is counted.
func TestRemoteVideoPausedAndResumedEvents(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	for _, c := range []*sinch.SinchClient{alice, bob} {
		clip := clipSource(t)
		require.NoError(t, c.VideoController().SetSourceFactory(func(string) video.Source { return clip }))
	}
	var bobEvents videoEvents
	incoming := onIncoming(bob, func(c *call.Call) {
		c.AddListener(&call.ListenerFuncs{
			OnVideoTrackPausedFunc:  func(*call.Call) { bobEvents.add("paused") },
			OnVideoTrackResumedFunc: func(*call.Call) { bobEvents.add("resumed") },
		})
		answer(c)
	})
	out, err := alice.CallController().CallUserVideo("bob", nil)
	require.NoError(t, err)
	rec := newRecorder()
	out.AddListener(rec)
	in := next(t, incoming)
	rec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.Eventually(t, func() bool { return in.call.Stats().Video.PacketsReceived > 30 }, waitTimeout, 10*time.Millisecond)
	assert.Empty(t, bobEvents.snapshot(), "no event while the video flows")

	st := out.Stats()
	assert.Greater(t, st.Video.PacketsSent, uint64(30), "alice's sent video is counted")
	assert.Greater(t, st.Video.BytesSent, st.Video.PacketsSent, "with its bytes")

	require.NoError(t, out.PauseVideo())
	require.Eventually(t, func() bool { return len(bobEvents.snapshot()) == 1 }, waitTimeout, 10*time.Millisecond, "paused event")
	assert.Equal(t, []string{"paused"}, bobEvents.snapshot())
	paused := out.Stats().Video.PacketsSent
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, paused, out.Stats().Video.PacketsSent, "nothing is sent while paused")

	require.NoError(t, out.ResumeVideo())
	require.Eventually(t, func() bool { return len(bobEvents.snapshot()) == 2 }, waitTimeout, 10*time.Millisecond, "resumed event")
	assert.Equal(t, []string{"paused", "resumed"}, bobEvents.snapshot())
	assert.Greater(t, out.Stats().Video.PacketsSent, paused, "sending again")

	// Video sent is video received: bob's counters follow alice's.
	assert.Greater(t, in.call.Stats().Video.BytesReceived, uint64(0))
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	assert.Equal(t, []string{"paused", "resumed"}, bobEvents.snapshot(), "no event after the end")
	assert.Greater(t, in.call.Stats().Video.PacketsSent, uint64(0), "bob sent video too")
}

package call

import "time"

// VideoTrackListener is an optional interface of a Listener: it is told
// when the remote video of a call pauses and resumes, as the Android SDK's
// onVideoTrackPaused and onVideoTrackResumed.
//
// The far end's PauseVideo sends no message: the remote video counts as
// paused when no video has arrived for 2 seconds (RemoteVideoPauseAfter)
// while the media connection is up, and as resumed when video arrives
// again. A far end whose video source stops or stalls that long looks the
// same. While the media connection is down (see MissingMediaStream) the
// video is not judged; each pause is followed by a resume unless the call
// ends first. A user can check the interface at compile time:
//
//	var _ call.VideoTrackListener = (*myListener)(nil)
type VideoTrackListener interface {
	OnVideoTrackPaused(c *Call)
	OnVideoTrackResumed(c *Call)
}

// RemoteVideoPauseAfter is how long a call's remote video must be without
// packets, while the media connection is up, to count as paused.
const RemoteVideoPauseAfter = 2 * time.Second

// videoCheckInterval is how often the remote video's packet count is read.
const videoCheckInterval = 250 * time.Millisecond

var _ VideoTrackListener = (*ListenerFuncs)(nil)

// OnVideoTrackPaused calls f.OnVideoTrackPausedFunc when set.
func (f *ListenerFuncs) OnVideoTrackPaused(c *Call) { callIfSet(f.OnVideoTrackPausedFunc, c) }

// OnVideoTrackResumed calls f.OnVideoTrackResumedFunc when set.
func (f *ListenerFuncs) OnVideoTrackResumed(c *Call) { callIfSet(f.OnVideoTrackResumedFunc, c) }

// videoChange is what a sample of the remote video says.
type videoChange int

const (
	videoUnchanged videoChange = iota
	videoPausedNow
	videoResumedNow
)

// videoActivity tells from successive packet counts of the remote video
// when it pauses and resumes. It is used by one goroutine.
type videoActivity struct {
	after   time.Duration // without packets, while connected, to pause
	packets uint64        // the count at the last sample
	since   time.Time     // since when no packet has arrived while connected
	paused  bool
}

// newVideoActivity starts watching at now: the track exists, so video has
// just arrived.
func newVideoActivity(after time.Duration, now time.Time) *videoActivity {
	return &videoActivity{after: after, since: now}
}

// sample takes the packet count at now and whether the media connection
// is up, and says whether the video paused or resumed.
func (v *videoActivity) sample(packets uint64, connected bool, now time.Time) videoChange {
	switch {
	case packets != v.packets:
		v.packets, v.since = packets, now
		if v.paused {
			v.paused = false
			return videoResumedNow
		}
	case !connected:
		v.since = now // the time without a connection does not count
	case !v.paused && now.Sub(v.since) >= v.after:
		v.paused = true
		return videoPausedNow
	}
	return videoUnchanged
}

// watchRemoteVideo tells the listeners when the call's remote video pauses
// and resumes, while the media runs. Call it once the video receiver runs.
func (a *actor) watchRemoteVideo() {
	c, m, pc, stats := a.c, a.media, a.pc, a.stats
	activity := newVideoActivity(RemoteVideoPauseAfter, time.Now())
	m.every(videoCheckInterval, func() bool {
		packets, ok := stats.videoPackets()
		if !ok {
			return false // the media closed
		}
		switch activity.sample(packets, iceConnected(pc), time.Now()) {
		case videoPausedNow:
			c.log.Debug("remote video paused")
			c.emit(func(l Listener) {
				if vl, ok := l.(VideoTrackListener); ok {
					vl.OnVideoTrackPaused(c)
				}
			})
		case videoResumedNow:
			c.log.Debug("remote video resumed")
			c.emit(func(l Listener) {
				if vl, ok := l.(VideoTrackListener); ok {
					vl.OnVideoTrackResumed(c)
				}
			})
		}
		return true
	})
}

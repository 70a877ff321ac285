package call

import (
	"math"
	"time"
)

// QualityWarning names a degradation of a call's media, as in the JS SDK.
type QualityWarning int

// Quality warnings. The thresholds are Sinch's; statistics are sampled
// every 500 ms while the call is established.
const (
	// MissingMediaStream: the media connection is not connected while the
	// call is established. Recovers when it connects again.
	MissingMediaStream QualityWarning = iota
	// HighRemoteInboundRtt: the round trip time that the far end's RTCP
	// reports give exceeds 300 ms. Recovers when it drops below.
	HighRemoteInboundRtt
	// HighInboundPacketLoss: over 1 % of the received packets were lost in
	// 3 of the last 4 samples. Recovers when that no longer holds.
	HighInboundPacketLoss
	// HighInboundJitter: the received packets' jitter exceeds 30 ms in 3 of
	// the last 4 samples. Recovers when that no longer holds.
	HighInboundJitter
	// ConstantOutboundAudioLevel: the standard deviation of the sent audio
	// level over the last 20 s is under 0.5 % of full scale (but not all
	// zero). Recovers when it rises again.
	ConstantOutboundAudioLevel
	// ConstantInboundAudioLevel: the same for the received audio.
	ConstantInboundAudioLevel
	// ZeroInboundAudioLevel: the received audio was digital silence for
	// the last 20 s. Recovers when sound arrives.
	ZeroInboundAudioLevel
	// ZeroOutboundAudioLevel: the sent audio was digital silence for the
	// last 20 s (as when muted). Recovers when sound is sent.
	ZeroOutboundAudioLevel
)

var qualityWarningNames = [...]string{
	"MissingMediaStream", "HighRemoteInboundRtt", "HighInboundPacketLoss", "HighInboundJitter",
	"ConstantOutboundAudioLevel", "ConstantInboundAudioLevel", "ZeroInboundAudioLevel", "ZeroOutboundAudioLevel",
}

// String returns the warning's name, such as "HighInboundJitter".
func (w QualityWarning) String() string {
	return enumName(qualityWarningNames[:], int(w), "QualityWarning")
}

// QualityWarningType says whether a warning starts or ends.
type QualityWarningType int

// Quality warning event types.
const (
	Trigger QualityWarningType = iota // the degradation started
	Recover                           // it is over
)

var qualityWarningTypeNames = [...]string{"Trigger", "Recover"}

// String returns "Trigger" or "Recover".
func (t QualityWarningType) String() string {
	return enumName(qualityWarningTypeNames[:], int(t), "QualityWarningType")
}

// MediaType is the kind of media stream a quality warning is about.
type MediaType int

// Media types of quality warnings.
const (
	NoMedia MediaType = iota // the warning concerns the whole call
	Audio
	Video
)

var mediaTypeNames = [...]string{"NoMedia", "Audio", "Video"}

// String returns "NoMedia", "Audio" or "Video".
func (m MediaType) String() string { return enumName(mediaTypeNames[:], int(m), "MediaType") }

// QualityWarningEvent is a quality warning that started or ended. Every
// Trigger is followed by a Recover of the same warning and media, unless
// the call ends first.
type QualityWarningEvent struct {
	Warning QualityWarning
	Type    QualityWarningType
	// Media is Audio or Video for the per-stream warnings (RTT, loss,
	// jitter; the audio level ones are always Audio) and NoMedia for
	// MissingMediaStream.
	Media MediaType
}

// QualityWarningListener is an optional interface of a Listener: it is told
// when a quality warning triggers and recovers. Check your listener type
// at compile time (see RemoteTrackListener):
//
//	var _ call.QualityWarningListener = (*myListener)(nil)
type QualityWarningListener interface {
	OnCallQualityWarningEvent(c *Call, e QualityWarningEvent)
}

// qualityConfig holds the thresholds of the warnings.
type qualityConfig struct {
	interval     time.Duration // between two samples
	maxRTT       time.Duration
	maxJitter    time.Duration
	maxLoss      float64 // fraction of packets in one sample interval
	levelSamples int     // how many samples the audio level warnings look at
	minLevelDev  float64 // standard deviation of the level under which it is constant
}

// defaultQuality is Sinch's: 500 ms samples, audio levels over 20 s.
var defaultQuality = qualityConfig{
	interval:     500 * time.Millisecond,
	maxRTT:       300 * time.Millisecond,
	maxJitter:    30 * time.Millisecond,
	maxLoss:      0.01,
	levelSamples: 40,
	minLevelDev:  0.005,
}

// recentSamples of the loss and jitter warnings, of which badSamples must
// exceed the threshold.
const (
	recentSamples = 4
	badSamples    = 3
)

// warningKey is one warning of one media stream.
type warningKey struct {
	w QualityWarning
	m MediaType
}

// qualityMonitor turns successive statistics into warning events. It is
// used by one goroutine.
type qualityMonitor struct {
	cfg    qualityConfig
	prev   Stats
	recent map[warningKey][]bool // last samples over threshold, oldest first
	out    []float64             // last outbound audio levels, oldest first
	in     []float64
	active map[warningKey]bool
}

func newQualityMonitor(cfg qualityConfig) *qualityMonitor {
	return &qualityMonitor{cfg: cfg, recent: make(map[warningKey][]bool), active: make(map[warningKey]bool)}
}

// sample takes the next statistics and whether the media connection is
// connected, and returns the warnings that triggered or recovered, in the
// order of the QualityWarning constants.
func (m *qualityMonitor) sample(st Stats, connected bool) []QualityWarningEvent {
	var events []QualityWarningEvent
	set := func(k warningKey, on, known bool) {
		if known && on != m.active[k] {
			m.active[k] = on
			typ := Recover
			if on {
				typ = Trigger
			}
			events = append(events, QualityWarningEvent{Warning: k.w, Type: typ, Media: k.m})
		}
	}
	set(warningKey{MissingMediaStream, NoMedia}, !connected, true)
	streams := []struct {
		m         MediaType
		now, prev StreamStats
	}{{Audio, st.Audio, m.prev.Audio}, {Video, st.Video, m.prev.Video}}
	for _, s := range streams {
		rtt := s.now.RemoteRoundTripTime
		set(warningKey{HighRemoteInboundRtt, s.m}, rtt > m.cfg.maxRTT, rtt > 0)
		lost := s.now.PacketsLost - s.prev.PacketsLost
		total := lost + int64(s.now.PacketsReceived-s.prev.PacketsReceived)
		lossy := total > 0 && float64(lost) > m.cfg.maxLoss*float64(total)
		set(m.sustained(warningKey{HighInboundPacketLoss, s.m}, lossy))
		set(m.sustained(warningKey{HighInboundJitter, s.m}, s.now.Jitter > m.cfg.maxJitter))
	}
	m.prev = st
	m.out = window(m.out, st.Audio.OutboundAudioLevel, m.cfg.levelSamples)
	m.in = window(m.in, st.Audio.InboundAudioLevel, m.cfg.levelSamples)
	full := len(m.out) == m.cfg.levelSamples
	zeroOut, zeroIn := allZero(m.out), allZero(m.in)
	set(warningKey{ConstantOutboundAudioLevel, Audio}, !zeroOut && stddev(m.out) < m.cfg.minLevelDev, full)
	set(warningKey{ConstantInboundAudioLevel, Audio}, !zeroIn && stddev(m.in) < m.cfg.minLevelDev, full)
	set(warningKey{ZeroInboundAudioLevel, Audio}, zeroIn, full)
	set(warningKey{ZeroOutboundAudioLevel, Audio}, zeroOut, full)
	return events
}

// sustained records whether the latest sample is over the threshold and
// returns whether 3 of the last 4 are, once there are 4.
func (m *qualityMonitor) sustained(k warningKey, bad bool) (warningKey, bool, bool) {
	r := append(m.recent[k], bad)
	if len(r) > recentSamples {
		r = r[1:]
	}
	m.recent[k] = r
	n := 0
	for _, b := range r {
		if b {
			n++
		}
	}
	return k, n >= badSamples, len(r) == recentSamples
}

// window appends v to the last n values.
func window(vs []float64, v float64, n int) []float64 {
	vs = append(vs, v)
	if len(vs) > n {
		vs = vs[len(vs)-n:]
	}
	return vs
}

// silentLevel is the level under which audio counts as digital silence:
// -80 dBFS. A lossy codec's silence (Opus) decodes to a few least
// significant bits, not exact zeros (a level of about 5e-6).
const silentLevel = 1e-4

func allZero(vs []float64) bool {
	for _, v := range vs {
		if v >= silentLevel {
			return false
		}
	}
	return true
}

func stddev(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	var sum, sq float64
	for _, v := range vs {
		sum += v
	}
	mean := sum / float64(len(vs))
	for _, v := range vs {
		sq += (v - mean) * (v - mean)
	}
	return math.Sqrt(sq / float64(len(vs)))
}

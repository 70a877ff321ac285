package call

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/stretchr/testify/assert"
)

// run4 feeds n samples made by step to m and returns the events.
func run4(m *qualityMonitor, n int, connected bool, step func(i int, st *Stats)) []QualityWarningEvent {
	var events []QualityWarningEvent
	for i := range n {
		st := m.prev
		step(i, &st)
		events = append(events, m.sample(st, connected)...)
	}
	return events
}

func TestQualityWarningsTriggerAndRecover(t *testing.T) {
	cfg := defaultQuality
	cfg.levelSamples = 4
	healthy := func(_ int, st *Stats) {
		st.Audio.PacketsReceived += 25
		st.Audio.Jitter = 2 * time.Millisecond
		st.Audio.RemoteRoundTripTime = 20 * time.Millisecond
		st.Video.RemoteRoundTripTime = 20 * time.Millisecond
		// Speech: levels that vary from sample to sample.
		n := st.Audio.PacketsReceived / 25
		st.Audio.OutboundAudioLevel = float64(n%3+1) / 10
		st.Audio.InboundAudioLevel = float64(n%4+1) / 10
	}
	ev := func(w QualityWarning, typ QualityWarningType, m MediaType) []QualityWarningEvent {
		return []QualityWarningEvent{{Warning: w, Type: typ, Media: m}}
	}
	for _, tc := range []struct {
		name   string
		impair func(i int, st *Stats)
		want   QualityWarning
		media  MediaType
		after  int // samples until the trigger
	}{
		{"loss", func(_ int, st *Stats) { st.Audio.PacketsLost++ }, HighInboundPacketLoss, Audio, 3},
		{"jitter", func(_ int, st *Stats) { st.Audio.Jitter = 31 * time.Millisecond }, HighInboundJitter, Audio, 3},
		{"rtt", func(_ int, st *Stats) { st.Audio.RemoteRoundTripTime = 301 * time.Millisecond }, HighRemoteInboundRtt, Audio, 1},
		{"video rtt", func(_ int, st *Stats) { st.Video.RemoteRoundTripTime = time.Second }, HighRemoteInboundRtt, Video, 1},
		{"zero out", func(_ int, st *Stats) { st.Audio.OutboundAudioLevel = 0 }, ZeroOutboundAudioLevel, Audio, 4},
		{"zero in", func(_ int, st *Stats) { st.Audio.InboundAudioLevel = 0 }, ZeroInboundAudioLevel, Audio, 4},
		{"constant out", func(_ int, st *Stats) { st.Audio.OutboundAudioLevel = 0.5 }, ConstantOutboundAudioLevel, Audio, 4},
		{"constant in", func(_ int, st *Stats) { st.Audio.InboundAudioLevel = 0.5 }, ConstantInboundAudioLevel, Audio, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newQualityMonitor(cfg)
			assert.Empty(t, run4(m, 8, true, healthy), "a healthy call has no warning")
			both := func(i int, st *Stats) { healthy(i, st); tc.impair(i, st) }
			assert.Empty(t, run4(m, tc.after-1, true, both), "not sustained yet")
			assert.Equal(t, ev(tc.want, Trigger, tc.media), run4(m, 1, true, both))
			assert.Empty(t, run4(m, 6, true, both), "triggers once")
			var recovered []QualityWarningEvent
			for range 4 {
				recovered = append(recovered, run4(m, 1, true, healthy)...)
			}
			assert.Equal(t, ev(tc.want, Recover, tc.media), recovered)
		})
	}

	m := newQualityMonitor(cfg)
	assert.Equal(t, ev(MissingMediaStream, Trigger, NoMedia), run4(m, 1, false, healthy))
	assert.Empty(t, run4(m, 3, false, healthy))
	assert.Equal(t, ev(MissingMediaStream, Recover, NoMedia), run4(m, 1, true, healthy))
}

func TestQualityEnumNames(t *testing.T) {
	assert.Equal(t, "HighInboundJitter", HighInboundJitter.String())
	assert.Equal(t, "ZeroOutboundAudioLevel", ZeroOutboundAudioLevel.String())
	assert.Equal(t, "Recover", Recover.String())
	assert.Equal(t, "Video", Video.String())
	assert.Equal(t, "QualityWarning(99)", QualityWarning(99).String())
}

func TestRoundTripTimeFromReceiverReport(t *testing.T) {
	sent := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// The far end got our report at sent, held it 100 ms, and its report
	// arrives 350 ms after sent: the round trip took 250 ms.
	r := rtcp.ReceptionReport{LastSenderReport: ntpMiddle(sent), Delay: 65536 / 10}
	rtt, ok := roundTripTime(r, sent.Add(350*time.Millisecond))
	assert.True(t, ok)
	assert.InDelta(t, 250*time.Millisecond, rtt, float64(time.Millisecond))

	_, ok = roundTripTime(rtcp.ReceptionReport{}, sent)
	assert.False(t, ok, "no sender report received yet")
	_, ok = roundTripTime(r, sent)
	assert.False(t, ok, "a negative round trip is ignored")
}

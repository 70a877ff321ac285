package audio

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readSamples(t testing.TB, src Source, n int) []int16 {
	t.Helper()
	out := make([]int16, n)
	require.NoError(t, src.ReadFrame(out))
	return out
}

func TestGoertzelFindsToneAndRejectsOthers(t *testing.T) {
	for _, freq := range []float64{350, 440, 1000, 1633, 3000} {
		samples := readSamples(t, Tone(freq, 0.5), 800) // 100 ms
		on := Goertzel(samples, SampleRate, freq)
		// A sine of amplitude A has power A²/4.
		want := math.Pow(0.5*math.MaxInt16, 2) / 4
		assert.InEpsilon(t, want, on, 0.05, "power at %v Hz", freq)
		for _, off := range []float64{freq / 2, freq * 1.5, freq + 200, freq - 200} {
			assert.Less(t, Goertzel(samples, SampleRate, off), on/100, "%v Hz tone at %v Hz", freq, off)
		}
	}
}

func TestGoertzelEdgeCases(t *testing.T) {
	assert.Zero(t, Goertzel(nil, SampleRate, 1000))
	assert.Zero(t, Goertzel([]int16{1, 2, 3}, 0, 1000))
	assert.Zero(t, Goertzel(make([]int16, 160), SampleRate, 1000), "silence")
}

func TestRMS(t *testing.T) {
	assert.Zero(t, RMS(nil))
	assert.Equal(t, 3.0, RMS([]int16{3, -3, 3, -3}))
	assert.InEpsilon(t, math.MaxInt16/math.Sqrt2, RMS(readSamples(t, Tone(1000, 1), 8000)), 0.001)
}

func TestToneDetectorDominant(t *testing.T) {
	d := NewToneDetector(200 * time.Millisecond)
	freq, ratio := d.Dominant(500, 1000)
	assert.Zero(t, freq, "empty window")
	assert.Zero(t, ratio)

	src := Tone(1000, 0.3)
	frame := make([]int16, FrameSize)
	for range 10 {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, d.WriteFrame(frame))
	}
	freq, ratio = d.Dominant(500, 1000, 1500)
	assert.Equal(t, 1000.0, freq)
	assert.Greater(t, ratio, 100.0)
	freq, ratio = d.Dominant(1000)
	assert.Equal(t, 1000.0, freq)
	assert.True(t, math.IsInf(ratio, 1), "a single candidate")
	assert.InEpsilon(t, 0.3*math.MaxInt16/math.Sqrt2, d.RMS(), 0.01)
	assert.Equal(t, 200*time.Millisecond, d.Received())

	// The window slides: after 200 ms of another tone only that one is left.
	src = Tone(1500, 0.3)
	for range 10 {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, d.WriteFrame(frame))
	}
	freq, ratio = d.Dominant(500, 1000, 1500)
	assert.Equal(t, 1500.0, freq)
	assert.Greater(t, ratio, 100.0)
	assert.Greater(t, d.Power(1500), 1000*d.Power(1000))

	d.Reset()
	assert.Zero(t, d.Received())
	assert.Zero(t, d.RMS())
}

func TestToneDetectorKeepsTheEndOfLongFrames(t *testing.T) {
	d := NewToneDetector(0) // raised to one frame
	long := make([]int16, 3*FrameSize)
	long[len(long)-1] = 100
	require.NoError(t, d.WriteFrame(long))
	assert.Equal(t, 60*time.Millisecond, d.Received())
	assert.InDelta(t, 100/math.Sqrt(FrameSize), d.RMS(), 1e-9, "only the last frame is kept")
}

func TestToneDetectorWaitFromAnotherGoroutine(t *testing.T) {
	d := NewToneDetector(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		src := Tone(697, 0.5)
		frame := make([]int16, FrameSize)
		for range 25 {
			_ = src.ReadFrame(frame)
			_ = d.WriteFrame(frame)
		}
	}()
	require.NoError(t, d.Wait(ctx, 500*time.Millisecond))
	assert.GreaterOrEqual(t, d.Received(), 500*time.Millisecond)
	freq, _ := d.Dominant(697, 770, 852, 941)
	assert.Equal(t, 697.0, freq)

	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	assert.ErrorIs(t, d.Wait(cancelled, time.Hour), context.Canceled)
}

func BenchmarkGoertzelFrame(b *testing.B) {
	frame := readSamples(b, Tone(1000, 0.5), FrameSize)
	b.ReportAllocs()
	for b.Loop() {
		Goertzel(frame, SampleRate, 1000)
	}
}

// TestToneDetectorWindowIsBounded: a day-long window (1.4 GB of samples)
// is cut to MaxToneWindow, and the checked constructor refuses it.
func TestToneDetectorWindowIsBounded(t *testing.T) {
	for _, w := range []time.Duration{24 * time.Hour, math.MaxInt64, MaxToneWindow + time.Millisecond} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d := NewToneDetector(w)
		runtime.ReadMemStats(&after)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(2<<20), "window %v allocated too much", w)
		assert.Equal(t, int(MaxToneWindow.Seconds()*SampleRate), len(d.ring), "window %v", w)
		_, err := NewToneDetectorChecked(w)
		assert.ErrorContains(t, err, "outside 20ms..1m0s", "window %v", w)
	}
	for _, w := range []time.Duration{0, -time.Hour, math.MinInt64, time.Millisecond} {
		assert.Equal(t, FrameSize, len(NewToneDetector(w).ring), "window %v is raised to a frame", w)
		_, err := NewToneDetectorChecked(w)
		assert.Error(t, err, "window %v", w)
	}
	for _, w := range []time.Duration{MinToneWindow, time.Second, MaxToneWindow} {
		d, err := NewToneDetectorChecked(w)
		require.NoError(t, err)
		assert.Equal(t, int(w.Seconds()*SampleRate), len(d.ring))
	}
}

// TestFormatDB: a ratio prints as whole decibels a person can believe,
// capped at MaxDB either way.
func TestFormatDB(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		want  string
	}{
		{1, "0 dB"},
		{10, "10 dB"},
		{15.8, "12 dB"},
		{0.5, "-3 dB"},
		{1e9, "90 dB"},
		{1.2e9, "> 90 dB"},
		{2.7e31, "> 90 dB"}, // the quickstart's 314 dB
		{math.Inf(1), "> 90 dB"},
		{1e-9, "-90 dB"},
		{1e-12, "< -90 dB"},
		{0, "< -90 dB"},
		{math.NaN(), "? dB"},
		{-1, "? dB"},
	} {
		assert.Equal(t, tc.want, FormatDB(tc.ratio), "ratio %v", tc.ratio)
	}
}

// TestFormatDBOfAToneAgainstSilence: a pure tone against a candidate with
// no power at all prints the cap, not a number.
func TestFormatDBOfAToneAgainstSilence(t *testing.T) {
	d := NewToneDetector(100 * time.Millisecond)
	require.NoError(t, d.WriteFrame(readSamples(t, Tone(880, 0.5), 800)))
	freq, ratio := d.Dominant(440, 880)
	require.Equal(t, 880.0, freq)
	require.Equal(t, "> 90 dB", FormatDB(ratio))
}

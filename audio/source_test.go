package audio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSilence(t *testing.T) {
	frame := []int16{1, 2, 3}
	require.NoError(t, Silence().ReadFrame(frame))
	assert.Equal(t, []int16{0, 0, 0}, frame)
}

func TestToneIsPhaseContinuousAcrossFrames(t *testing.T) {
	whole := readSamples(t, Tone(1000, 0.8), 1000)

	// The same tone read in frames of odd sizes gives the same samples.
	src := Tone(1000, 0.8)
	var pieces []int16
	for _, n := range []int{1, 7, 160, 33, 799} {
		pieces = append(pieces, readSamples(t, src, n)...)
	}
	assert.Equal(t, whole, pieces)

	// No jump is larger than the steepest slope of the sine allows.
	maxStep := 0.8 * math.MaxInt16 * 2 * math.Pi * 1000 / SampleRate
	for i := 1; i < len(whole); i++ {
		step := math.Abs(float64(whole[i]) - float64(whole[i-1]))
		require.LessOrEqual(t, step, maxStep+1, "jump at sample %d", i)
	}
}

func TestToneLevels(t *testing.T) {
	full := readSamples(t, Tone(1000, 1), 8000)
	assert.Equal(t, int16(math.MaxInt16), maxAbs(full))
	assert.Equal(t, maxAbs(full), maxAbs(readSamples(t, Tone(1000, 7), 8000)), "amplitude clamped to 1")
	assert.Zero(t, maxAbs(readSamples(t, Tone(1000, -1), 160)), "negative amplitude")
	assert.Zero(t, maxAbs(readSamples(t, Tone(math.NaN(), 1), 160)), "NaN frequency")
	assert.Zero(t, maxAbs(readSamples(t, Tone(1000, math.NaN()), 160)), "NaN amplitude")
}

func maxAbs(samples []int16) int16 {
	var m int16
	for _, s := range samples {
		m = max(m, s, -max(s, -math.MaxInt16))
	}
	return m
}

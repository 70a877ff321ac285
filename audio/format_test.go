package audio

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatOf(t *testing.T) {
	assert.Equal(t, Narrowband, FormatOf(Tone(440, 0.5)), "undeclared: 8 kHz mono")
	assert.Equal(t, Narrowband, FormatOf(NewToneDetector(time.Second)))
	src, err := ToneAt(440, 0.5, 16000)
	require.NoError(t, err)
	assert.Equal(t, Format{SampleRate: 16000, Channels: 1}, FormatOf(src))
	assert.Equal(t, 320, FormatOf(src).FrameSamples())
	assert.Equal(t, Narrowband, FormatOf(badFormat{}), "an invalid declaration counts as none")

	for _, f := range []Format{{44100, 2}, {8000, 1}, {48000, 1}, {22050, 2}} {
		assert.NoError(t, f.Valid(), "%+v", f)
	}
	for _, f := range []Format{{0, 1}, {7999, 1}, {96000, 1}, {16000, 0}, {16000, 3}, {44000, 1}} {
		assert.Error(t, f.Valid(), "%+v", f)
	}
	_, err = ToneAt(440, 0.5, 96000)
	assert.ErrorContains(t, err, "96000")
	_, err = NewToneDetectorAt(time.Second, 1)
	assert.Error(t, err)
}

type badFormat struct{}

func (badFormat) Format() Format { return Format{SampleRate: 5, Channels: 1} }

// TestWidebandToneDetected: a 6 kHz tone at 16 kHz is measured as such by
// a 16 kHz detector, over 20 ms frames of the source's own size.
func TestWidebandToneDetected(t *testing.T) {
	src, err := ToneAt(6000, 0.5, 16000)
	require.NoError(t, err)
	d, err := NewToneDetectorAt(500*time.Millisecond, 16000)
	require.NoError(t, err)
	assert.Equal(t, Format{SampleRate: 16000, Channels: 1}, d.Format())
	frame := make([]int16, FormatOf(src).FrameSamples())
	for range 25 {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, d.WriteFrame(frame))
	}
	assert.Equal(t, 500*time.Millisecond, d.Received())
	freq, ratio := d.Dominant(1000, 3000, 6000, 7000)
	assert.Equal(t, 6000.0, freq)
	assert.Greater(t, ratio, 100.0)
	assert.InEpsilon(t, 0.5*32767/1.4142, d.RMS(), 0.01)

	silent, err := ToneAt(0, 0, 48000)
	require.NoError(t, err)
	require.NoError(t, silent.ReadFrame(frame))
	assert.Equal(t, make([]int16, len(frame)), frame)
}

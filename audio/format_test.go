package audio

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
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

func TestRawPCMAndWrappersDeclareTheirFormat(t *testing.T) {
	stereo48 := Format{SampleRate: 48000, Channels: 2}
	raw := make([]byte, 0, 4*960+6)
	for i := range 960*2 + 3 {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(int16(i-1000)))
	}
	src, err := NewPCMSourceAt(bytes.NewReader(raw), stereo48)
	require.NoError(t, err)
	assert.Equal(t, stereo48, FormatOf(src))
	frame := make([]int16, stereo48.FrameSamples())
	require.NoError(t, src.ReadFrame(frame))
	assert.Equal(t, []int16{-1000, -999, -998}, frame[:3])
	assert.Equal(t, int16(1919-1000), frame[1919])
	require.NoError(t, src.ReadFrame(frame), "a partial last frame is padded")
	assert.Equal(t, []int16{920, 921, 922, 0}, frame[:4])
	assert.ErrorIs(t, src.ReadFrame(frame), io.EOF)
	_, err = NewPCMSourceAt(bytes.NewReader(raw), Format{SampleRate: 44000, Channels: 1})
	assert.Error(t, err)

	wide, err := SourceAt(Format{SampleRate: 16000, Channels: 1}, Silence())
	require.NoError(t, err)
	assert.Equal(t, 16000, FormatOf(wide).SampleRate)
	sink, err := SinkAt(stereo48, SinkFunc(func([]int16) {}))
	require.NoError(t, err)
	assert.Equal(t, stereo48, FormatOf(sink))
	_, err = SinkAt(Format{}, SinkFunc(func([]int16) {}))
	assert.Error(t, err)
	_, err = SourceAt(Narrowband, nil)
	assert.Error(t, err)
}

func TestWAVWriterAtWritesItsFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.wav")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := NewWAVWriterAt(f, Format{SampleRate: 16000, Channels: 1})
	require.NoError(t, err)
	assert.Equal(t, 16000, FormatOf(w).SampleRate)
	src, err := ToneAt(1000, 0.5, 16000)
	require.NoError(t, err)
	frame := make([]int16, 320)
	for range 50 {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, w.WriteFrame(frame))
	}
	require.NoError(t, w.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Len(t, data, 44+2*16000)
	assert.EqualValues(t, 16000, binary.LittleEndian.Uint32(data[24:]), "sample rate")
	assert.EqualValues(t, 32000, binary.LittleEndian.Uint32(data[28:]), "byte rate")
	// NewWAVSource reads it back at its rate.
	back, err := NewWAVSource(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, Format{SampleRate: 16000, Channels: 1}, FormatOf(back))
	d, err := NewToneDetectorAt(500*time.Millisecond, 16000)
	require.NoError(t, err)
	f16 := make([]int16, 320)
	for back.ReadFrame(f16) == nil {
		require.NoError(t, d.WriteFrame(f16))
	}
	freq, _ := d.Dominant(500, 1000, 2000)
	assert.Equal(t, 1000.0, freq)
	_, err = NewWAVWriterAt(f, Format{SampleRate: 16000, Channels: 3})
	assert.Error(t, err)
}

type stampSink struct{ stamps []uint32 }

func (s *stampSink) WriteFrame([]int16) error { return nil }
func (s *stampSink) WriteFrameAt(_ []int16, ts uint32) error {
	s.stamps = append(s.stamps, ts)
	return nil
}

// A timed sink given a format by SinkAt still gets its timestamps.
func TestSinkAtKeepsTimedSinks(t *testing.T) {
	inner := &stampSink{}
	sink, err := SinkAt(Format{SampleRate: 16000, Channels: 1}, inner)
	require.NoError(t, err)
	timed, ok := sink.(TimedSink)
	require.True(t, ok, "SinkAt hides WriteFrameAt")
	require.NoError(t, timed.WriteFrameAt(nil, 960))
	assert.Equal(t, []uint32{960}, inner.stamps)
	assert.Equal(t, 16000, FormatOf(sink).SampleRate)
	plain, err := SinkAt(Narrowband, SinkFunc(func([]int16) {}))
	require.NoError(t, err)
	_, ok = plain.(TimedSink)
	assert.False(t, ok, "a sink without timestamps does not claim them")
}

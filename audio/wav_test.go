package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wavBytes builds a WAV file; fmtBody overrides the fmt chunk when not nil.
func wavBytes(rate, channels, bits int, samples []int16, extra ...[]byte) []byte {
	var b bytes.Buffer
	fmtBody := binary.LittleEndian.AppendUint16(nil, wavFormatPCM)
	fmtBody = binary.LittleEndian.AppendUint16(fmtBody, uint16(channels))
	fmtBody = binary.LittleEndian.AppendUint32(fmtBody, uint32(rate))
	fmtBody = binary.LittleEndian.AppendUint32(fmtBody, uint32(rate*channels*bits/8))
	fmtBody = binary.LittleEndian.AppendUint16(fmtBody, uint16(channels*bits/8))
	fmtBody = binary.LittleEndian.AppendUint16(fmtBody, uint16(bits))
	var data []byte
	for _, s := range samples {
		data = binary.LittleEndian.AppendUint16(data, uint16(s))
	}
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	for _, chunk := range extra {
		b.Write(chunk)
	}
	writeChunk(&b, "fmt ", fmtBody)
	writeChunk(&b, "data", data)
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func writeChunk(b *bytes.Buffer, id string, body []byte) {
	b.WriteString(id)
	_ = binary.Write(b, binary.LittleEndian, uint32(len(body)))
	b.Write(body)
	if len(body)%2 == 1 {
		b.WriteByte(0)
	}
}

func chunk(id string, body []byte) []byte {
	var b bytes.Buffer
	writeChunk(&b, id, body)
	return b.Bytes()
}

// toneAt returns n samples of a sine of freq at rate.
func toneAt(freq float64, rate, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(10000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// readAll reads src to its end in frames.
func readAll(t *testing.T, src Source) []int16 {
	t.Helper()
	var out []int16
	frame := make([]int16, FormatOf(src).FrameSamples()) // 20 ms, as a call reads
	for {
		err := src.ReadFrame(frame)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, frame...)
	}
}

func TestWAVWriteThenReadRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.wav")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()

	var want []int16
	w := NewWAVWriter(f)
	src := Tone(440, 0.9)
	frame := make([]int16, FrameSize)
	for range 50 {
		require.NoError(t, src.ReadFrame(frame))
		require.NoError(t, w.WriteFrame(frame))
		want = append(want, frame...)
	}
	want = append(want, math.MinInt16, math.MaxInt16, -1, 0, 1)
	require.NoError(t, w.WriteFrame(want[len(want)-5:]))
	require.NoError(t, w.Close())
	assert.Error(t, w.Close(), "second Close")
	assert.Error(t, w.WriteFrame(frame), "write after Close")

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, raw, wavHeaderSize+2*len(want))
	assert.Equal(t, uint32(len(raw)-8), binary.LittleEndian.Uint32(raw[4:8]), "RIFF size")
	assert.Equal(t, uint32(2*len(want)), binary.LittleEndian.Uint32(raw[40:44]), "data size")

	wf, err := OpenWAV(path)
	require.NoError(t, err)
	defer wf.Close()
	got := readAll(t, wf)
	// The last partial frame is padded with silence.
	require.Len(t, got, (len(want)+FrameSize-1)/FrameSize*FrameSize)
	assert.Equal(t, want, got[:len(want)])
	assert.Zero(t, maxAbs(got[len(want):]))
}

func TestWAVWriterStartsAtTheCurrentOffset(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "prefixed.wav"))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString("prefix")
	require.NoError(t, err)

	w := NewWAVWriter(f)
	require.NoError(t, w.Close())
	raw, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	require.Len(t, raw, len("prefix")+wavHeaderSize)
	src, err := NewWAVSource(bytes.NewReader(raw[len("prefix"):]))
	require.NoError(t, err)
	assert.Empty(t, readAll(t, src), "an empty file")
}

func TestWAVWriterReportsWriteErrors(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "closed.wav"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	w := NewWAVWriter(f)
	err = w.WriteFrame(make([]int16, FrameSize))
	require.Error(t, err)
	assert.Equal(t, err, w.WriteFrame(make([]int16, FrameSize)), "the error sticks")
	assert.Equal(t, err, w.Close())
}

// A WAV source plays the file as it is, at its rate and channel count, and
// declares that format, so a call converts it (wideband into Opus).
func TestWAVSourceKeepsTheFilesFormat(t *testing.T) {
	for _, f := range []Format{{8000, 1}, {16000, 1}, {48000, 1}, {44100, 1}, {16000, 2}, {48000, 2}} {
		samples := toneAt(1000, f.SampleRate*f.Channels, f.SampleRate*f.Channels/2) // 500 ms
		src, err := NewWAVSource(bytes.NewReader(wavBytes(f.SampleRate, f.Channels, 16, samples)))
		require.NoError(t, err)
		assert.Equal(t, f, FormatOf(src), "the source declares the file's format")
		got := readAll(t, src)
		require.Len(t, got, len(samples), "%v: 500 ms, 25 frames of 20 ms", f)
		assert.Equal(t, samples, got, "%v: the samples as they are, not resampled", f)
	}
	path := filepath.Join(t.TempDir(), "wide.wav")
	require.NoError(t, os.WriteFile(path, wavBytes(16000, 1, 16, toneAt(6000, 16000, 1600)), 0o600))
	wf, err := OpenWAV(path)
	require.NoError(t, err)
	defer wf.Close()
	assert.Equal(t, Format{SampleRate: 16000, Channels: 1}, FormatOf(wf), "OpenWAV declares the file's format too")
	got := readAll(t, wf)
	assert.InEpsilon(t, 10000*10000/4.0, Goertzel(got, 16000, 6000), 0.01, "a 6 kHz tone at 16 kHz is kept")
}

func pcmBytes(samples []int16) []byte {
	var out []byte
	for _, s := range samples {
		out = binary.LittleEndian.AppendUint16(out, uint16(s))
	}
	return out
}

func TestPCMSource(t *testing.T) {
	_, err := NewPCMSource(bytes.NewReader(nil), 44000)
	assert.ErrorContains(t, err, "44000 Hz is not supported")
	wide, err := NewPCMSource(bytes.NewReader(pcmBytes(toneAt(1000, 16000, 320))), 16000)
	require.NoError(t, err)
	assert.Equal(t, Format{SampleRate: 16000, Channels: 1}, FormatOf(wide), "PCM keeps its rate")
	assert.Equal(t, toneAt(1000, 16000, 320), readAll(t, wide))
	_, err = NewPCMSource(nil, 8000)
	assert.Error(t, err)

	// 161 samples and an odd byte: two frames, the second padded, then EOF.
	in := append(pcmBytes(toneAt(1000, 8000, FrameSize+1)), 0x7f)
	src, err := NewPCMSource(bytes.NewReader(in), 8000)
	require.NoError(t, err)
	got := readAll(t, src)
	require.Len(t, got, 2*FrameSize)
	assert.Equal(t, toneAt(1000, 8000, FrameSize+1), got[:FrameSize+1])
	assert.ErrorIs(t, src.ReadFrame(make([]int16, FrameSize)), io.EOF, "EOF stays")

	failing := io.MultiReader(bytes.NewReader(make([]byte, 100)), iotestErrReader{})
	src, err = NewPCMSource(failing, 8000)
	require.NoError(t, err)
	assert.ErrorIs(t, src.ReadFrame(make([]int16, FrameSize)), errBroken)
}

var errBroken = errors.New("broken disk")

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errBroken }

func TestWAVSkipsUnknownChunks(t *testing.T) {
	samples := toneAt(1000, 8000, FrameSize)
	raw := wavBytes(8000, 1, 16, samples, chunk("LIST", []byte("odd")), chunk("fact", make([]byte, 4)))
	src, err := NewWAVSource(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, samples, readAll(t, src))
}

func TestWAVExtensiblePCM(t *testing.T) {
	raw := wavBytes(16000, 1, 16, toneAt(1000, 16000, 320))
	// Rewrite the fmt chunk as WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
	fmtBody := append([]byte(nil), raw[20:36]...)
	binary.LittleEndian.PutUint16(fmtBody, wavFormatExtensible)
	fmtBody = append(fmtBody, 22, 0, 16, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71)
	var b bytes.Buffer
	b.Write(raw[:12])
	writeChunk(&b, "fmt ", fmtBody)
	b.Write(raw[36:])
	src, err := NewWAVSource(&b)
	require.NoError(t, err)
	assert.Len(t, readAll(t, src), 320, "20 ms at 16 kHz")
}

func TestWAVBadHeaders(t *testing.T) {
	good := wavBytes(8000, 1, 16, toneAt(1000, 8000, 10))
	withFmt := func(mutate func(fmtBody []byte)) []byte {
		b := append([]byte(nil), good...)
		mutate(b[20:36])
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated in the RIFF header"},
		{"short RIFF", good[:10], "truncated in the RIFF header"},
		{"not RIFF", append([]byte("RIFX"), good[4:]...), "not a WAV file"},
		{"not WAVE", append(append([]byte(nil), good[:8]...), append([]byte("AVI "), good[12:]...)...), "not a WAV file"},
		{"no chunks", good[:12], "no data chunk"},
		{"short chunk header", good[:15], "truncated in the chunk header"},
		{"short fmt", good[:30], "truncated in the fmt chunk"},
		{"3 channels", wavBytes(8000, 3, 16, nil), "3 channels; only mono and stereo"},
		{"8-bit", wavBytes(8000, 1, 8, nil), "8-bit samples; only 16-bit"},
		{"24-bit", wavBytes(8000, 1, 24, nil), "24-bit samples"},
		{"44 kHz", wavBytes(44000, 1, 16, nil), "44000 Hz is not supported"},
		{"huge rate", wavBytes(math.MaxInt32, 1, 16, nil), "2147483647 Hz is not supported"},
		{"A-law", withFmt(func(b []byte) { b[0] = 6 }), "format 0x6 is not PCM"},
		{"tiny fmt", append(append([]byte(nil), good[:12]...), chunk("fmt ", make([]byte, 8))...), "invalid size 8"},
		{"huge fmt", append(append([]byte(nil), good[:12]...), "fmt \xff\xff\xff\x7f"...), "invalid size"},
		{"data first", append(append([]byte(nil), good[:12]...), chunk("data", make([]byte, 4))...), "before the fmt chunk"},
		{"two fmt", append(append([]byte(nil), good[:36]...), good[12:]...), "two fmt chunks"},
		{"truncated skip", append(append([]byte(nil), good[:12]...), "LIST\x00\x01\x00\x00abc"...), `truncated in the "LIST" chunk`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWAVSource(bytes.NewReader(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "audio: ")
		})
	}
	_, err := NewWAVSource(nil)
	assert.Error(t, err)
}

func TestOpenWAVErrorsNameTheFile(t *testing.T) {
	_, err := OpenWAV(filepath.Join(t.TempDir(), "missing.wav"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(t.TempDir(), "surround.wav")
	require.NoError(t, os.WriteFile(path, wavBytes(8000, 6, 16, nil), 0o600))
	_, err = OpenWAV(path)
	assert.ErrorContains(t, err, "only mono and stereo")
	assert.ErrorContains(t, err, path)
}

func FuzzNewWAVSource(f *testing.F) {
	f.Add(wavBytes(8000, 1, 16, toneAt(1000, 8000, 400)))
	f.Add(wavBytes(16000, 1, 16, toneAt(1000, 16000, 333)))
	f.Add(wavBytes(48000, 1, 16, toneAt(1000, 48000, 1001), chunk("LIST", []byte("x"))))
	f.Add(wavBytes(8000, 2, 8, nil))
	f.Add(wavBytes(44100, 2, 16, toneAt(1000, 88200, 2001)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00abcd"))
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		src, err := NewWAVSource(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if f := FormatOf(src); f.Valid() != nil {
			t.Fatalf("a WAV source declares an invalid format %v", f)
		}
		frame := make([]int16, FormatOf(src).FrameSamples())
		for i := 0; ; i++ {
			err := src.ReadFrame(frame)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("reading an in-memory WAV: %v", err)
			}
			if i > len(raw) {
				t.Fatalf("more frames than input bytes")
			}
		}
	})
}

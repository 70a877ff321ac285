package video

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test clip (see testdata/README.md).
const (
	clipPath     = "testdata/clip.ivf"
	clipWidth    = 320
	clipHeight   = 240
	clipFrames   = 45
	clipKeyEvery = 15
	// clipFrameDuration is 1/15 s, rounded down to whole nanoseconds.
	clipFrameDuration = time.Second / 15
)

func readClip(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(clipPath)
	require.NoError(t, err)
	return b
}

// readAll reads src until it fails and returns the frames and the error.
func readAll(src Source) ([]Frame, error) {
	var frames []Frame
	for {
		f, err := src.ReadFrame()
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
}

type ivfTestFrame struct {
	pts  uint64
	data []byte
}

// buildIVF returns an IVF stream of VP8 with a timebase of num/den seconds.
func buildIVF(den, num uint32, frames ...ivfTestFrame) []byte {
	var b bytes.Buffer
	h := make([]byte, ivfFileHeaderSize)
	copy(h, ivfSignature)
	binary.LittleEndian.PutUint16(h[6:], ivfFileHeaderSize)
	copy(h[8:], ivfFourCCVP8)
	binary.LittleEndian.PutUint16(h[12:], 64)
	binary.LittleEndian.PutUint16(h[14:], 48)
	binary.LittleEndian.PutUint32(h[16:], den)
	binary.LittleEndian.PutUint32(h[20:], num)
	b.Write(h)
	for _, f := range frames {
		fh := make([]byte, ivfFrameHeaderSize)
		binary.LittleEndian.PutUint32(fh, uint32(len(f.data)))
		binary.LittleEndian.PutUint64(fh[4:], f.pts)
		b.Write(fh)
		b.Write(f.data)
	}
	return b.Bytes()
}

func TestIVFSourceReadsClip(t *testing.T) {
	src, err := NewIVFSource(bytes.NewReader(readClip(t)))
	require.NoError(t, err)
	assert.Equal(t, clipWidth, src.Width())
	assert.Equal(t, clipHeight, src.Height())

	frames, err := readAll(src)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, frames, clipFrames)
	for i, f := range frames {
		assert.NotEmpty(t, f.Data, "frame %d", i)
		assert.Equal(t, clipFrameDuration, f.Duration, "frame %d", i)
		assert.Equal(t, i%clipKeyEvery == 0, f.Keyframe, "frame %d", i)
	}
	w, h, err := ParseVP8Keyframe(frames[0].Data)
	require.NoError(t, err)
	assert.Equal(t, [2]int{clipWidth, clipHeight}, [2]int{w, h})

	_, err = src.ReadFrame()
	assert.ErrorIs(t, err, io.EOF, "ReadFrame after the end")
}

func TestLoopingIVFSourceStartsAgain(t *testing.T) {
	clip := readClip(t)
	once, err := NewIVFSource(bytes.NewReader(clip))
	require.NoError(t, err)
	want, err := readAll(once)
	require.ErrorIs(t, err, io.EOF)

	loop, err := NewLoopingIVFSource(bytes.NewReader(clip))
	require.NoError(t, err)
	for i := range 2*clipFrames + 5 {
		f, err := loop.ReadFrame()
		require.NoError(t, err, "frame %d", i)
		assert.Equal(t, want[i%clipFrames], f, "frame %d", i)
	}
}

func TestIVFFileSourceLoops(t *testing.T) {
	src, err := NewIVFFileSource(clipPath)
	require.NoError(t, err)
	first, err := src.ReadFrame()
	require.NoError(t, err)
	for range clipFrames - 1 {
		_, err := src.ReadFrame()
		require.NoError(t, err)
	}
	again, err := src.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, first, again)

	_, err = NewIVFFileSource("testdata/missing.ivf")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestIVFSourceTruncated(t *testing.T) {
	clip := readClip(t)
	firstSize := int(binary.LittleEndian.Uint32(clip[ivfFileHeaderSize:]))
	secondAt := ivfFileHeaderSize + ivfFrameHeaderSize + firstSize
	tests := []struct {
		name    string
		cut     int
		frames  int    // frames read before the error
		message string // in the error
	}{
		{"empty", 0, 0, "IVF file header"},
		{"in file header", 20, 0, "IVF file header"},
		{"in first frame header", ivfFileHeaderSize + 5, 0, "IVF frame 0: reading header"},
		{"in first frame", secondAt - 1, 0, "IVF frame 0: reading"},
		{"in second frame header", secondAt + 3, 1, "IVF frame 1: reading header"},
		{"in second frame", secondAt + ivfFrameHeaderSize + 1, 1, "IVF frame 1: reading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewIVFSource(bytes.NewReader(clip[:tt.cut]))
			var frames []Frame
			if err == nil {
				frames, err = readAll(src)
			}
			assert.Len(t, frames, tt.frames)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.ErrorContains(t, err, tt.message)
		})
	}
}

func TestIVFSourceRejectsBadStreams(t *testing.T) {
	good := buildIVF(15, 1, ivfTestFrame{0, []byte{1}})
	patch := func(at int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[at:], b)
		return c
	}
	huge := patch(ivfFileHeaderSize, 0xff, 0xff, 0xff, 0xff)
	tests := []struct {
		name    string
		stream  []byte
		message string
	}{
		{"signature", patch(0, 'R', 'I', 'F', 'F'), "not an IVF stream"},
		{"version", patch(4, 1), "IVF version 1"},
		{"codec", patch(8, 'V', 'P', '9', '0'), `"VP90" is not VP8`},
		{"zero timebase", patch(16, 0, 0, 0, 0), "timebase 1/0 s"},
		{"timebase under a nanosecond", patch(16, 0, 0, 0, 0x80), "timebase 1/2147483648 s"},
		{"short header size", patch(6, 16), "header size 16"},
		{"frame too large", huge, "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewIVFSource(bytes.NewReader(tt.stream))
			assert.ErrorContains(t, err, tt.message)
		})
	}

	t.Run("loop without frames", func(t *testing.T) {
		_, err := NewLoopingIVFSource(bytes.NewReader(buildIVF(15, 1)))
		assert.ErrorIs(t, err, errNoFrames)
	})
	t.Run("once without frames", func(t *testing.T) {
		src, err := NewIVFSource(bytes.NewReader(buildIVF(15, 1)))
		require.NoError(t, err)
		_, err = src.ReadFrame()
		assert.ErrorIs(t, err, io.EOF)
	})
}

func TestIVFSourceSkipsLongerHeader(t *testing.T) {
	b := buildIVF(15, 1, ivfTestFrame{0, []byte{7}})
	binary.LittleEndian.PutUint16(b[6:], ivfFileHeaderSize+4)
	b = append(b[:ivfFileHeaderSize:ivfFileHeaderSize], append([]byte{0, 0, 0, 0}, b[ivfFileHeaderSize:]...)...)
	src, err := NewIVFSource(bytes.NewReader(b))
	require.NoError(t, err)
	f, err := src.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, []byte{7}, f.Data)
}

func TestIVFSourceDurationsFollowPts(t *testing.T) {
	// Timebase 1/1000 s: the pts are milliseconds.
	b := buildIVF(1000, 1,
		ivfTestFrame{0, []byte{1}},
		ivfTestFrame{40, []byte{2}},
		ivfTestFrame{100, []byte{3}},
		ivfTestFrame{100, []byte{4}},    // pts does not advance
		ivfTestFrame{90_000, []byte{5}}, // a jump of 90 s
		ivfTestFrame{90_033, []byte{6}}, // the last frame
	)
	src, err := NewIVFSource(bytes.NewReader(b))
	require.NoError(t, err)
	frames, err := readAll(src)
	require.ErrorIs(t, err, io.EOF)
	var got []time.Duration
	for _, f := range frames {
		got = append(got, f.Duration)
	}
	want := []time.Duration{
		40 * time.Millisecond, 60 * time.Millisecond, time.Millisecond,
		maxFrameDuration, 33 * time.Millisecond, 33 * time.Millisecond,
	}
	assert.Equal(t, want, got)
}

func TestIVFSourceTimebaseOfNTSC(t *testing.T) {
	// 1001/30000 s per tick: durations stay exact to the nanosecond.
	b := buildIVF(30000, 1001, ivfTestFrame{0, []byte{1}}, ivfTestFrame{1, []byte{2}})
	src, err := NewIVFSource(bytes.NewReader(b))
	require.NoError(t, err)
	f, err := src.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, 33366666*time.Nanosecond, f.Duration)
}

func TestIVFWriterRoundTrip(t *testing.T) {
	src, err := NewIVFSource(bytes.NewReader(readClip(t)))
	require.NoError(t, err)
	want, err := readAll(src)
	require.ErrorIs(t, err, io.EOF)

	var out bytes.Buffer
	w, err := NewIVFWriter(&out, clipWidth, clipHeight)
	require.NoError(t, err)
	for _, f := range want {
		require.NoError(t, w.WriteFrame(f))
	}

	back, err := NewIVFSource(&out)
	require.NoError(t, err)
	assert.Equal(t, clipWidth, back.Width())
	assert.Equal(t, clipHeight, back.Height())
	got, err := readAll(back)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, want, got)
}

func TestIVFWriterTakesSizeFromFirstKeyframe(t *testing.T) {
	src, err := NewIVFSource(bytes.NewReader(readClip(t)))
	require.NoError(t, err)
	key, err := src.ReadFrame()
	require.NoError(t, err)
	inter, err := src.ReadFrame()
	require.NoError(t, err)

	var out bytes.Buffer
	w, err := NewIVFWriter(&out, 0, 0)
	require.NoError(t, err)
	assert.ErrorContains(t, w.WriteFrame(inter), "needs a keyframe first")
	assert.Zero(t, out.Len(), "nothing written before the keyframe")
	require.NoError(t, w.WriteFrame(key))
	require.NoError(t, w.WriteFrame(inter))

	back, err := NewIVFSource(&out)
	require.NoError(t, err)
	assert.Equal(t, [2]int{clipWidth, clipHeight}, [2]int{back.Width(), back.Height()})
	got, err := readAll(back)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, got, 2)
	assert.Equal(t, key.Data, got[0].Data)
	assert.Equal(t, inter.Data, got[1].Data)
}

func TestIVFWriterErrors(t *testing.T) {
	for _, size := range [][2]int{{-1, 10}, {10, 0}, {0, 10}, {70000, 10}} {
		_, err := NewIVFWriter(io.Discard, size[0], size[1])
		assert.ErrorContains(t, err, "out of range", "size %v", size)
	}

	broken := errors.New("disk full")
	_, err := NewIVFWriter(failingWriter{broken}, 10, 10)
	assert.ErrorIs(t, err, broken)
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSinkFunc(t *testing.T) {
	var got Frame
	var sink Sink = SinkFunc(func(f Frame) { got = f })
	f := Frame{Data: []byte{1, 2}, Duration: time.Second, Keyframe: true}
	require.NoError(t, sink.WriteFrame(f))
	assert.Equal(t, f, got)
}

func FuzzIVFSource(f *testing.F) {
	clip := readClip(f)
	f.Add(clip[:2000])
	f.Add(buildIVF(1000, 1, ivfTestFrame{0, []byte{1}}, ivfTestFrame{5, nil}))
	f.Add(buildIVF(1, 0xffffffff, ivfTestFrame{1 << 63, []byte{1}}, ivfTestFrame{0, []byte{2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, loop := range []bool{false, true} {
			var src *IVFSource
			var err error
			if loop {
				src, err = NewLoopingIVFSource(bytes.NewReader(b))
			} else {
				src, err = NewIVFSource(bytes.NewReader(b))
			}
			if err != nil {
				continue
			}
			for range 50 {
				fr, err := src.ReadFrame()
				if err != nil {
					break
				}
				if fr.Duration <= 0 || fr.Duration > maxFrameDuration {
					t.Fatalf("frame duration %v out of range", fr.Duration)
				}
			}
		}
	})
}

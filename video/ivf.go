package video

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// The IVF container (https://wiki.multimedia.cx/index.php/IVF): a 32-byte
// file header, then frames, each after a 12-byte header of its size and pts.
const (
	ivfSignature       = "DKIF"
	ivfFourCCVP8       = "VP80"
	ivfFileHeaderSize  = 32
	ivfFrameHeaderSize = 12
)

const (
	// maxIVFFrameSize bounds the size a frame header may announce, so that
	// a corrupt file cannot make the reader allocate gigabytes.
	maxIVFFrameSize = 4 << 20
	// maxFrameDuration bounds how long an IVF frame is shown, so that a
	// jump in the pts cannot stall the video for hours.
	maxFrameDuration = 10 * time.Second
	// ivfWriterRate is the timebase (1/90000 s, RTP's video clock) of the
	// files IVFWriter writes.
	ivfWriterRate = 90000
)

var errNoFrames = errors.New("video: IVF stream has no frames to loop")

// ivfHeader is what the reader needs of an IVF file header.
type ivfHeader struct {
	width, height int
	num, den      uint64 // a pts tick lasts num/den seconds
}

// duration returns how long n pts ticks last, at most maxFrameDuration.
func (h ivfHeader) duration(n uint64) time.Duration {
	if n > uint64(maxFrameDuration/time.Second)*h.den/h.num {
		return maxFrameDuration
	}
	t := n * h.num // at most 10·den + num: no overflow
	d := time.Duration(t/h.den)*time.Second + time.Duration(t%h.den)*time.Second/time.Duration(h.den)
	return min(d, maxFrameDuration)
}

func readIVFHeader(r io.Reader) (ivfHeader, error) {
	var b [ivfFileHeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return ivfHeader{}, fmt.Errorf("video: reading IVF file header: %w", unexpected(err))
	}
	le := binary.LittleEndian
	switch {
	case string(b[:4]) != ivfSignature:
		return ivfHeader{}, fmt.Errorf("video: not an IVF stream (signature %q)", b[:4])
	case le.Uint16(b[4:6]) != 0:
		return ivfHeader{}, fmt.Errorf("video: IVF version %d is not supported", le.Uint16(b[4:6]))
	case string(b[8:12]) != ivfFourCCVP8:
		return ivfHeader{}, fmt.Errorf("video: IVF codec %q is not VP8 (%s)", b[8:12], ivfFourCCVP8)
	}
	h := ivfHeader{
		width:  int(le.Uint16(b[12:14])),
		height: int(le.Uint16(b[14:16])),
		den:    uint64(le.Uint32(b[16:20])),
		num:    uint64(le.Uint32(b[20:24])),
	}
	if h.num == 0 || h.den == 0 || h.den > h.num*uint64(time.Second) {
		return ivfHeader{}, fmt.Errorf("video: IVF timebase %d/%d s is zero or under a nanosecond", h.num, h.den)
	}
	size := int64(le.Uint16(b[6:8]))
	if size < ivfFileHeaderSize {
		return ivfHeader{}, fmt.Errorf("video: IVF header size %d is under %d bytes", size, ivfFileHeaderSize)
	}
	if _, err := io.CopyN(io.Discard, r, size-ivfFileHeaderSize); err != nil {
		return ivfHeader{}, fmt.Errorf("video: reading IVF file header: %w", unexpected(err))
	}
	return h, nil
}

// unexpected turns io.EOF, which means a clean end between frames, into
// io.ErrUnexpectedEOF for reads that must not end.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// IVFSource is a [Source] of the VP8 frames of an IVF stream, as written by
// vpxenc, ffmpeg or [IVFWriter]. It is not safe for concurrent use.
//
// A frame lasts until the pts of the frame after it (at most 10 s); the last
// frame lasts as long as the one before it. A frame's Data is allocated for it
// and never reused. Keyframe is set for frames [IsKeyframe] accepts.
type IVFSource struct {
	r      io.Reader
	rewind io.Seeker // nil when the source does not loop
	header ivfHeader
	n      int // frames read in this pass, for error messages

	pending *ivfFrame     // the frame ReadFrame returns next; nil at the end
	err     error         // what ReadFrame returns once pending is nil
	last    time.Duration // the duration of the frame returned last
}

type ivfFrame struct {
	data  []byte
	pts   uint64
	first bool // first frame of a pass after rewinding
}

// NewIVFSource returns a source of the frames of r. ReadFrame returns io.EOF
// after the last frame. The stream's file header and first frame are read
// before it returns: errors in them are reported here.
func NewIVFSource(r io.Reader) (*IVFSource, error) {
	return newIVFSource(r, nil)
}

// NewLoopingIVFSource returns a source of the frames of r that starts again
// from the beginning of r at its end, for as long as it is read: a bot can
// send a short clip for a whole call. r must hold at least one frame.
func NewLoopingIVFSource(r io.ReadSeeker) (*IVFSource, error) {
	return newIVFSource(r, r)
}

// NewIVFFileSource reads the IVF file at path into memory and returns a
// source that loops over its frames (see [NewLoopingIVFSource]). It holds no
// file open, so it needs no closing; call it once per call that sends the
// clip.
func NewIVFFileSource(path string) (*IVFSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	return NewLoopingIVFSource(bytes.NewReader(b))
}

func newIVFSource(r io.Reader, rewind io.Seeker) (*IVFSource, error) {
	h, err := readIVFHeader(r)
	if err != nil {
		return nil, err
	}
	s := &IVFSource{r: r, rewind: rewind, header: h, last: h.duration(1)}
	s.pending, err = s.readFrame()
	switch {
	case errors.Is(err, io.EOF) && rewind != nil:
		return nil, errNoFrames
	case errors.Is(err, io.EOF):
		s.err = io.EOF
	case err != nil:
		return nil, err
	}
	return s, nil
}

// Width returns the picture width written in the IVF file header.
func (s *IVFSource) Width() int { return s.header.width }

// Height returns the picture height written in the IVF file header.
func (s *IVFSource) Height() int { return s.header.height }

// ReadFrame returns the next frame. After the last one it returns io.EOF,
// or the error that ended the stream early (a truncated frame wraps
// io.ErrUnexpectedEOF).
func (s *IVFSource) ReadFrame() (Frame, error) {
	cur := s.pending
	if cur == nil {
		return Frame{}, s.err
	}
	s.pending, s.err = s.next()
	if s.pending != nil && !s.pending.first {
		s.last = s.between(cur.pts, s.pending.pts)
	}
	return Frame{Data: cur.data, Duration: s.last, Keyframe: IsKeyframe(cur.data)}, nil
}

// between returns the duration of a frame at pts from followed by one at
// pts to: one tick when the pts does not increase.
func (s *IVFSource) between(from, to uint64) time.Duration {
	if to <= from {
		return s.header.duration(1)
	}
	return s.header.duration(to - from)
}

// next reads the next frame, rewinding a looping source at the end.
func (s *IVFSource) next() (*ivfFrame, error) {
	f, err := s.readFrame()
	if !errors.Is(err, io.EOF) || s.rewind == nil {
		return f, err
	}
	if _, err := s.rewind.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("video: rewinding IVF stream: %w", err)
	}
	h, err := readIVFHeader(s.r)
	if err != nil {
		return nil, err
	}
	s.header, s.n = h, 0
	f, err = s.readFrame()
	if errors.Is(err, io.EOF) {
		return nil, errNoFrames
	}
	if f != nil {
		f.first = true
	}
	return f, err
}

// readFrame reads one frame; it returns io.EOF at a clean end of the stream.
func (s *IVFSource) readFrame() (*ivfFrame, error) {
	var b [ivfFrameHeaderSize]byte
	if _, err := io.ReadFull(s.r, b[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("video: IVF frame %d: reading header: %w", s.n, err)
	}
	size := binary.LittleEndian.Uint32(b[:4])
	if size > maxIVFFrameSize {
		return nil, fmt.Errorf("video: IVF frame %d: size %d is over the limit of %d bytes", s.n, size, maxIVFFrameSize)
	}
	data, err := readN(s.r, int(size))
	if err != nil {
		return nil, fmt.Errorf("video: IVF frame %d: reading %d bytes: %w", s.n, size, unexpected(err))
	}
	s.n++
	return &ivfFrame{data: data, pts: binary.LittleEndian.Uint64(b[4:])}, nil
}

// readN reads exactly n bytes from r. It allocates as the data arrives, in
// chunks, so that a truncated stream costs no more than its own size.
func readN(r io.Reader, n int) ([]byte, error) {
	const chunk = 64 << 10
	b := make([]byte, 0, min(n, chunk))
	for len(b) < n {
		m := min(n-len(b), chunk)
		b = slices.Grow(b, m)
		k, err := io.ReadFull(r, b[len(b):len(b)+m])
		b = b[:len(b)+k]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// IVFWriter is a [Sink] that writes VP8 frames to an IVF stream with a
// timebase of 1/90000 s, each frame's pts the sum of the durations of the
// frames before it. The header's frame count is 0 (unknown), as in live
// recordings. It is not safe for concurrent use.
type IVFWriter struct {
	w       io.Writer
	width   int
	height  int
	started bool          // the file header has been written
	elapsed time.Duration // the pts of the next frame
}

// NewIVFWriter returns a writer of an IVF stream of width×height VP8 video
// to w. When width and height are both 0 they are taken from the first
// frame, which must then be a keyframe: the remote video's size is not known
// before it arrives. Otherwise both must be in 1..65535 and the file header
// is written at once.
func NewIVFWriter(w io.Writer, width, height int) (*IVFWriter, error) {
	iw := &IVFWriter{w: w, width: width, height: height}
	if width == 0 && height == 0 {
		return iw, nil
	}
	if width < 1 || width > 0xffff || height < 1 || height > 0xffff {
		return nil, fmt.Errorf("video: IVF picture size %dx%d is out of range", width, height)
	}
	if err := iw.writeHeader(); err != nil {
		return nil, err
	}
	return iw, nil
}

// WriteFrame appends f to the stream. It fails when writing fails, or when the
// size is still unknown and f is not a keyframe.
func (w *IVFWriter) WriteFrame(f Frame) error {
	if !w.started {
		width, height, err := ParseVP8Keyframe(f.Data)
		if err != nil {
			return fmt.Errorf("video: IVF writer needs a keyframe first to learn the picture size: %w", err)
		}
		w.width, w.height = width, height
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	if len(f.Data) > maxIVFFrameSize {
		return fmt.Errorf("video: IVF frame of %d bytes is over the limit of %d bytes", len(f.Data), maxIVFFrameSize)
	}
	var b [ivfFrameHeaderSize]byte
	binary.LittleEndian.PutUint32(b[:4], uint32(len(f.Data)))
	binary.LittleEndian.PutUint64(b[4:], ptsOf(w.elapsed))
	if _, err := w.w.Write(b[:]); err != nil {
		return fmt.Errorf("video: writing IVF frame: %w", err)
	}
	if _, err := w.w.Write(f.Data); err != nil {
		return fmt.Errorf("video: writing IVF frame: %w", err)
	}
	w.elapsed += max(f.Duration, 0)
	return nil
}

func (w *IVFWriter) writeHeader() error {
	var b [ivfFileHeaderSize]byte
	le := binary.LittleEndian
	copy(b[:4], ivfSignature)
	le.PutUint16(b[6:8], ivfFileHeaderSize)
	copy(b[8:12], ivfFourCCVP8)
	le.PutUint16(b[12:14], uint16(w.width))
	le.PutUint16(b[14:16], uint16(w.height))
	le.PutUint32(b[16:20], ivfWriterRate)
	le.PutUint32(b[20:24], 1)
	if _, err := w.w.Write(b[:]); err != nil {
		return fmt.Errorf("video: writing IVF file header: %w", err)
	}
	w.started = true
	return nil
}

// ptsOf returns d in ticks of 1/ivfWriterRate s, rounded to the nearest.
func ptsOf(d time.Duration) uint64 {
	const sec = uint64(time.Second)
	return uint64(d/time.Second)*ivfWriterRate + (uint64(d%time.Second)*ivfWriterRate+sec/2)/sec
}

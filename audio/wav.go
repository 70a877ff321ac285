package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

const (
	wavFormatPCM        = 1
	wavFormatExtensible = 0xFFFE
	wavHeaderSize       = 44
	// maxFmtChunk bounds the fmt chunk we read into memory; the largest
	// standard one (WAVE_FORMAT_EXTENSIBLE) is 40 bytes.
	maxFmtChunk = 256
	// maxWAVData is the largest data chunk whose RIFF size still fits 32 bits.
	maxWAVData = 0xFFFFFFFF - (wavHeaderSize - 8)
)

// NewWAVSource returns a source reading a RIFF WAV stream of 16-bit PCM,
// mono or stereo, at any rate [Format.Valid] accepts (8, 11.025, 12, 16,
// 22.05, 24, 32, 44.1 or 48 kHz). The source plays the file as it is and
// declares its format (see [Formatted]): a call converts it to its codec, so
// a 16 or 48 kHz file goes wideband into an Opus call, and ReadFrame is
// given 20 ms at the file's format (its rate/50 samples per channel,
// interleaved). It reads the header from r at once and returns an error
// that names the problem when the stream is not such a file (8-bit,
// compressed, more than two channels, another rate, a truncated header).
// The source ends with [io.EOF] at the end of the data chunk; a last
// partial frame is padded with silence.
func NewWAVSource(r io.Reader) (Source, error) {
	if r == nil {
		return nil, errors.New("audio: nil WAV reader")
	}
	f, data, err := readWAVHeader(r)
	if err != nil {
		return nil, err
	}
	return NewPCMSourceAt(data, f)
}

// WAVFile is a [Source] reading a WAV file opened by [OpenWAV], at the
// file's format, which it declares (see [Formatted]).
type WAVFile struct {
	Source
	f *os.File
}

// OpenWAV opens the WAV file at path as a source, as [NewWAVSource] does for a
// reader. Close the returned file when the source is no longer read.
func OpenWAV(path string) (*WAVFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	src, err := NewWAVSource(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return &WAVFile{Source: src, f: f}, nil
}

// Format returns the file's format.
func (w *WAVFile) Format() Format { return FormatOf(w.Source) }

// Close closes the file.
func (w *WAVFile) Close() error { return w.f.Close() }

// readWAVHeader reads the RIFF header and chunks up to the data chunk and
// returns the audio's format and a reader of the data chunk.
func readWAVHeader(r io.Reader) (f Format, data io.Reader, err error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return Format{}, nil, wavReadError("RIFF header", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return Format{}, nil, errors.New("audio: not a WAV file (no RIFF/WAVE header)")
	}
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return Format{}, nil, errors.New("audio: WAV file has no data chunk")
			}
			return Format{}, nil, wavReadError("chunk header", err)
		}
		id, size := string(hdr[0:4]), int64(binary.LittleEndian.Uint32(hdr[4:8]))
		switch id {
		case "fmt ":
			if f.SampleRate != 0 {
				return Format{}, nil, errors.New("audio: WAV file has two fmt chunks")
			}
			if f, err = readWAVFormat(r, size); err != nil {
				return Format{}, nil, err
			}
		case "data":
			if f.SampleRate == 0 {
				return Format{}, nil, errors.New("audio: WAV data chunk comes before the fmt chunk")
			}
			return f, io.LimitReader(r, size), nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return Format{}, nil, wavReadError(fmt.Sprintf("%q chunk", id), err)
			}
		}
	}
}

// readWAVFormat reads a fmt chunk body of size bytes and checks that it
// describes 16-bit PCM of a format the SDK converts.
func readWAVFormat(r io.Reader, size int64) (Format, error) {
	if size < 16 || size > maxFmtChunk {
		return Format{}, fmt.Errorf("audio: WAV fmt chunk has invalid size %d", size)
	}
	body := make([]byte, size+size%2)
	if _, err := io.ReadFull(r, body); err != nil {
		return Format{}, wavReadError("fmt chunk", err)
	}
	format := binary.LittleEndian.Uint16(body[0:2])
	channels := binary.LittleEndian.Uint16(body[2:4])
	rate := binary.LittleEndian.Uint32(body[4:8])
	bits := binary.LittleEndian.Uint16(body[14:16])
	if format == wavFormatExtensible && size >= 26 {
		// The sub-format GUID starts with the format code.
		format = binary.LittleEndian.Uint16(body[24:26])
	}
	f := Format{SampleRate: int(min(rate, MaxSampleRate+1)), Channels: int(channels)}
	switch {
	case format != wavFormatPCM:
		return Format{}, fmt.Errorf("audio: WAV format %#x is not PCM; only 16-bit PCM is supported", format)
	case channels != 1 && channels != 2:
		return Format{}, fmt.Errorf("audio: WAV file has %d channels; only mono and stereo are supported", channels)
	case bits != 16:
		return Format{}, fmt.Errorf("audio: WAV file has %d-bit samples; only 16-bit is supported", bits)
	case f.Valid() != nil:
		return Format{}, fmt.Errorf("audio: WAV sample rate %d Hz is not supported (use 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000)", rate)
	}
	return f, nil
}

func wavReadError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("audio: WAV file truncated in the %s", what)
	}
	return fmt.Errorf("audio: reading WAV %s: %w", what, err)
}

// WAVWriter is a [Sink] that writes 16-bit mono PCM at [SampleRate] (or,
// from [NewWAVWriterAt], of any format) as a WAV file. It is safe for concurrent use: frames usually arrive from a call's
// media goroutine while another goroutine calls Close.
type WAVWriter struct {
	format  Format
	mu      sync.Mutex
	w       io.WriteSeeker
	start   int64 // offset of the header in w
	started bool  // the header has been written
	size    int64 // bytes of sample data written
	buf     []byte
	err     error // sticky: the first failure, or errWAVClosed
}

var errWAVClosed = errors.New("audio: WAV writer is closed")

// NewWAVWriter returns a writer of a WAV file to w, starting at w's current
// offset. The RIFF sizes are fixed when Close is called; until then the file
// is incomplete.
func NewWAVWriter(w io.WriteSeeker) *WAVWriter {
	return &WAVWriter{w: w, format: Narrowband}
}

// NewWAVWriterAt is NewWAVWriter for audio of format f, which it declares
// (see [Formatted]): a call hands it frames at f, and the file says f. It
// fails for a format [Format.Valid] refuses.
func NewWAVWriterAt(w io.WriteSeeker, f Format) (*WAVWriter, error) {
	if err := f.Valid(); err != nil {
		return nil, err
	}
	return &WAVWriter{w: w, format: f}, nil
}

// Format returns the format of the audio the writer takes.
func (w *WAVWriter) Format() Format { return w.format }

// WriteFrame appends the samples of frame. After an error, every later call
// returns the same error.
func (w *WAVWriter) WriteFrame(frame []int16) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeHeaderOnce(); err != nil {
		return err
	}
	n := int64(2 * len(frame))
	if w.size+n > maxWAVData {
		w.err = errors.New("audio: WAV file would exceed 4 GiB")
		return w.err
	}
	w.buf = w.buf[:0]
	for _, s := range frame {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("audio: writing WAV data: %w", err)
		return w.err
	}
	w.size += n
	return nil
}

// Close writes the final RIFF and data chunk sizes and leaves w's offset at
// the end of the file. It does not close w. Later calls return an error.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeHeaderOnce(); err != nil {
		return err
	}
	w.err = errWAVClosed
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], uint32(wavHeaderSize-8+w.size))
	if err := w.writeAt(w.start+4, size[:]); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(size[:], uint32(w.size))
	if err := w.writeAt(w.start+wavHeaderSize-4, size[:]); err != nil {
		return err
	}
	if _, err := w.w.Seek(w.start+wavHeaderSize+w.size, io.SeekStart); err != nil {
		return fmt.Errorf("audio: finishing WAV file: %w", err)
	}
	return nil
}

func (w *WAVWriter) writeAt(off int64, b []byte) error {
	if _, err := w.w.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("audio: finishing WAV file: %w", err)
	}
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("audio: finishing WAV file: %w", err)
	}
	return nil
}

// writeHeaderOnce writes a header with zero sizes before the first samples.
func (w *WAVWriter) writeHeaderOnce() error {
	if w.err != nil || w.started {
		return w.err
	}
	start, err := w.w.Seek(0, io.SeekCurrent)
	if err != nil {
		w.err = fmt.Errorf("audio: writing WAV header: %w", err)
		return w.err
	}
	if _, err := w.w.Write(wavHeader(w.format)); err != nil {
		w.err = fmt.Errorf("audio: writing WAV header: %w", err)
		return w.err
	}
	w.start, w.started = start, true
	return nil
}

// wavHeader returns the 44-byte header of 16-bit PCM of format f with zero
// RIFF and data sizes.
func wavHeader(f Format) []byte {
	blockAlign := 2 * f.Channels
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF\x00\x00\x00\x00WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, wavFormatPCM)
	h = binary.LittleEndian.AppendUint16(h, uint16(f.Channels))
	h = binary.LittleEndian.AppendUint32(h, uint32(f.SampleRate))
	h = binary.LittleEndian.AppendUint32(h, uint32(f.SampleRate*blockAlign)) // byte rate
	h = binary.LittleEndian.AppendUint16(h, uint16(blockAlign))
	h = binary.LittleEndian.AppendUint16(h, 16) // bits per sample
	h = append(h, "data\x00\x00\x00\x00"...)
	return h
}

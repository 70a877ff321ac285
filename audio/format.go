package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Format describes 16-bit PCM audio: its sample rate in Hz and its channel
// count (1 mono, 2 interleaved stereo).
type Format struct {
	SampleRate int
	Channels   int
}

// Narrowband is 8 kHz mono: the format of a [Source] or [Sink] that does
// not declare one (see [Formatted]).
var Narrowband = Format{SampleRate: SampleRate, Channels: 1}

// Bounds of a Format's sample rate.
const (
	MinSampleRate = 8000
	MaxSampleRate = 48000
)

// Formatted is implemented by the sources and sinks that declare their
// format. The SDK converts between it and the call's codec: a 16 kHz source
// plays into an Opus call (wideband) and a PCMU call (8 kHz) alike, and a
// sink gets the audio at the rate it asks for. A source's ReadFrame is then
// given 20 ms at its format (SampleRate/50 samples per channel), and a
// sink's WriteFrame gets frames of its format. Format must keep returning
// the same value while the source or sink is in use.
type Formatted interface {
	Format() Format
}

// FormatOf returns the format v declares, or [Narrowband] when it declares
// none or an invalid one.
func FormatOf(v any) Format {
	f, ok := v.(Formatted)
	if !ok {
		return Narrowband
	}
	if got := f.Format(); got.Valid() == nil {
		return got
	}
	return Narrowband
}

// Valid returns nil for a format the SDK converts: a rate from 8 to 48 kHz
// whose 20 ms frame is a whole number of samples (8, 11.025, 12, 16, 22.05,
// 24, 32, 44.1, 48 kHz) and 1 or 2 channels; else an error saying why.
func (f Format) Valid() error {
	switch f.SampleRate {
	case 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000:
	default:
		return fmt.Errorf("audio: sample rate %d Hz is not supported (use 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000)", f.SampleRate)
	}
	if f.Channels != 1 && f.Channels != 2 {
		return fmt.Errorf("audio: channel count %d is not supported (use 1 or 2)", f.Channels)
	}
	return nil
}

// FrameSamples is the number of samples (all channels) of a 20 ms frame.
func (f Format) FrameSamples() int { return f.SampleRate / 50 * f.Channels }

// ToneAt returns a mono source of a sine wave of freqHz at amplitude at
// sampleRate Hz, which it declares (see [Formatted]); otherwise as [Tone].
// A sampleRate [Format.Valid] refuses gives an error.
func ToneAt(freqHz, amplitude float64, sampleRate int) (Source, error) {
	f := Format{SampleRate: sampleRate, Channels: 1}
	if err := f.Valid(); err != nil {
		return nil, err
	}
	if math.IsNaN(freqHz) || math.IsInf(freqHz, 0) || math.IsNaN(amplitude) {
		return formattedSilence{f}, nil
	}
	return &formattedTone{tone: tone{
		step:  2 * math.Pi * freqHz / float64(sampleRate),
		scale: math.MaxInt16 * min(max(amplitude, 0), 1),
	}, format: f}, nil
}

type formattedTone struct {
	tone
	format Format
}

func (t *formattedTone) Format() Format { return t.format }

type formattedSilence struct{ format Format }

func (s formattedSilence) ReadFrame(frame []int16) error {
	clear(frame)
	return nil
}

func (s formattedSilence) Format() Format { return s.format }

// SourceAt returns s declaring format f (see [Formatted]): its ReadFrame is
// given 20 ms at f. It fails for a format [Format.Valid] refuses.
func SourceAt(f Format, s Source) (Source, error) {
	if err := f.Valid(); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("audio: nil source")
	}
	return formattedSource{Source: s, format: f}, nil
}

// SinkAt returns s declaring format f (see [Formatted]): its WriteFrame gets
// frames at f. A [TimedSink] stays one. It fails for a format [Format.Valid] refuses.
func SinkAt(f Format, s Sink) (Sink, error) {
	if err := f.Valid(); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("audio: nil sink")
	}
	if ts, ok := s.(TimedSink); ok {
		return formattedTimedSink{TimedSink: ts, format: f}, nil
	}
	return formattedSink{Sink: s, format: f}, nil
}

type formattedSource struct {
	Source
	format Format
}

func (s formattedSource) Format() Format { return s.format }

type formattedSink struct {
	Sink
	format Format
}

func (s formattedSink) Format() Format { return s.format }

// formattedTimedSink keeps a TimedSink's WriteFrameAt visible.
type formattedTimedSink struct {
	TimedSink
	format Format
}

func (s formattedTimedSink) Format() Format { return s.format }

// NewPCMSourceAt returns a source reading raw 16-bit little-endian PCM of
// format f (interleaved when stereo) from r as it is, declaring f: the call
// converts it to the codec's format. It ends with [io.EOF] at the end of r; a
// last partial frame is padded with silence.
func NewPCMSourceAt(r io.Reader, f Format) (Source, error) {
	if err := f.Valid(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("audio: nil PCM reader")
	}
	return &rawPCMSource{r: r, format: f}, nil
}

type rawPCMSource struct {
	r      io.Reader
	format Format
	raw    []byte
	done   bool
}

func (s *rawPCMSource) Format() Format { return s.format }

func (s *rawPCMSource) ReadFrame(frame []int16) error {
	if s.done {
		return io.EOF
	}
	n := 2 * len(frame)
	if cap(s.raw) < n {
		s.raw = make([]byte, n)
	}
	raw := s.raw[:n]
	got, err := io.ReadFull(s.r, raw)
	switch {
	case errors.Is(err, io.EOF) || (errors.Is(err, io.ErrUnexpectedEOF) && got < 2):
		s.done = true
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.done = true
		clear(raw[got:])
	case err != nil:
		return fmt.Errorf("audio: reading PCM: %w", err)
	}
	for i := range frame {
		frame[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return nil
}

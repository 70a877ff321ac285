package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// NewPCMSource returns a source reading 16-bit little-endian mono PCM from r
// at sampleRate, which must be 8000, 16000 or 48000 Hz. Audio at 16 or 48 kHz
// is low-pass filtered and decimated to [SampleRate].
//
// The source ends with [io.EOF] at the end of r; a last partial frame is
// padded with silence. Other read errors are returned as they happen.
func NewPCMSource(r io.Reader, sampleRate int) (Source, error) {
	if r == nil {
		return nil, errors.New("audio: nil PCM reader")
	}
	switch sampleRate {
	case 8000, 16000, 48000:
	default:
		return nil, fmt.Errorf("audio: PCM sample rate %d Hz is not supported (use 8000, 16000 or 48000)", sampleRate)
	}
	return &pcmSource{r: r, dec: newDecimator(sampleRate / SampleRate)}, nil
}

type pcmSource struct {
	r    io.Reader
	dec  *decimator
	raw  []byte
	done bool
}

func (s *pcmSource) ReadFrame(frame []int16) error {
	if s.done {
		return io.EOF
	}
	n := 2 * len(frame) * s.dec.factor
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
	s.dec.process(raw, frame)
	return nil
}

// cutoffHz is the corner of the anti-aliasing filter, below the 4 kHz
// Nyquist frequency of the output.
const cutoffHz = 3600

// decimator converts PCM at factor*SampleRate to SampleRate with a windowed
// sinc low-pass FIR filter followed by keeping every factor-th sample.
type decimator struct {
	factor int
	taps   []float64 // symmetric, unity gain at DC; nil when factor is 1
	hist   []float64 // len(taps)-1 past input samples, then the current block
}

func newDecimator(factor int) *decimator {
	d := &decimator{factor: factor}
	if factor > 1 {
		d.taps = lowPass(16*factor+1, cutoffHz/float64(factor*SampleRate))
		d.hist = make([]float64, len(d.taps)-1)
	}
	return d
}

// lowPass designs an n-tap Hamming-windowed sinc filter with the cutoff fc
// given in cycles per input sample.
func lowPass(n int, fc float64) []float64 {
	taps := make([]float64, n)
	var sum float64
	mid := float64(n-1) / 2
	for i := range taps {
		x := float64(i) - mid
		sinc := 2 * fc
		if x != 0 {
			sinc = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		window := 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		taps[i] = sinc * window
		sum += taps[i]
	}
	for i := range taps {
		taps[i] /= sum
	}
	return taps
}

// process turns the little-endian samples in raw (factor*len(out) of them)
// into len(out) output samples.
func (d *decimator) process(raw []byte, out []int16) {
	if d.factor == 1 {
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		return
	}
	keep := len(d.taps) - 1
	for i := 0; i+1 < len(raw); i += 2 {
		d.hist = append(d.hist, float64(int16(binary.LittleEndian.Uint16(raw[i:]))))
	}
	for j := range out {
		end := keep + (j+1)*d.factor
		window := d.hist[end-len(d.taps) : end]
		var acc float64
		for k, t := range d.taps {
			acc += t * window[k]
		}
		out[j] = clamp16(acc)
	}
	d.hist = append(d.hist[:0], d.hist[len(d.hist)-keep:]...)
}

func clamp16(v float64) int16 {
	return int16(math.Round(min(max(v, math.MinInt16), math.MaxInt16)))
}

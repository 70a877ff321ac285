package audio

import "math"

// Source produces the audio a call sends.
//
// ReadFrame fills all of frame with the next len(frame) samples at
// [SampleRate], or at the source's own format when it implements
// [Formatted]. It returns [io.EOF] when the source has ended; the call then
// sends silence. The SDK reads a source from one goroutine at a time, so an
// implementation need not be safe for concurrent use. While ReadFrame
// blocks, the call sends nothing; a call that ends does not wait for a
// blocked ReadFrame (Hangup and Terminate return), and stops reading once
// it returns.
type Source interface {
	ReadFrame(frame []int16) error
}

// Silence returns a source of silence that never ends.
func Silence() Source { return silence{} }

type silence struct{}

func (silence) ReadFrame(frame []int16) error {
	clear(frame)
	return nil
}

// Tone returns a source of a sine wave of freqHz at amplitude (0 for silence,
// 1 for full scale; values outside 0..1 are clamped) that never ends. The
// phase continues from one frame to the next, so the tone has no clicks at
// frame boundaries. A frequency that is not finite gives silence.
func Tone(freqHz, amplitude float64) Source {
	if math.IsNaN(freqHz) || math.IsInf(freqHz, 0) || math.IsNaN(amplitude) {
		return silence{}
	}
	return &tone{
		step:  2 * math.Pi * freqHz / SampleRate,
		scale: math.MaxInt16 * min(max(amplitude, 0), 1),
	}
}

type tone struct {
	step  float64 // phase increment per sample, radians
	scale float64 // peak value in sample units
	phase float64 // radians, kept within ±2π
}

func (t *tone) ReadFrame(frame []int16) error {
	for i := range frame {
		frame[i] = int16(math.Round(t.scale * math.Sin(t.phase)))
		t.phase = math.Mod(t.phase+t.step, 2*math.Pi)
	}
	return nil
}

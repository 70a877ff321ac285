package audio

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Goertzel returns the power of samples at freqHz, for samples taken at
// sampleRate Hz. The power is normalised by the number of samples, so a sine
// of peak amplitude A (in sample units) at freqHz gives about A²/4 whatever
// the length. It returns 0 for no samples or a sampleRate that is not
// positive.
func Goertzel(samples []int16, sampleRate int, freqHz float64) float64 {
	if len(samples) == 0 || sampleRate <= 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freqHz/float64(sampleRate))
	var s1, s2 float64
	for _, x := range samples {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	n := float64(len(samples))
	return max(s1*s1+s2*s2-coeff*s1*s2, 0) / (n * n)
}

// RMS returns the root mean square of samples in sample units (0 for no
// samples; about 23170 for a full-scale sine).
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// ToneDetector is a [Sink] that keeps the most recent audio written to it
// and measures tones in it. It is safe for concurrent use: a call's media
// goroutine writes to it while a test or bot reads the measurements.
type ToneDetector struct {
	rate    int // sample rate, Hz
	mu      sync.Mutex
	ring    []int16 // the window, oldest sample at next once full
	next    int
	full    bool
	total   int64         // samples written since creation or Reset
	changed chan struct{} // closed on the next write; nil when nobody waits
}

// Bounds of a ToneDetector's window. The window is kept in memory (2 bytes
// a sample, 960 KB for MaxToneWindow) and each measurement reads all of it.
const (
	MinToneWindow = 20 * time.Millisecond // one frame
	MaxToneWindow = time.Minute
)

// NewToneDetector returns a detector that measures the last window of audio
// at [SampleRate]. The window is clamped to MinToneWindow..MaxToneWindow:
// shorter ones (zero and negative too) are raised to one frame, longer ones
// cut to a minute. Use [NewToneDetectorChecked] to have such a window
// refused instead.
func NewToneDetector(window time.Duration) *ToneDetector {
	return newToneDetector(window, SampleRate)
}

// NewToneDetectorAt is NewToneDetector for mono audio at sampleRate Hz,
// which it declares (see [Formatted]): a call hands it audio at that rate.
// A sampleRate [Format.Valid] refuses gives an error.
func NewToneDetectorAt(window time.Duration, sampleRate int) (*ToneDetector, error) {
	if err := (Format{SampleRate: sampleRate, Channels: 1}).Valid(); err != nil {
		return nil, err
	}
	return newToneDetector(window, sampleRate), nil
}

func newToneDetector(window time.Duration, rate int) *ToneDetector {
	window = min(max(window, MinToneWindow), MaxToneWindow)
	return &ToneDetector{rate: rate, ring: make([]int16, max(int(window*time.Duration(rate)/time.Second), rate/50))}
}

// Format returns the detector's format: mono at its sample rate.
func (d *ToneDetector) Format() Format { return Format{SampleRate: d.rate, Channels: 1} }

// NewToneDetectorChecked is NewToneDetector for a window that must lie
// within MinToneWindow..MaxToneWindow: any other gives an error.
func NewToneDetectorChecked(window time.Duration) (*ToneDetector, error) {
	if window < MinToneWindow || window > MaxToneWindow {
		return nil, fmt.Errorf("audio: tone detector window %v is outside %v..%v", window, MinToneWindow, MaxToneWindow)
	}
	return NewToneDetector(window), nil
}

// WriteFrame appends frame to the window, dropping the oldest samples. It
// never fails.
func (d *ToneDetector) WriteFrame(frame []int16) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total += int64(len(frame))
	if len(frame) > len(d.ring) {
		frame = frame[len(frame)-len(d.ring):]
	}
	for len(frame) > 0 {
		n := copy(d.ring[d.next:], frame)
		frame = frame[n:]
		d.next += n
		if d.next == len(d.ring) {
			d.next, d.full = 0, true
		}
	}
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
	return nil
}

// Received returns how much audio has been written since the detector was
// created or reset.
func (d *ToneDetector) Received() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.duration(d.total)
}

// Wait blocks until at least length of audio has been written since the
// detector was created or reset, or until ctx is done.
func (d *ToneDetector) Wait(ctx context.Context, length time.Duration) error {
	for {
		d.mu.Lock()
		if d.duration(d.total) >= length {
			d.mu.Unlock()
			return nil
		}
		if d.changed == nil {
			d.changed = make(chan struct{})
		}
		changed := d.changed
		d.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Reset empties the window and the received count.
func (d *ToneDetector) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.ring)
	d.next, d.full, d.total = 0, false, 0
}

// Power returns the [Goertzel] power at freqHz of the audio in the window.
func (d *ToneDetector) Power(freqHz float64) float64 {
	return Goertzel(d.window(), d.rate, freqHz)
}

// RMS returns the [RMS] level of the audio in the window.
func (d *ToneDetector) RMS() float64 {
	return RMS(d.window())
}

// Dominant returns the candidate frequency with the most power in the window
// and the ratio of its power to that of the strongest other candidate. The
// ratio is +Inf when there is a single candidate or the others have no
// power. Without candidates, or when none has any power, it returns 0, 0.
// Print the ratio with [FormatDB].
func (d *ToneDetector) Dominant(candidates ...float64) (freqHz, ratio float64) {
	samples := d.window()
	var best, second float64
	for _, f := range candidates {
		p := Goertzel(samples, d.rate, f)
		switch {
		case p > best:
			freqHz, best, second = f, p, best
		case p > second:
			second = p
		}
	}
	if best == 0 {
		return 0, 0
	}
	if second == 0 {
		return freqHz, math.Inf(1)
	}
	return freqHz, best / second
}

// MaxDB bounds the levels FormatDB prints. 16-bit audio spans about 96 dB
// and a codec's silence is not quite zero, so a ratio beyond ±90 dB only
// says that one side is next to nothing: 314 dB is not a level anyone can
// believe.
const MaxDB = 90

// FormatDB formats a power ratio, such as the one Dominant returns, in
// decibels for a person to read: "12 dB", "-3 dB". Beyond MaxDB either way
// it prints "> 90 dB" or "< -90 dB" (+Inf, a tone against silence, and 0
// included). NaN or a negative ratio, which no power ratio is, prints
// "? dB".
func FormatDB(ratio float64) string {
	if math.IsNaN(ratio) || ratio < 0 {
		return "? dB"
	}
	db := 10 * math.Log10(ratio) // +Inf for +Inf, -Inf for 0
	switch {
	case db > MaxDB:
		return fmt.Sprintf("> %d dB", MaxDB)
	case db < -MaxDB:
		return fmt.Sprintf("< -%d dB", MaxDB)
	}
	return fmt.Sprintf("%.0f dB", db)
}

// window returns a copy of the audio in the window, oldest first.
func (d *ToneDetector) window() []int16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.full {
		return append([]int16(nil), d.ring[:d.next]...)
	}
	out := make([]int16, 0, len(d.ring))
	out = append(out, d.ring[d.next:]...)
	return append(out, d.ring[:d.next]...)
}

func (d *ToneDetector) duration(n int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(d.rate)
}

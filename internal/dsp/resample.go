// Package dsp holds the signal processing the SDK's audio pipeline needs
// between its sources and sinks and the codecs: sample rate conversion and
// channel mixing of 16-bit PCM.
package dsp

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Design of the resampling filter, shared by every rate pair (docs/media.md
// gives the response measured with it).
const (
	// passband is the edge of the flat band, as a fraction of the Nyquist
	// frequency of the lower of the two rates: 3.4 kHz at 8 kHz, 6.8 kHz
	// at 16 kHz.
	passband = 0.85
	// stopbandDB is the attenuation from the lower rate's Nyquist frequency
	// on: what a downsampler lets alias, and an upsampler leaves of images.
	stopbandDB = 50.0
	// maxPhases bounds the polyphase table: rate pairs whose reduced ratio
	// needs more phases than this are refused.
	maxPhases = 1024
	// MinRate and MaxRate bound the sample rates a Resampler accepts.
	MinRate = 8000
	MaxRate = 192000
)

// Resampler converts 16-bit PCM from one sample rate and channel count to
// another as a stream: each call to Process takes the next input samples and
// returns every output sample they complete, so feeding a signal in any
// chunks gives exactly the output of feeding it at once.
//
// It is a polyphase windowed-sinc (Kaiser) filter: flat within ±0.1 dB up to
// 85 % of the lower rate's Nyquist frequency and attenuating 50 dB or more
// from that Nyquist frequency on, so a downsampler aliases nothing audible
// and an upsampler adds no images. Stereo input is mixed to mono (the mean
// of the two channels) before filtering when the output is mono, and mono
// output is copied to both channels when the output is stereo. Equal rates
// only convert channels, without delay.
//
// A Resampler is not safe for concurrent use; its filter tables are shared
// by all the Resamplers of the same rate pair.
type Resampler struct {
	inRate, outRate      int
	inChans, outChans    int
	filtered             int // channels that go through the filter
	f                    *filter
	hist                 [2][]float32 // per filtered channel: taps-1 past samples, then new ones
	phase, index         int          // next output: in upsampled units, hist index and phase
	stepIndex, stepPhase int
}

// filter is the polyphase decomposition of one low-pass prototype.
type filter struct {
	up, down int       // L and M: output rate / input rate = L / M, reduced
	taps     int       // taps per phase
	table    []float32 // phase p's taps at [p*taps, (p+1)*taps), oldest sample first
}

// NewResampler returns a resampler from inRate to outRate Hz (each from
// MinRate to MaxRate, with a ratio whose reduced numerator is at most 1024:
// any two of 8, 11.025, 12, 16, 22.05, 24, 32, 44.1 and 48 kHz qualify)
// and from inChannels to outChannels channels (1 or 2; stereo is
// interleaved).
func NewResampler(inRate, outRate, inChannels, outChannels int) (*Resampler, error) {
	for _, rate := range []int{inRate, outRate} {
		if rate < MinRate || rate > MaxRate {
			return nil, fmt.Errorf("dsp: sample rate %d Hz is out of range (use %d to %d)", rate, MinRate, MaxRate)
		}
	}
	for _, ch := range []int{inChannels, outChannels} {
		if ch != 1 && ch != 2 {
			return nil, fmt.Errorf("dsp: channel count %d is not supported (use 1 or 2)", ch)
		}
	}
	g := gcd(inRate, outRate)
	if outRate/g > maxPhases {
		return nil, fmt.Errorf("dsp: cannot resample from %d to %d Hz: the ratio is too fine (pick rates with a larger common divisor)", inRate, outRate)
	}
	r := &Resampler{inRate: inRate, outRate: outRate, inChans: inChannels, outChans: outChannels, filtered: min(inChannels, outChannels)}
	if inRate != outRate {
		r.f = filterFor(outRate/g, inRate/g, min(inRate, outRate), inRate)
		r.stepIndex, r.stepPhase = r.f.down/r.f.up, r.f.down%r.f.up
	}
	r.Reset()
	return r, nil
}

// Reset forgets the past input, as if the resampler had just been created.
func (r *Resampler) Reset() {
	if r.f == nil {
		return
	}
	for c := range r.filtered {
		r.hist[c] = append(r.hist[c][:0], make([]float32, r.f.taps-1)...)
	}
	r.index, r.phase = r.f.taps-1, 0
}

// Delay is the resampler's group delay: how much later a sound comes out
// than it went in (zero for equal rates).
func (r *Resampler) Delay() time.Duration {
	if r.f == nil {
		return 0
	}
	// The prototype is symmetric over taps*up samples at up*inRate Hz.
	return time.Duration(float64(r.f.taps*r.f.up-1) / 2 / float64(r.f.up*r.inRate) * float64(time.Second))
}

// OutputSamples returns how many samples per channel Process will return
// for the next n input samples per channel.
func (r *Resampler) OutputSamples(n int) int {
	if r.f == nil {
		return n
	}
	last := len(r.hist[0]) + n // hist index one past the last input
	if r.index >= last {
		return 0
	}
	// Outputs k = 0, 1, ... sit at index + (k*down + phase)/up.
	return ((last-r.index)*r.f.up - r.phase + r.f.down - 1) / r.f.down
}

// Process appends to dst the output completed by the samples of in
// (interleaved when stereo; a trailing incomplete sample frame is ignored)
// and returns the extended slice. Output samples are rounded and clipped
// to 16 bits. Converting 20 ms of input at a rate whose 20 ms is a whole
// number of samples at both rates (all the rates listed in NewResampler)
// returns exactly 20 ms of output.
func (r *Resampler) Process(dst, in []int16) []int16 {
	frames := len(in) / r.inChans
	if r.f == nil {
		return r.convertChannels(dst, in[:frames*r.inChans])
	}
	r.load(in, frames)
	out := len(dst)
	n := r.OutputSamples(0)
	dst = append(dst, make([]int16, n*r.outChans)...)
	t, table := r.f.taps, r.f.table
	for c := range r.filtered {
		hist := r.hist[c]
		index, phase := r.index, r.phase
		o := out + c
		for range n {
			x := hist[index-t+1 : index+1]
			v := dot(table[phase*t:(phase+1)*t], x)
			dst[o] = clip(v)
			if r.outChans > r.filtered {
				dst[o+1] = dst[o]
			}
			o += r.outChans
			phase += r.stepPhase
			index += r.stepIndex
			if phase >= r.f.up {
				phase -= r.f.up
				index++
			}
		}
		if c == r.filtered-1 {
			r.index, r.phase = index, phase
		}
	}
	// Keep the last taps-1 samples for the outputs to come.
	drop := r.index - (t - 1)
	for c := range r.filtered {
		r.hist[c] = append(r.hist[c][:0], r.hist[c][drop:]...)
	}
	r.index -= drop
	return dst
}

// load appends the samples of in to the history, mixed to the filtered
// channel count.
func (r *Resampler) load(in []int16, frames int) {
	switch {
	case r.inChans == 1:
		for _, s := range in[:frames] {
			r.hist[0] = append(r.hist[0], float32(s))
		}
	case r.filtered == 1: // stereo to mono
		for i := range frames {
			r.hist[0] = append(r.hist[0], (float32(in[2*i])+float32(in[2*i+1]))/2)
		}
	default:
		for i := range frames {
			r.hist[0] = append(r.hist[0], float32(in[2*i]))
			r.hist[1] = append(r.hist[1], float32(in[2*i+1]))
		}
	}
}

// convertChannels converts channels only, at equal rates.
func (r *Resampler) convertChannels(dst, in []int16) []int16 {
	switch {
	case r.inChans == r.outChans:
		return append(dst, in...)
	case r.inChans == 2:
		for i := 0; i+1 < len(in); i += 2 {
			dst = append(dst, int16((int32(in[i])+int32(in[i+1]))/2))
		}
	default:
		for _, s := range in {
			dst = append(dst, s, s)
		}
	}
	return dst
}

func dot(taps, x []float32) float32 {
	x = x[:len(taps)]
	var a0, a1, a2, a3 float32
	for len(taps) >= 4 && len(x) >= 4 {
		a0 += taps[0] * x[0]
		a1 += taps[1] * x[1]
		a2 += taps[2] * x[2]
		a3 += taps[3] * x[3]
		taps, x = taps[4:], x[4:]
	}
	for i := range taps {
		a0 += taps[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

func clip(v float32) int16 {
	if v >= math.MaxInt16 {
		return math.MaxInt16
	}
	if v <= math.MinInt16 {
		return math.MinInt16
	}
	return int16(math.Round(float64(v)))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// filters caches the filter of each rate pair: they are immutable and, for
// fine ratios such as 44.1 to 48 kHz, tens of kilobytes.
var filters sync.Map // filterKey -> *filter

type filterKey struct{ up, down int }

// filterFor returns the polyphase filter resampling by up/down, whose lower
// rate is lowRate and input rate inRate.
func filterFor(up, down, lowRate, inRate int) *filter {
	key := filterKey{up, down}
	if f, ok := filters.Load(key); ok {
		return f.(*filter)
	}
	f, _ := filters.LoadOrStore(key, designFilter(up, down, lowRate, inRate))
	return f.(*filter)
}

// designFilter designs a Kaiser-windowed sinc low-pass prototype at
// up*inRate Hz, with its transition band from passband to 1 times the
// lower rate's Nyquist frequency, and splits it into up phases normalised
// to unity gain at DC each.
func designFilter(up, down, lowRate, inRate int) *filter {
	fs := float64(up) * float64(inRate) // the prototype's sample rate
	nyquist := float64(lowRate) / 2
	transition := (1 - passband) * nyquist / fs // cycles per sample
	cutoff := (1 + passband) / 2 * nyquist / fs
	// Kaiser's estimates of the length and shape for stopbandDB.
	length := int(math.Ceil((stopbandDB-7.95)/(14.36*transition))) + 1
	beta := 0.1102 * (stopbandDB - 8.7)
	// At least enough taps that one output's step of input (down/up
	// samples) never skips past the kept history.
	taps := max((length+up-1)/up, down/up+2)
	n := taps * up
	proto := make([]float64, n)
	mid := float64(n-1) / 2
	i0beta := besselI0(beta)
	for i := range proto {
		x := float64(i) - mid
		sinc := 2 * cutoff
		if x != 0 {
			sinc = math.Sin(2*math.Pi*cutoff*x) / (math.Pi * x)
		}
		r := 2*float64(i)/float64(n-1) - 1
		proto[i] = sinc * besselI0(beta*math.Sqrt(max(0, 1-r*r))) / i0beta
	}
	f := &filter{up: up, down: down, taps: taps, table: make([]float32, n)}
	for p := range up {
		var sum float64
		for m := range taps {
			sum += proto[p+m*up]
		}
		for j := range taps {
			// Tap j multiplies the sample taps-1-j inputs before the newest.
			f.table[p*taps+j] = float32(proto[p+(taps-1-j)*up] / sum)
		}
	}
	return f
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= x * x / (4 * float64(k) * float64(k))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

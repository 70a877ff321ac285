package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
)

// rates are the sample rates the SDK's sources, sinks and codecs use.
var rates = []int{8000, 16000, 24000, 32000, 44100, 48000}

const amplitude = 10000.0

// sine returns seconds of a sine of freqHz at rate, peak amplitude.
func sine(rate int, freqHz, seconds float64) []int16 {
	out := make([]int16, int(float64(rate)*seconds))
	for i := range out {
		out[i] = int16(math.Round(amplitude * math.Sin(2*math.Pi*freqHz*float64(i)/float64(rate))))
	}
	return out
}

// levelDB is the level of the component at freqHz of samples (at rate),
// past the filter's start-up, relative to amplitude.
func levelDB(samples []int16, rate int, freqHz float64) float64 {
	steady := samples[len(samples)/4:]
	return 20 * math.Log10(2*math.Sqrt(audio.Goertzel(steady, rate, freqHz))/amplitude)
}

// rmsDB is the RMS level of samples past the start-up, relative to that of
// the input sine.
func rmsDB(samples []int16) float64 {
	return 20 * math.Log10(audio.RMS(samples[len(samples)/4:])/(amplitude/math.Sqrt2))
}

func resample(t testing.TB, in []int16, inRate, outRate int) []int16 {
	t.Helper()
	r, err := NewResampler(inRate, outRate, 1, 1)
	require.NoError(t, err)
	return r.Process(nil, in)
}

// TestResamplerPassbandIsFlat sends tones from 100 Hz to the passband edge
// (85 % of the lower rate's Nyquist frequency) through every rate pair: each
// comes out at its frequency, within 1 dB of its level.
func TestResamplerPassbandIsFlat(t *testing.T) {
	for _, in := range rates {
		for _, out := range rates {
			edge := 0.85 * float64(min(in, out)) / 2 // the documented passband
			for _, f := range []float64{100, 440, 1000, edge / 2, edge} {
				got := resample(t, sine(in, f, 0.5), in, out)
				require.Len(t, got, out/2, "%d -> %d Hz: 0.5 s in, 0.5 s out", in, out)
				assert.InDelta(t, 0, levelDB(got, out, f), 1, "%d -> %d Hz: level of %.0f Hz (dB)", in, out, f)
				assert.InDelta(t, 0, rmsDB(got), 1, "%d -> %d Hz: nothing but the %.0f Hz tone (dB)", in, out, f)
			}
		}
	}
}

// TestResamplerDownsamplingDoesNotAlias sends tones between the output's
// Nyquist frequency and the input's through every downsampling pair:
// everything that comes out is 40 dB (and by design 45 dB) or more below
// them.
func TestResamplerDownsamplingDoesNotAlias(t *testing.T) {
	for _, in := range rates {
		for _, out := range rates {
			if out >= in {
				continue
			}
			nyquist := float64(out) / 2
			for _, k := range []float64{1, 1.05, 1.2, 1.5, 2, 3, 5} {
				f := k * nyquist
				if f >= 0.95*float64(in)/2 {
					continue
				}
				got := resample(t, sine(in, f, 0.5), in, out)
				assert.Less(t, rmsDB(got), -45.0, "%d -> %d Hz: %.0f Hz aliases", in, out, f)
			}
		}
	}
}

func TestResampler6kHzToneIsRemovedAt8kHzButKeptAt16kHz(t *testing.T) {
	tone := sine(48000, 6000, 0.5)
	assert.Less(t, rmsDB(resample(t, tone, 48000, 8000)), -40.0, "6 kHz cannot pass 8 kHz sampling: it must not alias to 2 kHz")
	assert.InDelta(t, 0, levelDB(resample(t, tone, 48000, 16000), 16000, 6000), 1)
	assert.InDelta(t, 0, levelDB(resample(t, tone, 48000, 24000), 24000, 6000), 1)
}

// TestResamplerUpsamplingAddsNoImages sends passband tones through every
// upsampling pair: the images a plain sample-rate change would create
// (at in-f and in+f) are 40 dB or more down.
func TestResamplerUpsamplingAddsNoImages(t *testing.T) {
	for _, in := range rates {
		for _, out := range rates {
			if out <= in {
				continue
			}
			for _, f := range []float64{440, 0.85 * float64(in) / 2} {
				got := resample(t, sine(in, f, 0.5), in, out)
				for _, image := range []float64{float64(in) - f, float64(in) + f} {
					if image >= float64(out)/2 {
						continue
					}
					assert.Less(t, levelDB(got, out, image), -40.0, "%d -> %d Hz: image of %.0f Hz at %.0f Hz", in, out, f, image)
				}
			}
		}
	}
}

// TestResamplerStreamsLikeOneShot feeds noise in random chunks, 20 ms
// frames and one sample at a time: the output is the same, sample for
// sample, as converting it at once.
func TestResamplerStreamsLikeOneShot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pair := range [][4]int{
		{48000, 8000, 1, 1}, {8000, 48000, 1, 1}, {44100, 48000, 1, 1}, {48000, 44100, 1, 1},
		{16000, 48000, 2, 1}, {48000, 16000, 1, 2}, {24000, 32000, 2, 2}, {16000, 16000, 2, 1},
	} {
		in, out, inCh, outCh := pair[0], pair[1], pair[2], pair[3]
		t.Run(fmt.Sprintf("%d-%dch_to_%d-%dch", in, inCh, out, outCh), func(t *testing.T) {
			signal := make([]int16, in/2*inCh) // 0.5 s
			for i := range signal {
				signal[i] = int16(rng.IntN(40000) - 20000)
			}
			r, err := NewResampler(in, out, inCh, outCh)
			require.NoError(t, err)
			want := r.Process(nil, signal)
			require.Len(t, want, out/2*outCh)

			chunkings := map[string]func() int{
				"random": func() int { return 1 + rng.IntN(700) },
				"20 ms":  func() int { return in / 50 },
				"1":      func() int { return 1 },
			}
			for name, next := range chunkings {
				r.Reset()
				var got []int16
				for rest := signal; len(rest) > 0; {
					n := min(next()*inCh, len(rest))
					before := len(got)
					predicted := r.OutputSamples(n / inCh)
					got = r.Process(got, rest[:n])
					require.Equal(t, predicted*outCh, len(got)-before, "OutputSamples predicts Process")
					if name == "20 ms" {
						require.Equal(t, out/50*outCh, len(got)-before, "20 ms in, 20 ms out")
					}
					rest = rest[n:]
				}
				assert.Equal(t, want, got, "chunks of %s", name)
			}
		})
	}
}

func TestResamplerChannels(t *testing.T) {
	left, right := sine(16000, 440, 0.5), sine(16000, 1000, 0.5)
	stereo := make([]int16, 2*len(left))
	for i := range left {
		stereo[2*i], stereo[2*i+1] = left[i], right[i]
	}
	split := func(s []int16) (l, r []int16) {
		for i := 0; i+1 < len(s); i += 2 {
			l, r = append(l, s[i]), append(r, s[i+1])
		}
		return l, r
	}

	for _, out := range []int{16000, 48000} {
		r, err := NewResampler(16000, out, 2, 2)
		require.NoError(t, err)
		l, rr := split(r.Process(nil, stereo))
		assert.InDelta(t, 0, levelDB(l, out, 440), 1, "left keeps its tone at %d Hz", out)
		assert.Less(t, levelDB(l, out, 1000), -60.0, "left has nothing of the right at %d Hz", out)
		assert.InDelta(t, 0, levelDB(rr, out, 1000), 1, "right keeps its tone at %d Hz", out)
		assert.Less(t, levelDB(rr, out, 440), -60.0)

		r, err = NewResampler(16000, out, 2, 1)
		require.NoError(t, err)
		mono := r.Process(nil, stereo)
		require.Len(t, mono, out/2)
		assert.InDelta(t, -6, levelDB(mono, out, 440), 0.5, "stereo to mono is the mean of the channels")
		assert.InDelta(t, -6, levelDB(mono, out, 1000), 0.5)

		r, err = NewResampler(16000, out, 1, 2)
		require.NoError(t, err)
		l, rr = split(r.Process(nil, left))
		assert.Equal(t, l, rr, "mono to stereo copies the channel")
		assert.InDelta(t, 0, levelDB(l, out, 440), 1)
	}
	r, err := NewResampler(8000, 8000, 2, 2)
	require.NoError(t, err)
	assert.Equal(t, []int16{1, 2, 3, 4}, r.Process(nil, []int16{1, 2, 3, 4, 5}), "a trailing half sample frame is ignored")
	assert.Zero(t, r.Delay())
}

func TestResamplerClipsAndRounds(t *testing.T) {
	square := make([]int16, 4800)
	for i := range square {
		square[i] = math.MaxInt16
		if (i/24)%2 == 1 {
			square[i] = math.MinInt16
		}
	}
	out := resample(t, square, 48000, 16000) // the filter's ringing overshoots full scale
	var clipped int
	for _, v := range out {
		if v == math.MaxInt16 || v == math.MinInt16 {
			clipped++
		}
	}
	assert.Positive(t, clipped, "overshoot is clipped, not wrapped around")
	dc := make([]int16, 4800)
	for i := range dc {
		dc[i] = 1234
	}
	out = resample(t, dc, 48000, 44100)
	for _, v := range out[len(out)/2:] {
		require.Equal(t, int16(1234), v, "DC passes exactly")
	}
}

func TestNewResamplerRejectsBadFormats(t *testing.T) {
	for _, c := range [][4]int{
		{0, 8000, 1, 1}, {8000, 4000, 1, 1}, {8000, 384000, 1, 1}, {8000, 16000, 0, 1}, {8000, 16000, 1, 3},
		{44101, 48000, 1, 1}, // 48000/44101 cannot be reduced
	} {
		_, err := NewResampler(c[0], c[1], c[2], c[3])
		assert.Error(t, err, "%v", c)
	}
	for _, c := range [][2]int{{11025, 48000}, {22050, 8000}, {12000, 44100}, {192000, 8000}} {
		r, err := NewResampler(c[0], c[1], 1, 1)
		require.NoError(t, err, "%v", c)
		assert.Positive(t, r.Delay())
		assert.Less(t, r.Delay().Seconds(), 0.003, "the filter delays by under 3 ms")
	}
}

// BenchmarkResample converts one 20 ms mono frame.
func BenchmarkResample(b *testing.B) {
	for _, pair := range [][2]int{
		{8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000}, {44100, 48000}, {8000, 16000},
	} {
		b.Run(fmt.Sprintf("%dk_to_%dk", pair[0]/1000, pair[1]/1000), func(b *testing.B) {
			r, err := NewResampler(pair[0], pair[1], 1, 1)
			require.NoError(b, err)
			in := sine(pair[0], 440, 0.02)
			out := make([]int16, 0, pair[1]/50)
			b.ReportAllocs()
			for b.Loop() {
				out = r.Process(out[:0], in)
			}
		})
	}
	b.Run("48k_stereo_to_16k_mono", func(b *testing.B) {
		r, err := NewResampler(48000, 16000, 2, 1)
		require.NoError(b, err)
		in := make([]int16, 1920)
		out := make([]int16, 0, 320)
		b.ReportAllocs()
		for b.Loop() {
			out = r.Process(out[:0], in)
		}
	})
}

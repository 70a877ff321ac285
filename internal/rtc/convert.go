package rtc

import "github.com/sinch-rtc-go/sinch/internal/dsp"

// converter converts 20 ms frames of PCM between formats (sample rate and
// channels) with a dsp.Resampler, which it keeps while the formats stay the
// same (so its filter state carries over from frame to frame).
type converter struct {
	r                     *dsp.Resampler
	inRate, inCh, outRate int
	outCh                 int
	buf                   []int16
}

// convert returns pcm, 20 ms at inRate Hz with inCh channels, as 20 ms at
// outRate with outCh channels: pcm itself when the formats are equal,
// silence when no resampler converts them (a format the caller should
// have refused).
func (c *converter) convert(pcm []int16, inRate, inCh, outRate, outCh int) []int16 {
	if inRate == outRate && inCh == outCh {
		return pcm
	}
	if c.r == nil || c.inRate != inRate || c.inCh != inCh || c.outRate != outRate || c.outCh != outCh {
		r, err := dsp.NewResampler(inRate, outRate, inCh, outCh)
		if err != nil {
			c.r = nil
			c.buf = append(c.buf[:0], make([]int16, outRate/50*outCh)...)
			return c.buf
		}
		c.r, c.inRate, c.inCh, c.outRate, c.outCh = r, inRate, inCh, outRate, outCh
	}
	c.buf = c.r.Process(c.buf[:0], pcm)
	return c.buf
}

// validFormat reports whether rate and channels describe a format the
// pipelines convert: 8 to 48 kHz, a whole number of samples per 20 ms,
// mono or stereo.
func validFormat(rate, channels int) bool {
	return rate >= 8000 && rate <= 48000 && rate%50 == 0 && (channels == 1 || channels == 2)
}

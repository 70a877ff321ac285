package rtc

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
)

// toneFrames returns frames 20 ms frames of a sine of freqHz at amplitude
// (full scale 1) sampled at rate, interleaved over channels, with the phase
// continuing across frames.
func toneFrames(rate, channels, frames int, freqHz, amplitude float64) [][]int16 {
	n := rate / 50
	out := make([][]int16, frames)
	var k int
	for f := range out {
		out[f] = make([]int16, n*channels)
		for i := range n {
			v := int16(math.Round(amplitude * 32767 * math.Sin(2*math.Pi*freqHz*float64(k)/float64(rate))))
			k++
			for c := range channels {
				out[f][i*channels+c] = v
			}
		}
	}
	return out
}

// channel returns channel c of interleaved samples.
func channel(samples []int16, channels, c int) []int16 {
	out := make([]int16, 0, len(samples)/channels)
	for i := c; i < len(samples); i += channels {
		out = append(out, samples[i])
	}
	return out
}

// toneLevel returns the peak amplitude (full scale 1) of the component of
// samples at freqHz, from its Goertzel power (A²/4).
func toneLevel(samples []int16, rate int, freqHz float64) float64 {
	return 2 * math.Sqrt(audio.Goertzel(samples, rate, freqHz)) / 32767
}

func dB(ratio float64) float64 { return 20 * math.Log10(ratio) }

// roundTrip encodes frames and decodes every packet, returning the decoded
// audio.
func roundTrip(t *testing.T, cfg OpusEncoderConfig, decRate, decChannels int, frames [][]int16) []int16 {
	t.Helper()
	enc, err := NewOpusEncoder(cfg)
	require.NoError(t, err)
	dec, err := NewOpusDecoder(decRate, decChannels)
	require.NoError(t, err)
	var pcm []int16
	var pkt []byte
	for _, f := range frames {
		pkt, err = enc.Encode(pkt[:0], f)
		require.NoError(t, err)
		if len(pkt) == 0 {
			continue
		}
		pcm, err = dec.Decode(pcm, pkt)
		require.NoError(t, err)
	}
	return pcm
}

func TestOpusTonesKeepTheirFrequencyAndLevel(t *testing.T) {
	cases := []struct {
		name        string
		cfg         OpusEncoderConfig
		decRate     int
		decChannels int
		freq        float64
		others      []float64
	}{
		{"440 Hz mono 48k", OpusEncoderConfig{}, 48000, 1, 440, []float64{300, 880, 1000}},
		{"6 kHz mono 48k", OpusEncoderConfig{}, 48000, 1, 6000, []float64{2000, 4000, 5000, 7000}},
		{"6 kHz stereo 48k", OpusEncoderConfig{Channels: 2}, 48000, 2, 6000, []float64{2000, 4000, 5000, 7000}},
		{"6 kHz from 16k, decoded at 16k", OpusEncoderConfig{SampleRate: 16000}, 16000, 1, 6000, []float64{2000, 4000, 5000, 7000}},
		{"440 Hz mono decoded at 8k", OpusEncoderConfig{}, 8000, 1, 440, []float64{300, 880, 1000}},
		{"440 Hz with FEC and DTX", OpusEncoderConfig{FEC: true, DTX: true}, 48000, 1, 440, []float64{300, 880, 1000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.cfg.SampleRate
			if rate == 0 {
				rate = 48000
			}
			channels := max(tc.cfg.Channels, 1)
			const amplitude = 0.3
			pcm := roundTrip(t, tc.cfg, tc.decRate, tc.decChannels, toneFrames(rate, channels, 50, tc.freq, amplitude))
			require.Len(t, pcm, 50*tc.decRate/50*tc.decChannels, "one 20 ms frame out per frame in")
			for c := range tc.decChannels {
				steady := channel(pcm, tc.decChannels, c)[tc.decRate/10:] // past the codec's start-up
				level := toneLevel(steady, tc.decRate, tc.freq)
				assert.InDelta(t, 0, dB(level/amplitude), 1, "level of the tone on channel %d (dB off)", c)
				for _, f := range tc.others {
					assert.Less(t, toneLevel(steady, tc.decRate, f), level/100, "%v Hz is 40 dB under the tone on channel %d", f, c)
				}
			}
		})
	}
}

func TestOpusEncoderRejectsBadSettings(t *testing.T) {
	for _, cfg := range []OpusEncoderConfig{
		{SampleRate: 44100},
		{Channels: 3},
		{Bitrate: 100},
		{Bitrate: 1_000_000},
		{Complexity: 11},
		{Complexity: -1},
		{PacketLoss: 101},
	} {
		_, err := NewOpusEncoder(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	enc, err := NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	_, err = enc.Encode(nil, make([]int16, 959))
	assert.ErrorContains(t, err, "960 samples")
	assert.Error(t, enc.SetBitrate(1))
	assert.Error(t, enc.SetPacketLoss(-1))
	assert.NoError(t, enc.SetBitrate(64000))
	assert.NoError(t, enc.SetPacketLoss(5))

	_, err = NewOpusDecoder(44100, 1)
	assert.Error(t, err)
	_, err = NewOpusDecoder(48000, 0)
	assert.Error(t, err)
}

func TestOpusDTXSendsNothingDuringSilence(t *testing.T) {
	enc, err := NewOpusEncoder(OpusEncoderConfig{DTX: true})
	require.NoError(t, err)
	tone := toneFrames(48000, 1, 100, 440, 0.3)
	silence := make([]int16, 960)
	var pkt []byte
	for _, f := range tone[:25] {
		pkt, err = enc.Encode(pkt[:0], f)
		require.NoError(t, err)
		require.NotEmpty(t, pkt, "speech is always sent")
	}
	sent := 0
	for range 25 { // 500 ms of silence
		pkt, err = enc.Encode(pkt[:0], silence)
		require.NoError(t, err)
		if len(pkt) > 0 {
			sent++
		}
	}
	assert.Less(t, sent, 15, "most silent frames send no packet")
	pkt, err = enc.Encode(pkt[:0], tone[30])
	require.NoError(t, err)
	pkt, err = enc.Encode(pkt[:0], tone[31])
	require.NoError(t, err)
	assert.Greater(t, len(pkt), 10, "sound is sent again as soon as it returns")

	enc, err = NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	for range 25 {
		pkt, err = enc.Encode(pkt[:0], silence)
		require.NoError(t, err)
	}
	assert.NotEmpty(t, pkt, "without DTX, silence is sent")
}

// TestOpusFECRecoversALostFrame loses the frame where a tone changes from
// 440 to 880 Hz: from the next packet's redundancy, the decoder recovers
// the 880 Hz; from packet loss concealment alone it could only extend the
// 440 Hz it had.
func TestOpusFECRecoversALostFrame(t *testing.T) {
	low := toneFrames(48000, 1, 20, 440, 0.3)
	high := toneFrames(48000, 1, 20, 880, 0.3)
	frames := append(low[:10:10], high[10:]...)
	const lost = 10

	enc, err := NewOpusEncoder(OpusEncoderConfig{FEC: true, PacketLoss: 20})
	require.NoError(t, err)
	packets := make([][]byte, len(frames))
	for i, f := range frames {
		packets[i], err = enc.Encode(nil, f)
		require.NoError(t, err)
	}

	conceal := func(withFEC bool) ([]int16, bool) {
		dec, err := NewOpusDecoder(48000, 1)
		require.NoError(t, err)
		for _, p := range packets[:lost] {
			_, err = dec.Decode(nil, p)
			require.NoError(t, err)
		}
		var next []byte
		if withFEC {
			next = packets[lost+1]
		}
		pcm, recovered, err := dec.Conceal(nil, 960, next)
		require.NoError(t, err)
		require.Len(t, pcm, 960)
		after, err := dec.Decode(nil, packets[lost+1])
		require.NoError(t, err, "the next packet decodes normally afterwards")
		require.Len(t, after, 960)
		return pcm, recovered
	}

	fec, recovered := conceal(true)
	assert.True(t, recovered, "the packet after the loss carries FEC")
	// The codec's delay (6.5 ms) puts the change from 440 to 880 Hz a
	// third of the way into the decoded frame.
	assert.Greater(t, toneLevel(fec, 48000, 880), 2*toneLevel(fec, 48000, 440), "FEC restores the 880 Hz of the lost frame")

	plc, recovered := conceal(false)
	assert.False(t, recovered)
	assert.Greater(t, toneLevel(plc, 48000, 440), 3*toneLevel(plc, 48000, 880), "PLC extends the 440 Hz heard before")
	assert.Greater(t, toneLevel(fec, 48000, 880), 10*toneLevel(plc, 48000, 880), "only FEC has the 880 Hz")
	assert.Greater(t, audio.RMS(plc), 1000.0, "PLC is not silence right after the loss")

	// Without FEC in the stream, Conceal with next falls back to PLC.
	encNoFEC, err := NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	var next []byte
	for _, f := range frames[:lost] {
		p, err := encNoFEC.Encode(nil, f)
		require.NoError(t, err)
		_, err = dec.Decode(nil, p)
		require.NoError(t, err)
	}
	_, _ = encNoFEC.Encode(nil, frames[lost])
	next, err = encNoFEC.Encode(nil, frames[lost+1])
	require.NoError(t, err)
	pcm, recovered, err := dec.Conceal(nil, 960, next)
	require.NoError(t, err)
	assert.False(t, recovered)
	assert.Len(t, pcm, 960)
}

func TestOpusConcealmentFadesOut(t *testing.T) {
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	enc, err := NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	for _, f := range toneFrames(48000, 1, 10, 440, 0.3) {
		p, err := enc.Encode(nil, f)
		require.NoError(t, err)
		_, err = dec.Decode(nil, p)
		require.NoError(t, err)
	}
	var levels []float64
	for range 20 {
		pcm, _, err := dec.Conceal(nil, 960, nil)
		require.NoError(t, err)
		require.Len(t, pcm, 960)
		levels = append(levels, audio.RMS(pcm))
	}
	assert.Greater(t, levels[0], 1000.0, "the first concealed frame continues the sound")
	assert.Less(t, levels[19], levels[0]/10, "a long loss fades out")

	for _, n := range []int{0, -960, 100, 48000} {
		_, _, err := dec.Conceal(nil, n, nil)
		assert.Error(t, err, "conceal %d samples", n)
	}
	cold, err := NewOpusDecoder(16000, 2)
	require.NoError(t, err)
	pcm, _, err := cold.Conceal(nil, 320, nil)
	require.NoError(t, err)
	assert.Len(t, pcm, 640, "a decoder that has decoded nothing conceals with silence")
}

func TestOpusDecoderRejectsBadPackets(t *testing.T) {
	enc, err := NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	frames := toneFrames(48000, 1, 3, 440, 0.3)
	good, err := enc.Encode(nil, frames[0])
	require.NoError(t, err)
	good2, err := enc.Encode(nil, frames[1])
	require.NoError(t, err)

	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	bad := map[string][]byte{
		"empty":                        {},
		"code 1 with an odd length":    {0x01, 1, 2, 3},
		"code 2 with a length past it": {0x02, 250, 1},
		"code 3 without a count":       {0x03},
		"code 3 with no frames":        {0x03, 0x00},
		"code 3 with 49 frames":        {0x03, 49},
		"code 3 over 120 ms":           {0x1b<<3 | 3, 7, 0, 0, 0, 0, 0, 0, 0}, // 7 x 20 ms
		"too large":                    append([]byte{good[0]}, make([]byte, 5000)...),
	}
	for name, p := range bad {
		pcm, err := dec.Decode(nil, p)
		assert.Error(t, err, name)
		assert.Empty(t, pcm, name)
	}
	pcm, err := dec.Decode(nil, good2)
	require.NoError(t, err, "the decoder still decodes after bad packets")
	assert.Len(t, pcm, 960)
	_ = good
}

func TestOpusPacketSamples(t *testing.T) {
	enc, err := NewOpusEncoder(OpusEncoderConfig{})
	require.NoError(t, err)
	p, err := enc.Encode(nil, toneFrames(48000, 1, 1, 440, 0.3)[0])
	require.NoError(t, err)
	for rate, want := range map[int]int{48000: 960, 16000: 320, 8000: 160} {
		n, err := OpusPacketSamples(p, rate)
		require.NoError(t, err)
		assert.Equal(t, want, n, "at %d Hz", rate)
	}
	// Config 19 (CELT NB 20 ms) code 1: two 20 ms frames.
	n, err := OpusPacketSamples([]byte{19<<3 | 1, 0, 0}, 48000)
	require.NoError(t, err)
	assert.Equal(t, 1920, n)
	// Config 16 (CELT NB 2.5 ms) code 3 with 48 frames: 120 ms.
	n, err = OpusPacketSamples([]byte{16<<3 | 3, 48}, 48000)
	require.NoError(t, err)
	assert.Equal(t, 5760, n)
	for _, p := range [][]byte{nil, {3}, {3, 0}, {19<<3 | 3, 7}} {
		_, err := OpusPacketSamples(p, 48000)
		assert.Error(t, err, "%x", p)
	}
}

// opusSeeds are real packets of several modes, and mangled copies of them.
func opusSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, cfg := range []OpusEncoderConfig{
		{}, {Channels: 2}, {SampleRate: 8000, Bitrate: 8000}, {FEC: true}, {Bitrate: 128000, Complexity: 10},
	} {
		enc, err := NewOpusEncoder(cfg)
		require.NoError(t, err)
		rate := cfg.SampleRate
		if rate == 0 {
			rate = 48000
		}
		for i, f := range toneFrames(rate, max(cfg.Channels, 1), 4, 1000, 0.5) {
			p, err := enc.Encode(nil, f)
			require.NoError(t, err)
			if i == 3 {
				seeds = append(seeds, p, p[:len(p)/2], append([]byte{p[0] ^ 0x80}, p[1:]...))
			}
		}
	}
	return append(seeds, []byte{0xff}, []byte{0xfc, 0xff, 0xff, 0xff}, []byte{0x03, 0x30}, []byte{0x0b, 0x81, 0x05})
}

// FuzzOpusDecoder feeds arbitrary packets, and arbitrary FEC packets, to a
// decoder that has state: Decode returns an error or at most 120 ms of
// audio whose length the TOC predicts; Conceal always conceals one frame;
// nothing panics.
func FuzzOpusDecoder(f *testing.F) {
	seeds := opusSeeds(f)
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
	}
	dec, err := NewOpusDecoder(48000, 2)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, payload, next []byte) {
		pcm, err := dec.Decode(nil, payload)
		if err == nil {
			want, perr := OpusPacketSamples(payload, 48000)
			require.NoError(t, perr, "a packet that decodes has a valid TOC")
			require.Len(t, pcm, 2*want)
		} else {
			require.Empty(t, pcm)
		}
		pcm, _, err = dec.Conceal(nil, 960, next)
		require.NoError(t, err)
		require.Len(t, pcm, 2*960)
	})
}

func BenchmarkOpusEncode(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  OpusEncoderConfig
	}{
		{"mono48k/complexity1/fec", OpusEncoderConfig{Complexity: 1, FEC: true}},
		{"mono48k/complexity5/fec", OpusEncoderConfig{FEC: true}},
		{"mono48k/complexity5", OpusEncoderConfig{}},
		{"mono48k/complexity9/fec", OpusEncoderConfig{Complexity: 9, FEC: true}},
		{"mono16k/complexity5/fec", OpusEncoderConfig{SampleRate: 16000, FEC: true}},
		{"stereo48k/complexity5/fec", OpusEncoderConfig{Channels: 2, FEC: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			enc, err := NewOpusEncoder(c.cfg)
			require.NoError(b, err)
			rate := c.cfg.SampleRate
			if rate == 0 {
				rate = 48000
			}
			frames := toneFrames(rate, max(c.cfg.Channels, 1), 50, 440, 0.3)
			pkt := make([]byte, 0, maxOpusPacketSize)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if pkt, err = enc.Encode(pkt[:0], frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpusDecode(b *testing.B) {
	enc, err := NewOpusEncoder(OpusEncoderConfig{FEC: true})
	require.NoError(b, err)
	var packets [][]byte
	for _, f := range toneFrames(48000, 1, 50, 440, 0.3) {
		p, err := enc.Encode(nil, f)
		require.NoError(b, err)
		packets = append(packets, p)
	}
	for _, rate := range []int{48000, 16000, 8000} {
		b.Run("mono"+strconv.Itoa(rate/1000)+"k", func(b *testing.B) {
			dec, err := NewOpusDecoder(rate, 1)
			require.NoError(b, err)
			pcm := make([]int16, 0, 960)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if pcm, err = dec.Decode(pcm[:0], packets[i%len(packets)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// One frame in four lost, concealed with FEC from the next packet or
	// with PLC alone; the ns/op are per frame, lost or not.
	for _, fec := range []bool{true, false} {
		b.Run("lossy/fec="+strconv.FormatBool(fec), func(b *testing.B) {
			dec, err := NewOpusDecoder(48000, 1)
			require.NoError(b, err)
			pcm := make([]int16, 0, 960)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%4 == 0 {
					var next []byte
					if fec {
						next = packets[(i+1)%len(packets)]
					}
					pcm, _, err = dec.Conceal(pcm[:0], 960, next)
				} else {
					pcm, err = dec.Decode(pcm[:0], packets[i%len(packets)])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSenderOpusComplexityIsChecked(t *testing.T) {
	s := NewAudioSender(NewAudioTrack("audio", "s"), func([]int16) {})
	for _, n := range []int{0, 1, 5, 10} {
		assert.NoError(t, s.SetOpusComplexity(n), "%d", n)
	}
	for _, n := range []int{-1, 11} {
		assert.ErrorContains(t, s.SetOpusComplexity(n), "out of range", "%d", n)
	}
}

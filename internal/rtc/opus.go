package rtc

import (
	"errors"
	"fmt"
	"math"

	"github.com/thesyncim/gopus"
)

// OpusClockRate is the RTP clock rate of Opus (RFC 7587 section 4.1): 48
// kHz whatever the sample rate of the audio, so a 20 ms packet advances the
// RTP timestamp by 960.
const OpusClockRate = 48000

// Defaults of [OpusEncoderConfig].
const (
	// DefaultOpusBitrate is the bitrate of a mono encoder: 32 kbit/s, the
	// default of libwebrtc for speech, carries wideband and super-wideband
	// speech. A stereo encoder defaults to twice as much.
	DefaultOpusBitrate = 32000
	// DefaultOpusComplexity trades a little quality for less CPU than
	// libopus's default of 9 (see docs/media.md for the measured cost).
	DefaultOpusComplexity = 5
	// DefaultOpusPacketLoss is the loss rate, in percent, the encoder plans
	// its in-band FEC for when FEC is on and no rate is given.
	DefaultOpusPacketLoss = 10
)

// opusFrameMillis is the frame duration of the SDK's Opus encoder.
const opusFrameMillis = 20

// maxOpusPacketMillis is the longest audio one Opus packet can carry (RFC
// 6716 section 3.2.5).
const maxOpusPacketMillis = 120

// maxOpusPacketSize bounds the packets the encoder writes: 1275 bytes per
// frame is the most RFC 6716 allows for one 20 ms frame, plus the TOC.
const maxOpusPacketSize = 1276

// OpusEncoderConfig configures an [OpusEncoder]. The zero value is a 48 kHz
// mono speech encoder at 32 kbit/s without FEC or DTX.
type OpusEncoderConfig struct {
	// SampleRate is the rate, in Hz, of the PCM given to Encode: 8000,
	// 12000, 16000, 24000 or 48000; 0 means 48000. Opus encodes these rates
	// natively (no resampling); the RTP clock stays at 48 kHz.
	SampleRate int
	// Channels is 1 (mono) or 2 (interleaved stereo); 0 means 1.
	Channels int
	// Bitrate is the target in bit/s, 6000 to 510000; 0 means
	// DefaultOpusBitrate per channel.
	Bitrate int
	// Complexity is the encoder's effort, 1 (cheapest) to 10 (best); 0
	// means DefaultOpusComplexity.
	Complexity int
	// FEC makes the encoder add in-band forward error correction (LBRR):
	// each packet also carries a coarse copy of the previous frame, which
	// a decoder that lost that frame recovers with [OpusDecoder.Conceal].
	FEC bool
	// PacketLoss is the expected loss rate in percent (0 to 100) the FEC is
	// sized for; 0 with FEC means DefaultOpusPacketLoss. Update it from
	// the far end's reports with SetPacketLoss.
	PacketLoss int
	// DTX turns on discontinuous transmission: during silence the encoder
	// sends one 1-byte packet and then nothing (Encode appends nothing)
	// until sound returns, except a comfort-noise update every 400 ms.
	DTX bool
}

// OpusEncoder encodes 20 ms frames of 16-bit PCM into Opus packets. It is
// not safe for concurrent use.
type OpusEncoder struct {
	enc      *gopus.Encoder
	channels int
	frame    int // samples per channel in one frame
	inDTX    bool
	out      []byte
}

// NewOpusEncoder returns an encoder for cfg, or an error naming the setting
// that is out of range.
func NewOpusEncoder(cfg OpusEncoderConfig) (*OpusEncoder, error) {
	rate, channels := cfg.SampleRate, cfg.Channels
	if rate == 0 {
		rate = OpusClockRate
	}
	if channels == 0 {
		channels = 1
	}
	if !opusRate(rate) {
		return nil, fmt.Errorf("rtc: Opus sample rate %d Hz is not supported (use 8000, 12000, 16000, 24000 or 48000)", rate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("rtc: Opus channel count %d is not supported (use 1 or 2)", channels)
	}
	bitrate := cfg.Bitrate
	if bitrate == 0 {
		bitrate = DefaultOpusBitrate * channels
	}
	if bitrate < 6000 || bitrate > 510000 {
		return nil, fmt.Errorf("rtc: Opus bitrate %d bit/s is out of range (use 6000 to 510000)", bitrate)
	}
	complexity := cfg.Complexity
	if complexity == 0 {
		complexity = DefaultOpusComplexity
	}
	if complexity < 1 || complexity > 10 {
		return nil, fmt.Errorf("rtc: Opus complexity %d is out of range (use 1 to 10)", complexity)
	}
	loss := cfg.PacketLoss
	if loss == 0 && cfg.FEC {
		loss = DefaultOpusPacketLoss
	}
	if loss < 0 || loss > 100 {
		return nil, fmt.Errorf("rtc: Opus packet loss %d%% is out of range (use 0 to 100)", loss)
	}
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: rate, Channels: channels, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("rtc: creating the Opus encoder: %w", err)
	}
	if err := errors.Join(enc.SetBitrate(bitrate), enc.SetComplexity(complexity), enc.SetPacketLoss(loss)); err != nil {
		return nil, fmt.Errorf("rtc: configuring the Opus encoder: %w", err)
	}
	enc.SetFEC(cfg.FEC)
	enc.SetDTX(cfg.DTX)
	return &OpusEncoder{
		enc:      enc,
		channels: channels,
		frame:    rate * opusFrameMillis / 1000,
		out:      make([]byte, maxOpusPacketSize),
	}, nil
}

func opusRate(rate int) bool {
	switch rate {
	case 8000, 12000, 16000, 24000, 48000:
		return true
	}
	return false
}

// FrameSamples is the number of samples per channel Encode takes: 20 ms at
// the encoder's sample rate.
func (e *OpusEncoder) FrameSamples() int { return e.frame }

// Channels is the encoder's channel count.
func (e *OpusEncoder) Channels() int { return e.channels }

// SetBitrate changes the target bitrate, in bit/s (6000 to 510000), from the
// next frame on.
func (e *OpusEncoder) SetBitrate(bitrate int) error {
	if bitrate < 6000 || bitrate > 510000 {
		return fmt.Errorf("rtc: Opus bitrate %d bit/s is out of range (use 6000 to 510000)", bitrate)
	}
	return e.enc.SetBitrate(bitrate)
}

// SetPacketLoss changes the loss rate, in percent, the in-band FEC is sized
// for (usually the far end's reported loss).
func (e *OpusEncoder) SetPacketLoss(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("rtc: Opus packet loss %d%% is out of range (use 0 to 100)", percent)
	}
	return e.enc.SetPacketLoss(percent)
}

// Encode appends the Opus packet of one 20 ms frame to dst and returns the
// extended slice. pcm holds FrameSamples samples per channel, interleaved
// when stereo.
//
// With DTX, a frame that needs no packet appends nothing: the caller sends
// no packet and still advances the RTP timestamp by one frame. As libwebrtc
// does, the first 1-byte DTX packet of a silence is returned (it tells the
// decoder that silence begins) and the ones after it are not.
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm) != e.frame*e.channels {
		return dst, fmt.Errorf("rtc: an Opus frame needs %d samples, got %d", e.frame*e.channels, len(pcm))
	}
	n, err := e.enc.EncodeInt16(pcm, e.out)
	if err != nil {
		return dst, fmt.Errorf("rtc: encoding Opus: %w", err)
	}
	if n <= 2 { // a DTX (or, at start-up, empty) frame: TOC only
		if e.inDTX || n == 0 {
			return dst, nil
		}
		e.inDTX = true
	} else {
		e.inDTX = false
	}
	return append(dst, e.out[:n]...), nil
}

// OpusDecoder decodes Opus packets into 16-bit PCM and conceals lost ones.
// It is not safe for concurrent use.
type OpusDecoder struct {
	dec      *gopus.Decoder
	rate     int
	channels int
	pcm      []int16   // one packet at most: 120 ms
	float    []float32 // FEC output
}

// NewOpusDecoder returns a decoder producing PCM at sampleRate (8000, 12000,
// 16000, 24000 or 48000 Hz; Opus decodes natively at these) with channels
// channels (1 or 2; a stereo stream decodes to mono and a mono one to
// stereo as asked).
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	if !opusRate(sampleRate) {
		return nil, fmt.Errorf("rtc: Opus sample rate %d Hz is not supported (use 8000, 12000, 16000, 24000 or 48000)", sampleRate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("rtc: Opus channel count %d is not supported (use 1 or 2)", channels)
	}
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(sampleRate, channels))
	if err != nil {
		return nil, fmt.Errorf("rtc: creating the Opus decoder: %w", err)
	}
	maxSamples := sampleRate * maxOpusPacketMillis / 1000 * channels
	return &OpusDecoder{
		dec: dec, rate: sampleRate, channels: channels,
		pcm:   make([]int16, maxSamples),
		float: make([]float32, maxSamples),
	}, nil
}

// SampleRate is the rate of the PCM the decoder produces.
func (d *OpusDecoder) SampleRate() int { return d.rate }

// Channels is the channel count of the PCM the decoder produces.
func (d *OpusDecoder) Channels() int { return d.channels }

var errEmptyOpus = errors.New("rtc: empty Opus packet: conceal the frame instead")

// Decode appends all the samples of an Opus packet (interleaved when
// stereo: 20 ms is 960 samples per channel at 48 kHz) to dst and returns the
// extended slice. A packet the decoder rejects (corrupt, truncated, a TOC
// it does not accept, more than 120 ms) returns dst unchanged and an error:
// conceal the frame instead. Decode never panics on any input.
func (d *OpusDecoder) Decode(dst []int16, payload []byte) ([]int16, error) {
	if len(payload) == 0 {
		return dst, errEmptyOpus
	}
	n, err := d.dec.DecodeInt16(payload, d.pcm)
	if err != nil {
		return dst, fmt.Errorf("rtc: decoding Opus: %w", err)
	}
	return append(dst, d.pcm[:n*d.channels]...), nil
}

// Conceal appends samples samples per channel that stand for lost audio
// (a multiple of 2.5 ms, at most 120 ms; 20 ms is one usual frame) to dst.
// When next, the packet that follows the lost one, carries in-band FEC for
// it, the audio is decoded from that redundancy and recovered is true;
// otherwise (next nil, without FEC, or unreadable) it is the decoder's packet
// loss concealment, which extends the last audio and fades it out over
// successive losses. Decode next normally afterwards.
func (d *OpusDecoder) Conceal(dst []int16, samples int, next []byte) (out []int16, recovered bool, err error) {
	quantum := d.rate / 400
	if samples <= 0 || samples%quantum != 0 || samples > d.rate*maxOpusPacketMillis/1000 {
		return dst, false, fmt.Errorf("rtc: cannot conceal %d samples of Opus: use a multiple of %d up to %d", samples, quantum, d.rate*maxOpusPacketMillis/1000)
	}
	total := samples * d.channels
	if len(next) > 0 && gopus.PacketHasLBRR(next) {
		if n, err := d.dec.DecodeWithFEC(next, d.float[:total], true); err == nil && n == samples {
			return appendFloats(dst, d.float[:total]), true, nil
		}
	}
	// gopus v0.1.1's PLC of SILK and hybrid frames allocates about 13 kB
	// per call (internal/plc), which only a change upstream can avoid.
	n, err := d.dec.DecodeInt16(nil, d.pcm[:total])
	if err != nil {
		return dst, false, fmt.Errorf("rtc: concealing lost Opus audio: %w", err)
	}
	return append(dst, d.pcm[:n*d.channels]...), false, nil
}

// appendFloats appends samples of full scale ±1 to dst as 16-bit PCM.
func appendFloats(dst []int16, samples []float32) []int16 {
	for _, v := range samples {
		dst = append(dst, floatToInt16(v))
	}
	return dst
}

func floatToInt16(v float32) int16 {
	return int16(math.Round(float64(min(max(v*32768, math.MinInt16), math.MaxInt16))))
}

// OpusPacketSamples returns how many samples per channel at sampleRate an
// Opus packet decodes to, from its TOC byte and frame count (RFC 6716
// section 3.1), without decoding it. It fails for an empty packet, a code 3
// packet without its frame count, or more than 120 ms of audio.
func OpusPacketSamples(payload []byte, sampleRate int) (int, error) {
	if len(payload) == 0 {
		return 0, errEmptyOpus
	}
	frames := 1
	switch payload[0] & 0x3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(payload) < 2 {
			return 0, errors.New("rtc: Opus packet of code 3 without its frame count")
		}
		frames = int(payload[1] & 0x3f)
	}
	per48k := gopus.ParseTOC(payload[0]).FrameSize
	total := frames * per48k
	if frames == 0 || total > OpusClockRate*maxOpusPacketMillis/1000 {
		return 0, fmt.Errorf("rtc: Opus packet of %d frames of %d samples: 0 or over 120 ms", frames, per48k)
	}
	return total * sampleRate / OpusClockRate, nil
}

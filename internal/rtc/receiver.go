package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/jitter"
)

// maxPacketSize bounds an RTP packet read from a track; pion's receive MTU
// is below it.
const maxPacketSize = 1500

// playoutRate is the sample rate of the audio an AudioReceiver delivers.
const playoutRate = 8000

// AudioReceiver reads the RTP packets of a remote audio track (Opus or
// PCMU, the track's codec), puts them in a jitter buffer, and every 20 ms
// hands the next frame, decoded to 8 kHz linear PCM, to a callback: the
// frames come at an even pace, in order, and a lost or late packet is
// concealed (Opus: in-band FEC when the next packet carries it, else the
// decoder's PLC; PCMU: [PCMUConcealer]) so that the audio keeps its length.
// With OnDTMF, RFC 4733 telephone-events (read as they arrive, outside the
// jitter buffer) become DTMF keys; packets of other payload types (comfort
// noise) are skipped.
type AudioReceiver struct {
	track   *webrtc.TrackRemote
	format  func() (rate, channels int)
	onFrame func(frame []int16, rate, channels int, rtpTimestamp uint32)
	life    lifecycle
	level   atomic.Uint64 // math.Float64bits of the last decoded frame's level
	stats   *receiveStats

	opus      bool   // the track's codec is Opus, else PCMU
	audioType uint8  // its payload type
	clockRate uint32 // its RTP clock rate
	jb        *jitter.Buffer
	undecoded atomic.Uint64 // packets whose payload failed to decode: concealed

	dtmfType uint8
	onDTMF   func(key byte) // nil: telephone-events are skipped
}

// NewAudioReceiver returns a receiver of track. onFrame is called on a
// goroutine of Run's with 20 ms of audio (160 samples; more for a packet
// of a longer duration); the slice is reused after it returns.
func NewAudioReceiver(track *webrtc.TrackRemote, onFrame func(frame []int16)) *AudioReceiver {
	return NewAudioReceiverFunc(track, narrowband, func(frame []int16, _, _ int, _ uint32) { onFrame(frame) })
}

// NewAudioReceiverFunc is NewAudioReceiver for audio at the format format
// returns, asked for every frame: a sample rate from 8 to 48 kHz with a
// whole number of samples per 20 ms, mono or stereo (an invalid one means
// 8 kHz mono). onFrame gets each frame with the format it is in and the
// RTP timestamp of its first sample, in the codec's clock: a concealed
// frame has the timestamp of the slot it fills, an inserted one (the jitter
// buffer growing its delay) that of the frame it precedes. Opus
// decodes natively at 8, 12, 16, 24 and 48 kHz; other rates, and PCMU's
// 8 kHz to any other, go through a resampler.
func NewAudioReceiverFunc(track *webrtc.TrackRemote, format func() (rate, channels int), onFrame func(frame []int16, rate, channels int, rtpTimestamp uint32)) *AudioReceiver {
	return newAudioReceiver(track, track.Codec(), format, onFrame)
}

func narrowband() (int, int) { return 8000, 1 }

func newAudioReceiver(track *webrtc.TrackRemote, codec webrtc.RTPCodecParameters, format func() (int, int), onFrame func(frame []int16, rate, channels int, rtpTimestamp uint32)) *AudioReceiver {
	r := &AudioReceiver{track: track, format: format, onFrame: onFrame, life: newLifecycle()}
	r.useCodec(codec)
	return r
}

// useCodec sets up the receiver for the audio codec codec.
func (r *AudioReceiver) useCodec(codec webrtc.RTPCodecParameters) {
	r.opus = strings.EqualFold(codec.MimeType, webrtc.MimeTypeOpus)
	r.audioType, r.clockRate = uint8(codec.PayloadType), codec.ClockRate
	if !r.opus {
		r.audioType, r.clockRate = PayloadTypePCMU, PCMUCodec().ClockRate
		if strings.EqualFold(codec.MimeType, webrtc.MimeTypePCMU) {
			r.audioType = uint8(codec.PayloadType)
		}
	}
	r.stats = newReceiveStats(r.clockRate)
	// The configuration is valid for both clock rates: New cannot fail.
	r.jb, _ = jitter.New(jitter.Config{ClockRate: int(r.clockRate), MaxPayload: maxPacketSize})
}

// SetCodecs tells the receiver the codecs negotiated for the track (its
// RTPReceiver's parameters), in preference order; call it before Run and
// OnDTMF. It matters when the track's first packet, which names the
// track's codec, was a telephone-event: the audio codec is then the first
// Opus or PCMU among codecs whose clock rate is that event's.
func (r *AudioReceiver) SetCodecs(codecs []webrtc.RTPCodecParameters) {
	if r.track == nil {
		return
	}
	c := r.track.Codec()
	if !strings.EqualFold(c.MimeType, MimeTypeTelephoneEvent) {
		return
	}
	for _, n := range codecs {
		if n.ClockRate == c.ClockRate && (strings.EqualFold(n.MimeType, webrtc.MimeTypeOpus) || strings.EqualFold(n.MimeType, webrtc.MimeTypePCMU)) {
			r.useCodec(n)
			return
		}
	}
}

// OnDTMF makes Run detect the DTMF keys of telephone-event packets of
// payloadType (see [TelephoneEventPayloadTypeAt]) and call f once per key
// press, on the goroutine running Run. Call it before Run.
func (r *AudioReceiver) OnDTMF(payloadType uint8, f func(key byte)) {
	r.dtmfType, r.onDTMF = payloadType, f
}

// ClockRate is the RTP clock rate of the track's codec.
func (r *AudioReceiver) ClockRate() uint32 { return r.clockRate }

// Level returns the audio level of the last frame decoded from a packet,
// from 0 (silence) to 1 (full scale): its RMS over full scale. Concealed
// frames do not change it.
func (r *AudioReceiver) Level() float64 {
	return math.Float64frombits(r.level.Load())
}

// Stats returns the statistics of the packets received so far, audio and
// telephone-events alike, and of the jitter buffer. It is safe to call at
// any time, concurrently with Run.
func (r *AudioReceiver) Stats() ReceiveStats {
	s := r.stats.snapshot()
	js := r.jb.Stats()
	s.TargetDelay = js.TargetDelay
	s.Concealed = js.Concealed + js.Inserted + r.undecoded.Load()
	s.Late = js.Late
	return s
}

// Run reads the track until it ends, ctx is done or Close is called, and
// then returns nil. It returns an error when reading fails otherwise, or
// when it is called twice or after Close. It plays the audio out on a
// goroutine of its own, which has returned when Run returns.
func (r *AudioReceiver) Run(ctx context.Context) error {
	if err := r.life.begin(); err != nil {
		return err
	}
	defer r.life.end()
	defer context.AfterFunc(ctx, r.interrupt)()

	p, err := newPlayout(r)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.run(stop)
	}()
	defer wg.Wait()
	defer close(stop)

	buf := make([]byte, maxPacketSize)
	var pkt rtp.Packet
	dtmf := NewDTMFDetector()
	for {
		n, _, err := r.track.Read(buf)
		arrival := time.Now()
		switch {
		case r.life.stopped() || ctx.Err() != nil ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return nil
		case err != nil && n == 0:
			return fmt.Errorf("rtc: reading audio: %w", err)
		}
		// An error with bytes: a payload type the media engine does not
		// know, counted and otherwise skipped.
		r.receive(buf[:n], err == nil, arrival, &pkt, dtmf)
	}
}

// receive handles the bytes of one RTP packet: parse, count, then audio
// into the jitter buffer or a telephone-event to the DTMF detector.
func (r *AudioReceiver) receive(raw []byte, known bool, arrival time.Time, pkt *rtp.Packet, dtmf *DTMFDetector) {
	if pkt.Unmarshal(raw) != nil {
		return
	}
	r.stats.add(&pkt.Header, len(pkt.Payload), arrival)
	if !known {
		return
	}
	switch {
	case pkt.PayloadType == r.audioType && len(pkt.Payload) > 0:
		r.push(pkt, arrival)
	case r.onDTMF != nil && pkt.PayloadType == r.dtmfType:
		if key, ok := dtmf.Packet(pkt); ok {
			r.onDTMF(key)
		}
	}
}

// push gives an audio packet to the jitter buffer, which drops and counts
// the late, duplicate and oversized ones.
func (r *AudioReceiver) push(pkt *rtp.Packet, arrival time.Time) {
	jp := jitter.Packet{Sequence: pkt.SequenceNumber, Timestamp: pkt.Timestamp, Payload: pkt.Payload, Arrival: arrival}
	if r.opus {
		// A TOC the decoder rejects plays as one frame, concealed.
		if n, err := OpusPacketSamples(pkt.Payload, OpusClockRate); err == nil {
			jp.Duration = uint32(n)
		}
	} else {
		jp.Duration = uint32(len(pkt.Payload))
	}
	_ = r.jb.Push(jp) // errors are counted in the buffer's Stats
}

// playout decodes and conceals the frames of a receiver's jitter buffer.
// PCMU is decoded and concealed at 8 kHz mono, Opus at the output's rate
// when Opus has it natively (else 48 kHz) and channel count; a converter
// takes that to the output's format.
type playout struct {
	r    *AudioReceiver
	opus *OpusDecoder // nil for PCMU, and until the first Opus frame
	pcmu PCMUConcealer
	pcm  []int16
	conv converter
}

func newPlayout(r *AudioReceiver) (*playout, error) {
	p := &playout{r: r, pcm: make([]int16, 0, OpusClockRate*maxOpusPacketMillis/1000*2)}
	if r.opus {
		if err := p.opusAt(playoutRate, 1); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// opusAt makes the Opus decoder decode at rate with channels.
func (p *playout) opusAt(rate, channels int) error {
	if p.opus != nil && p.opus.SampleRate() == rate && p.opus.Channels() == channels {
		return nil
	}
	dec, err := NewOpusDecoder(rate, channels)
	if err != nil {
		return err
	}
	p.opus = dec
	return nil
}

// run pops the frames due every 20 ms until stop is closed.
func (p *playout) run(stop <-chan struct{}) {
	tick := time.NewTicker(frameDuration)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for {
			f, ok := p.r.jb.Pop(time.Now())
			if !ok {
				break
			}
			p.play(&f)
		}
	}
}

// play decodes or conceals one frame and delivers it.
func (p *playout) play(f *jitter.Frame) {
	rate, channels := p.r.format()
	if !validFormat(rate, channels) {
		rate, channels = narrowband()
	}
	decRate, decCh := playoutRate, 1
	if p.r.opus {
		decRate, decCh = OpusClockRate, channels
		if opusRate(rate) {
			decRate = rate
		}
		// The rates and channel counts are valid: this cannot fail.
		_ = p.opusAt(decRate, decCh)
	}
	samples := int(uint64(f.Duration) * uint64(decRate) / uint64(p.r.clockRate))
	pcm, decoded := p.pcm[:0], false
	if f.Kind == jitter.KindPacket {
		pcm, decoded = p.decode(pcm, f.Payload)
		if decoded && len(pcm) != samples*decCh { // not the duration its TOC says
			pcm, decoded = pcm[:0], false
		}
		if !decoded {
			p.r.undecoded.Add(1)
		}
	}
	if !decoded {
		pcm = p.conceal(pcm, samples*decCh, f)
	} else {
		p.r.level.Store(math.Float64bits(frameLevel(pcm)))
	}
	p.pcm = pcm
	p.r.onFrame(p.convertAll(pcm, decRate, decCh, rate, channels), rate, channels, f.Timestamp)
}

// convertAll converts pcm frame by frame (20 ms at a time).
func (p *playout) convertAll(pcm []int16, inRate, inCh, outRate, outCh int) []int16 {
	if inRate == outRate && inCh == outCh {
		return pcm
	}
	step := inRate / 50 * inCh
	if len(pcm) <= step {
		return p.conv.convert(pcm, inRate, inCh, outRate, outCh)
	}
	var out []int16
	for i := 0; i+step <= len(pcm); i += step {
		out = append(out, p.conv.convert(pcm[i:i+step], inRate, inCh, outRate, outCh)...)
	}
	return out
}

// decode appends the audio of payload to dst; it reports false when the
// payload does not decode.
func (p *playout) decode(dst []int16, payload []byte) ([]int16, bool) {
	if p.opus == nil || !p.r.opus {
		dst = DecodePCMU(dst, payload)
		p.pcmu.Heard(dst)
		return dst, true
	}
	out, err := p.opus.Decode(dst, payload)
	return out, err == nil
}

// conceal appends total samples (all channels) of concealment for frame f
// to dst.
func (p *playout) conceal(dst []int16, total int, f *jitter.Frame) []int16 {
	if !p.r.opus {
		return p.pcmu.Conceal(dst, total)
	}
	var next []byte
	if f.Kind == jitter.KindLost {
		next = f.Next // in-band FEC of this frame, when it carries some
	}
	out, _, err := p.opus.Conceal(dst, total/p.opus.Channels(), next)
	if err != nil { // a duration Opus cannot conceal: silence
		out = append(dst, make([]int16, total)...)
	}
	return out
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run. It cannot interrupt onFrame: a caller
// that must not wait on a blocked onFrame cancels Run's context instead and
// waits with a deadline of its own (as package call does).
func (r *AudioReceiver) Close() {
	r.life.close(r.interrupt)
}

// interrupt unblocks a pending read by expiring the track's read deadline.
func (r *AudioReceiver) interrupt() {
	// An error means the track has no stream any more: no read is pending.
	_ = r.track.SetReadDeadline(time.Unix(1, 0))
}

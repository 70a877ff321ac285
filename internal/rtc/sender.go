package rtc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

const (
	// frameDuration is the packetisation time of the SDK's audio.
	frameDuration = 20 * time.Millisecond
	// samplesPerFrame is one frame of 8 kHz audio, the audio the sender
	// asks its source for, and the RTP timestamp step of one PCMU packet.
	samplesPerFrame = 8000 * int(frameDuration/time.Millisecond) / 1000
	// maxLag is how late the sender may fall before it stops catching up
	// with a burst of frames and restarts its clock instead.
	maxLag = 100 * time.Millisecond
)

// DTMF timing of the sender, in 20 ms frames: each key is a 100 ms event
// followed by 60 ms of audio before the next key.
const (
	dtmfToneFrames = 5
	dtmfGapFrames  = 3
	// dtmfEndCopies is how many times the end packet of an event is sent
	// (RFC 4733 section 2.5.1.4).
	dtmfEndCopies = 3
)

var (
	errUnbound          = errors.New("rtc: the audio track is not connected to a peer")
	errNoTelephoneEvent = errors.New("rtc: the peer did not negotiate telephone-event: it cannot receive DTMF")
)

// AudioTrack is a local audio track (Opus or PCMU, as negotiated) whose RTP packets an [AudioSender]
// builds itself, so that RFC 4733 telephone-events share the audio's SSRC,
// sequence numbers and clock. It implements webrtc.TrackLocal and is bound to
// at most one peer connection at a time.
type AudioTrack struct {
	id, streamID string

	mu      sync.RWMutex
	binding *audioBinding // nil while unbound
}

// audioBinding is what negotiation decided for the track.
type audioBinding struct {
	id          string
	ssrc        uint32
	opus        bool   // the codec is Opus, else PCMU
	clockRate   uint32 // its RTP clock rate
	audio       uint8  // its payload type
	event       uint8  // payload type of telephone-event at that clock rate, when hasEvent
	hasEvent    bool
	writeStream webrtc.TrackLocalWriter
}

var _ webrtc.TrackLocal = (*AudioTrack)(nil)

// NewAudioTrack returns a local audio track for an [AudioSender]. It sends
// whichever of Opus and PCMU negotiation lists first.
func NewAudioTrack(id, streamID string) *AudioTrack {
	return &AudioTrack{id: id, streamID: streamID}
}

// NewPCMUTrack is NewAudioTrack, under its name from before Opus: the codec
// is the one negotiated.
func NewPCMUTrack(id, streamID string) *AudioTrack { return NewAudioTrack(id, streamID) }

// Bind is called by pion when negotiation has chosen the track's codecs:
// Opus is sent when it was negotiated, else PCMU. (pion hands Bind the
// media engine's negotiated codecs in the remote description's order, not
// the transceiver's preferences, so the order cannot decide: an offer that
// lists PCMU first still gets Opus, as the answer says.)
func (t *AudioTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	var chosen *webrtc.RTPCodecParameters
	for _, mime := range []string{webrtc.MimeTypeOpus, webrtc.MimeTypePCMU} {
		for i, c := range codecs {
			if chosen == nil && strings.EqualFold(c.MimeType, mime) {
				chosen = &codecs[i]
			}
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	b := &audioBinding{
		id: ctx.ID(), ssrc: uint32(ctx.SSRC()), audio: uint8(chosen.PayloadType),
		opus: strings.EqualFold(chosen.MimeType, webrtc.MimeTypeOpus), clockRate: chosen.ClockRate,
		writeStream: ctx.WriteStream(),
	}
	b.event, b.hasEvent = TelephoneEventPayloadTypeAt(codecs, chosen.ClockRate)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.binding = b
	return *chosen, nil
}

// codec returns the negotiated codec: Opus or PCMU, and its clock rate; ok
// is false while the track is unbound.
func (t *AudioTrack) codec() (opus bool, clockRate uint32, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.binding == nil {
		return false, 0, false
	}
	return t.binding.opus, t.binding.clockRate, true
}

// Unbind is called by pion when the track stops.
func (t *AudioTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.binding == nil || t.binding.id != ctx.ID() {
		return webrtc.ErrUnbindFailed
	}
	t.binding = nil
	return nil
}

// ID returns the track id.
func (t *AudioTrack) ID() string { return t.id }

// RID returns "": the track has no simulcast layers.
func (t *AudioTrack) RID() string { return "" }

// StreamID returns the id of the stream the track belongs to.
func (t *AudioTrack) StreamID() string { return t.streamID }

// Kind returns webrtc.RTPCodecTypeAudio.
func (t *AudioTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// canSendDTMF returns nil when the peer negotiated telephone-event.
func (t *AudioTrack) canSendDTMF() error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch {
	case t.binding == nil:
		return errUnbound
	case !t.binding.hasEvent:
		return errNoTelephoneEvent
	}
	return nil
}

// write sends one packet whose SSRC and payload type the track fills in;
// dtmf selects telephone-event over PCMU. An unbound track drops it.
func (t *AudioTrack) write(h *rtp.Header, payload []byte, dtmf bool) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	b := t.binding
	if b == nil || (dtmf && !b.hasEvent) {
		return nil
	}
	h.SSRC, h.PayloadType = b.ssrc, b.audio
	if dtmf {
		h.PayloadType = b.event
	}
	_, err := b.writeStream.WriteRTP(h, payload)
	return err
}

// TelephoneEventPayloadType returns the payload type of 8 kHz
// telephone-event among negotiated codecs.
func TelephoneEventPayloadType(codecs []webrtc.RTPCodecParameters) (uint8, bool) {
	return TelephoneEventPayloadTypeAt(codecs, 8000)
}

// TelephoneEventPayloadTypeAt returns the payload type of telephone-event
// at clockRate (the audio codec's: RFC 4733 events share its clock) among
// negotiated codecs.
func TelephoneEventPayloadTypeAt(codecs []webrtc.RTPCodecParameters, clockRate uint32) (uint8, bool) {
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, MimeTypeTelephoneEvent) && c.ClockRate == clockRate {
			return uint8(c.PayloadType), true
		}
	}
	return 0, false
}

// AudioSender paces audio into an [AudioTrack]: every 20 ms it asks for a
// frame of 160 samples at 8 kHz, encodes it with the negotiated codec (Opus
// or PCMU) and sends it as one RTP packet. DTMF keys queued with SendDTMF
// replace the audio while they play.
//
// Mute and silence are sent as encoded silence, not as Opus DTX: the far
// end keeps receiving a packet every 20 ms, which its quality monitoring
// (no packets = missing media) and this SDK's own expect.
type AudioSender struct {
	track *AudioTrack
	read  func(dst []int16) (frame []int16, rate, channels int)
	life  lifecycle
	level atomic.Uint64 // math.Float64bits of the last frame's level
	sent  counters
	loss  atomic.Int32 // expected loss in percent for Opus FEC; -1: the default

	complexity int // Opus encoder complexity, 0: DefaultOpusComplexity; set before Run

	mu   sync.Mutex
	dtmf []uint8 // queued telephone-event codes
}

// NewAudioSender returns a sender writing to track. next must fill all of
// frame (160 samples) with the next 20 ms of audio; it is called on the
// goroutine running Run, also while DTMF plays, and the slice is reused
// after it returns.
func NewAudioSender(track *AudioTrack, next func(frame []int16)) *AudioSender {
	return NewAudioSenderFunc(track, func(dst []int16) ([]int16, int, int) {
		dst = dst[:samplesPerFrame]
		next(dst)
		return dst, 8000, 1
	})
}

// NewAudioSenderFunc returns a sender whose audio comes from read: every 20
// ms it appends 20 ms of audio to dst[:0] (whose capacity holds 20 ms of 48
// kHz stereo) at a format of its choice, and returns it with that format:
// 8 to 48 kHz with a whole number of samples per 20 ms, mono or interleaved
// stereo. The sender converts it to what the codec takes: 8 kHz mono for
// PCMU; for Opus, mono at the same rate when Opus encodes that rate
// natively (8, 12, 16, 24, 48 kHz), else 48 kHz. A frame of the wrong
// length or an invalid format is sent as silence.
func NewAudioSenderFunc(track *AudioTrack, read func(dst []int16) (frame []int16, rate, channels int)) *AudioSender {
	s := &AudioSender{track: track, read: read, life: newLifecycle()}
	s.loss.Store(-1)
	return s
}

// SetPacketLoss sizes the Opus encoder's in-band FEC for the loss the far
// end reports, in percent (clamped to 0..100; 0 sends no FEC, as libopus
// does), from the next frame on. Until it is called the FEC is sized for
// DefaultOpusPacketLoss. PCMU ignores it. Safe for concurrent use.
func (s *AudioSender) SetPacketLoss(percent int) {
	s.loss.Store(int32(min(max(percent, 0), 100)))
}

// SetOpusComplexity sets the Opus encoder's complexity, 1 (least CPU) to
// 10 (best quality), or 0 for [DefaultOpusComplexity]; call it before Run.
// It fails for another value. PCMU ignores it.
func (s *AudioSender) SetOpusComplexity(n int) error {
	if err := ValidOpusComplexity(n); err != nil {
		return err
	}
	s.complexity = n
	return nil
}

// ValidOpusComplexity returns nil for an Opus complexity a sender takes: 0
// (the default) or 1 to 10.
func ValidOpusComplexity(n int) error {
	if n < 0 || n > 10 {
		return fmt.Errorf("rtc: Opus complexity %d is out of range (use 1 to 10, or 0 for the default %d)", n, DefaultOpusComplexity)
	}
	return nil
}

// SendDTMF queues keys (0-9, *, #, A-D) to be sent as RFC 4733
// telephone-events after those already queued: each key is a 100 ms event
// followed by 60 ms of audio. It fails without queueing anything when a key
// is not a DTMF key or the peer cannot receive telephone-events.
func (s *AudioSender) SendDTMF(keys string) error {
	if err := ValidDTMF(keys); err != nil {
		return err
	}
	if err := s.track.canSendDTMF(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range len(keys) {
		e, _ := DTMFEvent(keys[i])
		s.dtmf = append(s.dtmf, e)
	}
	return nil
}

// nextDTMF pops the next queued event.
func (s *AudioSender) nextDTMF() (uint8, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dtmf) == 0 {
		return 0, false
	}
	e := s.dtmf[0]
	s.dtmf = s.dtmf[1:]
	return e, true
}

// Level returns the audio level of the last frame the source gave, from 0
// (silence) to 1 (full scale): its RMS over full scale.
func (s *AudioSender) Level() float64 {
	return math.Float64frombits(s.level.Load())
}

// Sent returns how many RTP packets, and payload bytes, the sender has
// written, audio and DTMF.
func (s *AudioSender) Sent() (packets, bytes uint64) {
	return s.sent.packets.Load(), s.sent.bytes.Load()
}

// counters count packets and their payload bytes.
type counters struct{ packets, bytes atomic.Uint64 }

func (c *counters) add(payload int) {
	c.packets.Add(1)
	c.bytes.Add(uint64(payload))
}

// Run sends audio until ctx is done or Close is called, and then returns nil.
// It returns an error when the track refuses a packet (its peer connection
// is closed) or when it is called twice or after Close.
//
// Frames are timed from the moment Run starts, so timer latency does not
// accumulate: a late frame is followed by earlier ones until the schedule is
// met again, unless the sender fell more than 100 ms behind, in which case
// it restarts its schedule from now. The RTP clock advances one frame (160
// units for PCMU, 960 for Opus) per frame whatever the timer does.
func (s *AudioSender) Run(ctx context.Context) error {
	if err := s.life.begin(); err != nil {
		return err
	}
	defer s.life.end()

	frame := make([]int16, 0, OpusClockRate/50*2)
	p := newPacketizer(s.track, &s.sent)
	p.complexity = s.complexity
	clock := frameClock{start: time.Now()}
	timer := time.NewTimer(clock.next(time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.life.stop:
			return nil
		case <-timer.C:
		}
		pcm, rate, channels := s.read(frame[:0])
		if !validFormat(rate, channels) || len(pcm) != rate/50*channels {
			pcm, rate, channels = append(frame[:0], make([]int16, samplesPerFrame)...), 8000, 1
		}
		s.level.Store(math.Float64bits(frameLevel(pcm)))
		p.loss = int(s.loss.Load())
		if err := s.sendFrame(p, pcm, rate, channels); err != nil {
			return fmt.Errorf("rtc: writing audio: %w", err)
		}
		timer.Reset(clock.next(time.Now()))
	}
}

// sendFrame sends the current DTMF event's update, or else frame.
func (s *AudioSender) sendFrame(p *packetizer, frame []int16, rate, channels int) error {
	if p.dtmfIdle() {
		if e, ok := s.nextDTMF(); ok {
			p.startDTMF(e)
		}
	}
	return p.frame(frame, rate, channels)
}

// frameLevel is the RMS of frame over full scale.
func frameLevel(frame []int16) float64 {
	var sum float64
	for _, v := range frame {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum/float64(max(len(frame), 1))) / 32768
}

// packetizer numbers and timestamps the packets of one audio stream:
// audio frames and RFC 4733 events share one sequence and one RTP clock (8
// kHz for PCMU, 48 kHz for Opus), which advances one frame per frame
// whatever the frame carries.
type packetizer struct {
	track   *AudioTrack
	sent    *counters
	seq     uint16
	ts      uint32 // timestamp of the next frame
	started bool   // the first packet, with the marker bit, has gone
	payload []byte

	opus       *OpusEncoder // nil until Opus is negotiated
	opusRate   int          // its input rate
	useOpus    bool         // the codec of the frames being sent
	step       uint32       // RTP units per frame
	conv       converter    // from the source's format to the encoder's
	loss       int          // FEC loss to set, -1: the default
	lossSet    int          // the encoder's, -1: the default
	complexity int          // the encoder's complexity, 0: the default

	inEvent     bool   // a DTMF event is playing
	event       uint8  // its code
	eventTS     uint32 // its timestamp: that of its first packet
	eventFrames int    // frames of it sent so far
	gapFrames   int    // audio frames still due before the next event
}

func newPacketizer(track *AudioTrack, sent *counters) *packetizer {
	return &packetizer{
		track:   track,
		sent:    sent,
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
		payload: make([]byte, 0, maxOpusPacketSize),
		step:    uint32(samplesPerFrame),
		loss:    -1,
		lossSet: -1,
	}
}

// followCodec makes the next frame use the negotiated codec; it reports
// false while the track is unbound (the frame is not sent).
func (p *packetizer) followCodec() (bool, error) {
	opus, clock, ok := p.track.codec()
	if !ok {
		return false, nil
	}
	p.useOpus = opus
	p.step = clock * uint32(frameDuration/time.Millisecond) / 1000
	return true, nil
}

// dtmfIdle reports whether a new event may start with the next frame.
func (p *packetizer) dtmfIdle() bool { return !p.inEvent && p.gapFrames == 0 }

// startDTMF makes the next frames carry event.
func (p *packetizer) startDTMF(event uint8) {
	p.inEvent, p.event, p.eventTS, p.eventFrames = true, event, p.ts, 0
}

// frame sends the next 20 ms: an update of the running event (whose
// duration grows by one frame per frame; the last one, sent three times,
// has the end bit), or the encoding of pcm.
func (p *packetizer) frame(pcm []int16, rate, channels int) error {
	if ok, err := p.followCodec(); !ok {
		p.ts += p.step
		return err
	}
	defer func() { p.ts += p.step }()
	if p.inEvent {
		return p.dtmfFrame()
	}
	if p.gapFrames > 0 {
		p.gapFrames--
	}
	if !p.useOpus {
		p.payload = EncodePCMU(p.payload[:0], p.conv.convert(pcm, rate, channels, 8000, 1))
		return p.send(p.ts, !p.started, false)
	}
	target := OpusClockRate
	if opusRate(rate) {
		target = rate // Opus encodes it natively: no resampling
	}
	if p.opus == nil || p.opusRate != target {
		enc, err := NewOpusEncoder(OpusEncoderConfig{SampleRate: target, FEC: true, Complexity: p.complexity})
		if err != nil {
			return err
		}
		p.opus, p.opusRate, p.lossSet = enc, target, -1
	}
	if p.loss >= 0 && p.loss != p.lossSet {
		if err := p.opus.SetPacketLoss(p.loss); err != nil {
			return err
		}
		p.lossSet = p.loss
	}
	var err error
	if p.payload, err = p.opus.Encode(p.payload[:0], p.conv.convert(pcm, rate, channels, target, 1)); err != nil {
		return err
	}
	if len(p.payload) == 0 {
		return nil // DTX: nothing to send for this frame, the clock goes on
	}
	return p.send(p.ts, !p.started, false)
}

func (p *packetizer) dtmfFrame() error {
	p.eventFrames++
	// The duration field is 16 bits: 100 ms at 48 kHz is 4800, well within.
	e := TelephoneEvent{Event: p.event, Volume: dtmfVolume, Duration: uint16(p.eventFrames * int(p.step))}
	first, copies := p.eventFrames == 1, 1
	if p.eventFrames == dtmfToneFrames {
		e.End, copies = true, dtmfEndCopies
		p.inEvent, p.gapFrames = false, dtmfGapFrames
	}
	p.payload = e.Append(p.payload[:0])
	for range copies {
		if err := p.send(p.eventTS, first, true); err != nil {
			return err
		}
	}
	return nil
}

// send writes the payload as the next packet.
func (p *packetizer) send(ts uint32, marker, dtmf bool) error {
	h := rtp.Header{Version: 2, Marker: marker, SequenceNumber: p.seq, Timestamp: ts}
	p.seq++
	p.started = true
	if err := p.track.write(&h, p.payload, dtmf); err != nil {
		return err
	}
	p.sent.add(len(p.payload))
	return nil
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run. It cannot interrupt next: a caller that
// must not wait on a blocked next cancels Run's context instead and waits
// with a deadline of its own (as package call does).
func (s *AudioSender) Close() {
	s.life.close(nil)
}

// frameClock schedules frames on a fixed 20 ms grid from start.
type frameClock struct {
	start time.Time
	n     int64 // frames scheduled so far
}

// next schedules the next frame and returns how long to wait, from now, to
// send it (zero or negative when it is already due).
func (c *frameClock) next(now time.Time) time.Duration {
	due := c.start.Add(time.Duration(c.n) * frameDuration)
	if now.Sub(due) > maxLag {
		c.start, c.n, due = now, 0, now
	}
	c.n++
	return due.Sub(now)
}

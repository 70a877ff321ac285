package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxPacketSize bounds an RTP packet read from a track; pion's receive MTU
// is below it.
const maxPacketSize = 1500

// AudioReceiver reads PCMU RTP packets from a remote track and hands each
// packet's audio, decoded to 8 kHz linear PCM, to a callback. With
// OnDTMF, RFC 4733 telephone-events become DTMF keys; packets of other
// payload types (comfort noise) are skipped.
type AudioReceiver struct {
	track   *webrtc.TrackRemote
	onFrame func(frame []int16)
	life    lifecycle
	level   atomic.Uint64 // math.Float64bits of the last frame's level
	stats   *receiveStats

	dtmfType uint8
	onDTMF   func(key byte) // nil: telephone-events are skipped
}

// NewAudioReceiver returns a receiver of track. onFrame is called on the
// goroutine running Run with the samples of one packet (usually 160); the
// slice is reused after it returns.
func NewAudioReceiver(track *webrtc.TrackRemote, onFrame func(frame []int16)) *AudioReceiver {
	return &AudioReceiver{
		track: track, onFrame: onFrame, life: newLifecycle(),
		stats: newReceiveStats(PCMUCodec().ClockRate),
	}
}

// OnDTMF makes Run detect the DTMF keys of telephone-event packets of
// payloadType (see [TelephoneEventPayloadType]) and call f once per key
// press, on the goroutine running Run. Call it before Run.
func (r *AudioReceiver) OnDTMF(payloadType uint8, f func(key byte)) {
	r.dtmfType, r.onDTMF = payloadType, f
}

// Level returns the audio level of the last frame received, from 0
// (silence) to 1 (full scale): its RMS over full scale.
func (r *AudioReceiver) Level() float64 {
	return math.Float64frombits(r.level.Load())
}

// Stats returns the statistics of the packets received so far, audio and
// telephone-events alike. It is safe to call at any time, concurrently
// with Run.
func (r *AudioReceiver) Stats() ReceiveStats {
	return r.stats.snapshot()
}

// Run reads the track until it ends, ctx is done or Close is called, and
// then returns nil. It returns an error when reading fails otherwise, or
// when it is called twice or after Close.
func (r *AudioReceiver) Run(ctx context.Context) error {
	if err := r.life.begin(); err != nil {
		return err
	}
	defer r.life.end()
	defer context.AfterFunc(ctx, r.interrupt)()

	buf := make([]byte, maxPacketSize)
	var pkt rtp.Packet
	var pcm []int16
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
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		r.stats.add(&pkt.Header, len(pkt.Payload), arrival)
		if err != nil {
			continue // a payload type the media engine does not know
		}
		var ok bool
		if pcm, ok = decodeAudioPacket(pcm[:0], &pkt); ok {
			r.level.Store(math.Float64bits(frameLevel(pcm)))
			r.onFrame(pcm)
		} else if r.onDTMF != nil && pkt.PayloadType == r.dtmfType {
			if key, ok := dtmf.Packet(&pkt); ok {
				r.onDTMF(key)
			}
		}
	}
}

// decodeAudioPacket appends the PCMU audio of pkt to dst. It reports false
// for other payload types and empty payloads.
func decodeAudioPacket(dst []int16, pkt *rtp.Packet) ([]int16, bool) {
	if pkt.PayloadType != PayloadTypePCMU || len(pkt.Payload) == 0 {
		return dst, false
	}
	return DecodePCMU(dst, pkt.Payload), true
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

package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxPacketSize bounds an RTP packet read from a track; pion's receive MTU
// is below it.
const maxPacketSize = 1500

// AudioReceiver reads PCMU RTP packets from a remote track and hands each
// packet's audio, decoded to 8 kHz linear PCM, to a callback. Packets of
// other payload types (telephone-event, comfort noise) are skipped.
type AudioReceiver struct {
	track   *webrtc.TrackRemote
	onFrame func(frame []int16)
	life    lifecycle
}

// NewAudioReceiver returns a receiver of track. onFrame is called on the
// goroutine running Run with the samples of one packet (usually 160); the
// slice is reused after it returns.
func NewAudioReceiver(track *webrtc.TrackRemote, onFrame func(frame []int16)) *AudioReceiver {
	return &AudioReceiver{track: track, onFrame: onFrame, life: newLifecycle()}
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
	for {
		n, _, err := r.track.Read(buf)
		switch {
		case r.life.stopped() || ctx.Err() != nil ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return nil
		case err != nil && n == 0:
			return fmt.Errorf("rtc: reading audio: %w", err)
		case err != nil:
			continue // a payload type the media engine does not know
		}
		var ok bool
		if pcm, ok = decodeAudioPacket(pcm[:0], &pkt, buf[:n]); ok {
			r.onFrame(pcm)
		}
	}
}

// decodeAudioPacket parses the RTP packet raw into pkt and appends its PCMU
// audio to dst. It reports false for malformed packets, other payload types
// and empty payloads.
func decodeAudioPacket(dst []int16, pkt *rtp.Packet, raw []byte) ([]int16, bool) {
	if pkt.Unmarshal(raw) != nil || pkt.PayloadType != PayloadTypePCMU || len(pkt.Payload) == 0 {
		return dst, false
	}
	return DecodePCMU(dst, pkt.Payload), true
}

// Close stops Run and waits for it to return. It is safe to call more than
// once and before or without Run.
func (r *AudioReceiver) Close() {
	r.life.close(r.interrupt)
}

// interrupt unblocks a pending read by expiring the track's read deadline.
func (r *AudioReceiver) interrupt() {
	// An error means the track has no stream any more: no read is pending.
	_ = r.track.SetReadDeadline(time.Unix(1, 0))
}

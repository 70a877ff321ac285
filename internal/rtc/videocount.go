package rtc

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// SentCounter counts the RTP packets a local track sends and their payload
// bytes. It is safe for concurrent use.
type SentCounter struct{ packets, bytes atomic.Uint64 }

// Sent returns how many RTP packets, and payload bytes, were sent so far.
func (c *SentCounter) Sent() (packets, bytes uint64) {
	return c.packets.Load(), c.bytes.Load()
}

// NewCountedVP8Track is [NewVP8Track] with a counter of what the track
// sends: each RTP packet its packetizer makes, with the size of its VP8
// payload (payload descriptor included), as a receiver counts them.
func NewCountedVP8Track(id, streamID string) (*webrtc.TrackLocalStaticSample, *SentCounter, error) {
	c := &SentCounter{}
	payloader := func(webrtc.RTPCodecCapability) (rtp.Payloader, error) {
		// pion's own VP8 payloader, as it makes it for a track.
		return countingPayloader{next: &codecs.VP8Payloader{EnablePictureID: true}, c: c}, nil
	}
	t, err := webrtc.NewTrackLocalStaticSample(VP8Codec(), id, streamID, webrtc.WithPayloader(payloader))
	if err != nil {
		return nil, nil, fmt.Errorf("rtc: creating video track: %w", err)
	}
	return t, c, nil
}

// countingPayloader counts the payloads of another payloader.
type countingPayloader struct {
	next rtp.Payloader
	c    *SentCounter
}

func (p countingPayloader) Payload(mtu uint16, payload []byte) [][]byte {
	out := p.next.Payload(mtu, payload)
	for _, b := range out {
		p.c.packets.Add(1)
		p.c.bytes.Add(uint64(len(b)))
	}
	return out
}

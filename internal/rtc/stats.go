package rtc

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// ReceiveStats are the statistics of the RTP packets a receiver read from
// its track (AudioReceiver.Stats, VideoReceiver.Stats), cumulative since
// it started. They are computed as RFC 3550 section 6.4.1 and appendix A
// describe.
type ReceiveStats struct {
	// PacketsReceived counts the RTP packets read, duplicates included.
	PacketsReceived uint64
	// BytesReceived counts the bytes of their payloads (no header, no
	// padding).
	BytesReceived uint64
	// PacketsLost is how many packets were expected but not received: the
	// extended highest sequence number received, minus the first one, plus
	// one, minus PacketsReceived. Packets that arrive twice make it
	// negative.
	PacketsLost int64
	// Jitter is the interarrival jitter: the smoothed mean deviation of
	// the packets' transit times (RFC 3550 appendix A.8).
	Jitter time.Duration

	// TargetDelay is the playout delay the audio jitter buffer aims at;
	// Concealed counts the audio frames played as concealment (lost,
	// undecodable, or inserted to grow the delay) and Late the packets
	// that arrived after their playout time and were dropped. Zero for
	// video.
	TargetDelay time.Duration
	Concealed   uint64
	Late        uint64
}

// receiveStats computes the ReceiveStats of one RTP stream. Its zero value
// is not ready for use: see newReceiveStats. It is safe for concurrent use.
//
// The extended sequence number follows RFC 3550 appendix A.1 without its
// probation and resynchronisation: a sequence number up to 32767 ahead of
// the highest one (modulo 2^16) advances it, counting a wrap when it is
// numerically smaller; any other is taken for a late or repeated packet.
//
// Jitter is updated as appendix A.8 computes it, but, as libwebrtc does,
// only for packets that advance the sequence and carry a timestamp
// different from the previous such packet's: the packets of one video
// frame and the repeated packets of one RFC 4733 event share a timestamp
// while they are sent at different times, and counting them would report
// the sender's pacing as jitter.
type receiveStats struct {
	clockRate uint64 // RTP timestamp units per second

	mu        sync.Mutex
	start     time.Time // arrival of the first packet; zero before
	received  uint64
	bytes     uint64
	base      uint32  // first extended sequence number
	highest   uint32  // extended highest sequence number
	timestamp uint32  // RTP timestamp of the last packet counted in jitter
	transit   uint32  // its transit time, in timestamp units
	jitter    float64 // in timestamp units
}

// newReceiveStats returns the statistics of a stream whose RTP timestamps
// run at clockRate Hz.
func newReceiveStats(clockRate uint32) *receiveStats {
	return &receiveStats{clockRate: uint64(clockRate)}
}

// add counts the packet whose header is h and payload size payloadSize,
// read at arrival.
func (s *receiveStats) add(h *rtp.Header, payloadSize int, arrival time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	s.bytes += uint64(payloadSize)
	if s.start.IsZero() {
		s.start = arrival
		s.base, s.highest = uint32(h.SequenceNumber), uint32(h.SequenceNumber)
		s.timestamp, s.transit = h.Timestamp, s.transitTime(h.Timestamp, arrival)
		return
	}
	delta := int16(h.SequenceNumber - uint16(s.highest))
	if delta <= 0 {
		return // late or repeated
	}
	s.highest += uint32(delta)
	if h.Timestamp == s.timestamp {
		return
	}
	transit := s.transitTime(h.Timestamp, arrival)
	d := float64(int32(transit - s.transit))
	if d < 0 {
		d = -d
	}
	s.jitter += (d - s.jitter) / 16
	s.timestamp, s.transit = h.Timestamp, transit
}

// transitTime returns the transit time of a packet with RTP timestamp ts
// that arrived at arrival, in timestamp units and modulo 2^32 as the
// timestamps are. It is relative, since the sender's clock origin is
// unknown: only differences of transit times have a meaning.
func (s *receiveStats) transitTime(ts uint32, arrival time.Time) uint32 {
	elapsed := uint64(max(arrival.Sub(s.start), 0))
	sec, nsec := elapsed/uint64(time.Second), elapsed%uint64(time.Second)
	return uint32(sec*s.clockRate+nsec*s.clockRate/uint64(time.Second)) - ts
}

// snapshot returns the statistics so far.
func (s *receiveStats) snapshot() ReceiveStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start.IsZero() {
		return ReceiveStats{}
	}
	expected := int64(s.highest-s.base) + 1
	return ReceiveStats{
		PacketsReceived: s.received,
		BytesReceived:   s.bytes,
		PacketsLost:     expected - int64(s.received),
		Jitter:          time.Duration(s.jitter / float64(s.clockRate) * float64(time.Second)),
	}
}

package rtc

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
)

// stream feeds synthetic audio packets (20 ms, 160 timestamp units apart)
// to a receiveStats.
type stream struct {
	stats *receiveStats
	start time.Time
}

func newStream() *stream {
	return &stream{stats: newReceiveStats(8000), start: time.Unix(1000, 0)}
}

// packet adds the packet of sequence number seq and RTP timestamp ts,
// arriving at offset from the start, with a 160-byte payload.
func (s *stream) packet(seq uint16, ts uint32, offset time.Duration) {
	s.stats.add(&rtp.Header{SequenceNumber: seq, Timestamp: ts}, 160, s.start.Add(offset))
}

// inOrder adds the packets of seqs, each sent and received 20 ms after the
// one before.
func (s *stream) inOrder(seqs ...uint16) {
	for i, seq := range seqs {
		s.packet(seq, uint32(i)*160, time.Duration(i)*20*time.Millisecond)
	}
}

func TestReceiveStatsNothingReceived(t *testing.T) {
	assert.Equal(t, ReceiveStats{}, newStream().stats.snapshot())
}

func TestReceiveStatsCounts(t *testing.T) {
	s := newStream()
	s.inOrder(1, 2, 3, 4)
	assert.Equal(t, ReceiveStats{PacketsReceived: 4, BytesReceived: 640}, s.stats.snapshot())
}

func TestReceiveStatsLossAcrossSequenceWrap(t *testing.T) {
	s := newStream()
	s.inOrder(65533, 65534, 0, 1, 3, 4) // 65535 and 2 lost
	got := s.stats.snapshot()
	assert.EqualValues(t, 6, got.PacketsReceived)
	assert.EqualValues(t, 2, got.PacketsLost)
}

func TestReceiveStatsLossAcrossManyWraps(t *testing.T) {
	s := newStream()
	received := 0
	for i := range 3 * 65536 {
		if i%100 != 50 { // 1 % lost
			s.packet(uint16(i), uint32(i)*160, time.Duration(i)*20*time.Millisecond)
			received++
		}
	}
	got := s.stats.snapshot()
	assert.EqualValues(t, received, got.PacketsReceived)
	assert.EqualValues(t, 3*65536-received, got.PacketsLost)
	assert.Zero(t, got.Jitter, "a loss is no jitter")
}

func TestReceiveStatsReorderedPacketIsNotLost(t *testing.T) {
	s := newStream()
	s.inOrder(10, 11, 13)
	assert.EqualValues(t, 1, s.stats.snapshot().PacketsLost)
	s.packet(12, 2*160, 70*time.Millisecond) // late
	s.packet(14, 4*160, 80*time.Millisecond)
	got := s.stats.snapshot()
	assert.EqualValues(t, 5, got.PacketsReceived)
	assert.Zero(t, got.PacketsLost)
}

func TestReceiveStatsReorderedAcrossWrap(t *testing.T) {
	s := newStream()
	s.inOrder(65534, 0, 65535, 1)
	got := s.stats.snapshot()
	assert.EqualValues(t, 4, got.PacketsReceived)
	assert.Zero(t, got.PacketsLost)
}

func TestReceiveStatsDuplicateMakesLossNegative(t *testing.T) {
	s := newStream()
	s.inOrder(5, 6, 6, 7)
	assert.EqualValues(t, -1, s.stats.snapshot().PacketsLost)
}

func TestReceiveStatsJitterOfOneLatePacket(t *testing.T) {
	s := newStream()
	s.inOrder(0, 1, 2, 3, 4)
	assert.Zero(t, s.stats.snapshot().Jitter, "steady arrivals")
	// 32 ms late: |D| = 256 units, J = 256/16 = 16 units = 2 ms.
	s.packet(5, 5*160, 5*20*time.Millisecond+32*time.Millisecond)
	assert.Equal(t, 2*time.Millisecond, s.stats.snapshot().Jitter)
	// On time again: |D| = 256, J = 16 + (256-16)/16 = 31 units.
	s.packet(6, 6*160, 6*20*time.Millisecond)
	assert.Equal(t, 3875*time.Microsecond, s.stats.snapshot().Jitter)
}

func TestReceiveStatsJitterOfPairs(t *testing.T) {
	// Every other packet is held back 20 ms, so that packets arrive in
	// pairs every 40 ms: |D| is 20 ms for every packet, and J converges
	// to it.
	s := newStream()
	for i := range 400 {
		arrival := time.Duration(i) * 20 * time.Millisecond
		if i%2 == 0 {
			arrival += 20 * time.Millisecond
		}
		s.packet(uint16(i), uint32(i)*160, arrival)
	}
	assert.InDelta(t, float64(20*time.Millisecond), float64(s.stats.snapshot().Jitter), float64(time.Microsecond))
}

func TestReceiveStatsJitterAcrossTimestampWrap(t *testing.T) {
	s := newStream()
	for i := range 10 {
		s.packet(uint16(i), 1<<32-5*160+uint32(i)*160, time.Duration(i)*20*time.Millisecond)
	}
	assert.Zero(t, s.stats.snapshot().Jitter)
}

func TestReceiveStatsJitterSkipsPacketsOfOneTimestamp(t *testing.T) {
	// A video frame in three packets paced 5 ms apart, every 33 ms: the
	// pacing is not jitter.
	s := &stream{stats: newReceiveStats(90000), start: time.Unix(1000, 0)}
	for frame := range 10 {
		for p := range 3 {
			seq := uint16(frame*3 + p)
			arrival := time.Duration(frame)*33*time.Millisecond + time.Duration(p)*5*time.Millisecond
			s.packet(seq, uint32(frame)*2970, arrival)
		}
	}
	got := s.stats.snapshot()
	assert.EqualValues(t, 30, got.PacketsReceived)
	assert.Zero(t, got.PacketsLost)
	assert.Zero(t, got.Jitter)
}

func TestReceiveStatsConcurrentUse(t *testing.T) {
	s := newStream()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 1000 {
			s.packet(uint16(i), uint32(i)*160, time.Duration(i)*20*time.Millisecond)
		}
	})
	for range 100 {
		st := s.stats.snapshot()
		assert.Zero(t, st.PacketsLost)
	}
	wg.Wait()
	assert.EqualValues(t, 1000, s.stats.snapshot().PacketsReceived)
}

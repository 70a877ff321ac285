package jitter

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	frame = 20 * time.Millisecond
	step  = 160 // RTP units per frame at 8 kHz
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newBuffer(t testing.TB, cfg Config) *Buffer {
	t.Helper()
	if cfg.ClockRate == 0 {
		cfg.ClockRate = 8000
	}
	b, err := New(cfg)
	require.NoError(t, err)
	return b
}

// packet n of a stream that starts at sequence seq0 and timestamp ts0,
// arriving at t0+at; its payload names it.
func packet(seq0 uint16, ts0 uint32, n int, at time.Duration) Packet {
	p := make([]byte, 4)
	binary.BigEndian.PutUint32(p, uint32(n))
	return Packet{Sequence: seq0 + uint16(n), Timestamp: ts0 + uint32(n*step), Payload: p, Arrival: t0.Add(at)}
}

func payloadID(p []byte) int { return int(binary.BigEndian.Uint32(p)) }

// popAt pops every frame due at t0+at.
func popAt(b *Buffer, at time.Duration) []Frame {
	var out []Frame
	for {
		f, ok := b.Pop(t0.Add(at))
		if !ok {
			return out
		}
		// Copy what Pop lends until its next call.
		f.Payload = append([]byte(nil), f.Payload...)
		f.Next = append([]byte(nil), f.Next...)
		out = append(out, f)
	}
}

// describe turns frames into "p<id>", "lost" and "ins" for comparisons.
func describe(frames []Frame) []string {
	var out []string
	for _, f := range frames {
		switch f.Kind {
		case KindPacket:
			out = append(out, "p"+itoa(payloadID(f.Payload)))
		case KindLost:
			out = append(out, "lost")
		case KindInserted:
			out = append(out, "ins")
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// run pushes the packets in the order given, each at its arrival time, and
// pops every 20 ms from t0 until until; it returns every frame popped and
// the time each was popped at.
func run(b *Buffer, packets []Packet, until time.Duration) ([]Frame, []time.Duration) {
	packets = append([]Packet(nil), packets...)
	sortByArrival(packets)
	var frames []Frame
	var times []time.Duration
	next := 0
	for at := time.Duration(0); at <= until; at += frame {
		for next < len(packets) && !packets[next].Arrival.After(t0.Add(at)) {
			_ = b.Push(packets[next])
			next++
		}
		for _, f := range popAt(b, at) {
			frames = append(frames, f)
			times = append(times, at)
		}
	}
	return frames, times
}

func TestSteadyStreamPlaysEveryPacketAtAnEvenPace(t *testing.T) {
	b := newBuffer(t, Config{})
	var packets []Packet
	for n := range 50 {
		packets = append(packets, packet(100, 1000, n, time.Duration(n)*frame))
	}
	frames, times := run(b, packets, 50*frame)
	require.NotEmpty(t, frames)
	assert.Equal(t, 40*time.Millisecond, times[0], "the first packet waits for the initial delay")
	for i, f := range frames[:48] {
		require.Equal(t, KindPacket, f.Kind, "frame %d", i)
		assert.Equal(t, i, payloadID(f.Payload))
		assert.Equal(t, uint16(100+i), f.Sequence)
		assert.Equal(t, uint32(1000+i*step), f.Timestamp)
		assert.Equal(t, uint32(step), f.Duration)
		assert.Equal(t, times[0]+time.Duration(i)*frame, times[i], "one frame per 20 ms")
	}
	s := b.Stats()
	assert.Equal(t, uint64(50), s.Received)
	assert.Zero(t, s.Concealed+s.Inserted+s.Skipped+s.Discarded+s.Late+s.Duplicates)
	assert.Equal(t, 40*time.Millisecond, s.Delay)
	assert.Equal(t, 1, s.Buffered, "the last packet waits for playout")
	assert.Equal(t, 20*time.Millisecond, s.Depth)

	b = newBuffer(t, Config{})
	run(b, packets[:31], 30*frame)
	s = b.Stats()
	assert.Equal(t, 2, s.Buffered, "mid-stream, the two packets of the last 40 ms wait")
	assert.Equal(t, 40*time.Millisecond, s.Depth)
}

func TestPopBeforeAnyPacketReturnsNothing(t *testing.T) {
	b := newBuffer(t, Config{})
	_, ok := b.Pop(t0)
	assert.False(t, ok)
	assert.Equal(t, Stats{TargetDelay: DefaultInitialDelay}, b.Stats())
}

// Table tests: packets arrive at the given times (ms after t0) and the
// buffer is popped every 20 ms; the frames come out as listed.
func TestPlayout(t *testing.T) {
	type arrival struct {
		n  int // packet number: sequence 1000+n, timestamp 5000+160n
		at int // ms
	}
	cases := []struct {
		name     string
		arrivals []arrival
		until    int // ms
		want     []string
		check    func(t *testing.T, s Stats, frames []Frame)
	}{{
		name:     "reordered packets play in order",
		arrivals: []arrival{{0, 0}, {2, 20}, {1, 25}, {4, 60}, {3, 65}, {5, 100}},
		until:    140,
		want:     []string{"p0", "p1", "p2", "p3", "p4", "p5"},
	}, {
		name:     "a lost packet is a lost frame carrying the next packet",
		arrivals: []arrival{{0, 0}, {1, 20}, {3, 60}, {4, 80}},
		until:    120,
		want:     []string{"p0", "p1", "lost", "p3", "p4"},
		check: func(t *testing.T, s Stats, frames []Frame) {
			assert.Equal(t, uint32(5000+2*step), frames[2].Timestamp, "the lost slot's timestamp")
			assert.Equal(t, 3, payloadID(frames[2].Next), "packet 3 is here for its FEC")
			assert.Equal(t, uint64(1), s.Concealed)
		},
	}, {
		name:     "two lost packets: only the second lost frame has Next",
		arrivals: []arrival{{0, 0}, {3, 60}, {4, 80}},
		until:    120,
		want:     []string{"p0", "lost", "lost", "p3", "p4"},
		check: func(t *testing.T, s Stats, frames []Frame) {
			assert.Empty(t, frames[1].Next)
			assert.Equal(t, 3, payloadID(frames[2].Next))
		},
	}, {
		name:     "a late packet is dropped and counted, and the target grows",
		arrivals: []arrival{{0, 0}, {1, 20}, {3, 60}, {4, 80}, {2, 95}, {5, 100}},
		until:    160,
		want:     []string{"p0", "p1", "lost", "ins", "p3", "p4", "p5"},
		check: func(t *testing.T, s Stats, frames []Frame) {
			assert.Equal(t, uint64(1), s.Late)
			assert.Equal(t, uint64(1), s.Inserted)
			assert.InDelta(t, float64(65*time.Millisecond), float64(s.TargetDelay), float64(time.Millisecond), "55 ms of extra transit plus half a frame")
		},
	}, {
		name:     "duplicates are dropped, held or played",
		arrivals: []arrival{{0, 0}, {1, 20}, {1, 25}, {0, 45}, {2, 40}},
		until:    100,
		want:     []string{"p0", "p1", "p2"},
		check: func(t *testing.T, s Stats, frames []Frame) {
			assert.Equal(t, uint64(2), s.Duplicates)
		},
	}, {
		name:     "a silence without packets (DTX) is concealed, then playout goes on",
		arrivals: []arrival{{0, 0}, {1, 20}, {6, 120}, {7, 140}},
		until:    180,
		want:     []string{"p0", "p1", "lost", "lost", "lost", "lost", "p6", "p7"},
		check: func(t *testing.T, s Stats, frames []Frame) {
			assert.Zero(t, s.Resyncs)
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuffer(t, Config{})
			var packets []Packet
			for _, a := range tc.arrivals {
				packets = append(packets, packet(1000, 5000, a.n, time.Duration(a.at)*time.Millisecond))
			}
			frames, _ := run(b, packets, time.Duration(tc.until)*time.Millisecond)
			got := describe(frames)
			require.GreaterOrEqual(t, len(got), len(tc.want), "%v", got)
			assert.Equal(t, tc.want, got[:len(tc.want)])
			for _, extra := range got[len(tc.want):] {
				assert.Equal(t, "lost", extra, "after the last packet, frames are concealed")
			}
			if tc.check != nil {
				tc.check(t, b.Stats(), frames)
			}
		})
	}
}

func TestPushErrors(t *testing.T) {
	b := newBuffer(t, Config{MaxPayload: 10})
	p := packet(1, 1, 0, 0)
	p.Payload = make([]byte, 11)
	assert.ErrorIs(t, b.Push(p), ErrTooLarge)
	p = packet(1, 1, 0, 0)
	p.Duration = 8000*120/1000 + 1
	assert.ErrorIs(t, b.Push(p), ErrDuration)
	assert.Equal(t, uint64(2), b.Stats().Rejected)

	require.NoError(t, b.Push(packet(1, 1, 0, 0)))
	assert.ErrorIs(t, b.Push(packet(1, 1, 0, 0)), ErrDuplicate)
	_ = popAt(b, 40*time.Millisecond)
	require.NoError(t, b.Push(packet(1, 1, 1, 0)))
	assert.ErrorIs(t, b.Push(packet(1, 1, 0, 50*time.Millisecond)), ErrDuplicate, "played, still a duplicate")
}

func TestFullBufferDropsTheOldest(t *testing.T) {
	b := newBuffer(t, Config{MaxPackets: 4})
	for n := 1; n <= 10; n++ {
		require.NoError(t, b.Push(packet(0, 0, n, 0)))
	}
	s := b.Stats()
	assert.Equal(t, 4, s.Buffered)
	assert.Equal(t, uint64(6), s.Discarded)
	var ids []int
	for _, f := range popAt(b, 0) {
		if f.Kind == KindPacket {
			ids = append(ids, payloadID(f.Payload))
		}
	}
	require.NotEmpty(t, ids)
	assert.GreaterOrEqual(t, ids[0], 7, "only the newest four were kept")

	b = newBuffer(t, Config{MaxPackets: 4})
	for n := 1; n <= 4; n++ {
		require.NoError(t, b.Push(packet(0, 0, n, 0)))
	}
	assert.ErrorIs(t, b.Push(packet(0, 0, 0, 0)), ErrFull, "older than all held")
	assert.Equal(t, uint64(1), b.Stats().Discarded)
}

func TestSequenceAndTimestampWrap(t *testing.T) {
	b := newBuffer(t, Config{})
	var packets []Packet
	for n := range 20 {
		packets = append(packets, packet(65530, 1<<32-3*step, n, time.Duration(n)*frame))
	}
	packets[8], packets[9] = packets[9], packets[8] // reordered across the wraps
	frames, _ := run(b, packets, 21*frame)
	got := describe(frames)
	for i := range 19 {
		require.Equal(t, "p"+itoa(i), got[i])
		assert.Equal(t, uint32(1<<32-3*step+i*step), frames[i].Timestamp)
	}
	s := b.Stats()
	assert.Zero(t, s.Resyncs+s.Late+s.Duplicates+s.Concealed)
}

func TestTimestampJumps(t *testing.T) {
	for _, jump := range []int64{1 << 30, -(1 << 30), 9000, -9000} { // ±37 h, ±1.1 s at 8 kHz
		t.Run(itoa(int(max(jump, -jump)))+map[bool]string{true: " forward", false: " back"}[jump > 0], func(t *testing.T) {
			b := newBuffer(t, Config{})
			var packets []Packet
			for n := range 60 {
				p := packet(10, 70000, n, time.Duration(n)*frame)
				if n >= 30 {
					p.Timestamp = uint32(int64(p.Timestamp) + jump)
				}
				packets = append(packets, p)
			}
			frames, _ := run(b, packets, 62*frame)
			got := describe(frames)
			var played []string
			for _, g := range got {
				if g != "lost" && g != "ins" {
					played = append(played, g)
				}
			}
			require.Len(t, played, 60, "every packet plays: %v", got)
			for i, p := range played {
				assert.Equal(t, "p"+itoa(i), p)
			}
			s := b.Stats()
			assert.Equal(t, uint64(1), s.Resyncs)
			assert.LessOrEqual(t, s.Concealed+s.Inserted, uint64(3), "the jump costs a frame or two: %v", got)
			assert.LessOrEqual(t, s.TargetDelay, DefaultInitialDelay, "the jump does not inflate the delay")
		})
	}
}

// TestStuckTimestampsResync: after a pause, a sender resumes with the
// timestamps where it left them, 300 ms behind the timeline. After five
// late packets, the buffer rebases and plays the rest.
func TestStuckTimestampsResync(t *testing.T) {
	b := newBuffer(t, Config{})
	var packets []Packet
	for n := range 20 {
		packets = append(packets, packet(10, 70000, n, time.Duration(n)*frame))
	}
	for n := 20; n < 60; n++ {
		p := packet(10, 70000, n, time.Duration(n)*frame+300*time.Millisecond)
		packets = append(packets, p)
	}
	frames, _ := run(b, packets, 65*frame+300*time.Millisecond)
	s := b.Stats()
	assert.Equal(t, uint64(1), s.Resyncs)
	assert.Equal(t, uint64(4), s.Late, "four late packets, the fifth rebases")
	var played int
	for _, f := range frames {
		if f.Kind == KindPacket {
			played++
		}
	}
	assert.Equal(t, 56, played)
}

func TestTargetDelayGrowsWithJitterAndShrinksSlowly(t *testing.T) {
	b := newBuffer(t, Config{})
	at := func(n int) time.Duration { return time.Duration(n) * frame }
	var packets []Packet
	for n := range 100 { // 2 s of 100 ms spikes every 500 ms
		d := at(n)
		if n%25 == 10 {
			d += 100 * time.Millisecond
		}
		packets = append(packets, packet(0, 0, n, d))
	}
	for n := 100; n < 2100; n++ { // then 40 s of a clean link
		packets = append(packets, packet(0, 0, n, at(n)))
	}
	sortByArrival(packets)
	var targets []time.Duration
	next := 0
	for tick := 0; tick < 2110; tick++ {
		for next < len(packets) && !packets[next].Arrival.After(t0.Add(at(tick))) {
			_ = b.Push(packets[next])
			next++
		}
		_ = popAt(b, at(tick))
		targets = append(targets, b.Stats().TargetDelay)
	}
	assert.InDelta(t, float64(DefaultInitialDelay), float64(targets[5]), float64(time.Millisecond))
	assert.GreaterOrEqual(t, targets[20], 100*time.Millisecond, "the first spike raises the target at once")
	assert.Greater(t, targets[150], 90*time.Millisecond, "1 s later the target has not dropped much")
	assert.Equal(t, DefaultMinDelay, targets[2100], "40 s later it is back at the minimum")
	for i := 1; i < len(targets); i++ {
		if targets[i] < targets[i-1] {
			assert.LessOrEqual(t, targets[i-1]-targets[i], time.Millisecond, "the target shrinks by at most 5 ms per second")
		}
	}
	s := b.Stats()
	assert.InDelta(t, float64(DefaultMinDelay), float64(s.Delay), float64(frame), "the playout delay follows the target down")
	assert.Equal(t, uint64(1), s.Late, "only the first spike was late: the delay grew with it")
}

func TestTargetDelayStaysWithinItsBounds(t *testing.T) {
	b := newBuffer(t, Config{MinDelay: 30 * time.Millisecond, MaxDelay: 150 * time.Millisecond})
	var packets []Packet
	for n := range 200 {
		d := time.Duration(n) * frame
		if n%10 == 5 {
			d += 600 * time.Millisecond
		}
		packets = append(packets, packet(0, 0, n, d))
	}
	run(b, packets, 300*frame)
	assert.Equal(t, 150*time.Millisecond, b.Stats().TargetDelay)
	assert.Positive(t, b.Stats().Late, "packets later than the bound are dropped")

	b = newBuffer(t, Config{MinDelay: 30 * time.Millisecond, MaxDelay: 150 * time.Millisecond, InitialDelay: 30 * time.Millisecond})
	packets = packets[:0]
	for n := range 100 {
		packets = append(packets, packet(0, 0, n, time.Duration(n)*frame))
	}
	run(b, packets, 100*frame)
	assert.Equal(t, 30*time.Millisecond, b.Stats().TargetDelay)
}

func TestLongPacketsPlayAtTheirPace(t *testing.T) {
	b := newBuffer(t, Config{ClockRate: 48000})
	var packets []Packet
	for n := range 10 { // 40 ms packets
		packets = append(packets, Packet{Sequence: uint16(n), Timestamp: uint32(n * 1920), Duration: 1920, Payload: []byte{byte(n)}, Arrival: t0.Add(time.Duration(n) * 2 * frame)})
	}
	frames, times := run(b, packets, 20*frame)
	for i := range 9 {
		require.Equal(t, KindPacket, frames[i].Kind, "frame %d", i)
		assert.Equal(t, []byte{byte(i)}, frames[i].Payload)
		assert.Equal(t, uint32(1920), frames[i].Duration)
		if i > 0 {
			assert.Equal(t, 2*frame, times[i]-times[i-1], "a 40 ms packet lasts two ticks")
		}
	}
}

func TestLateTicksCatchUp(t *testing.T) {
	b := newBuffer(t, Config{})
	for n := range 100 {
		require.NoError(t, b.Push(packet(0, 0, n, time.Duration(n)*time.Millisecond)))
	}
	assert.Len(t, popAt(b, 40*time.Millisecond), 1)
	assert.Len(t, popAt(b, 120*time.Millisecond), 4, "a tick 60 ms late gets the 3 frames it owes, and its own")
	assert.Len(t, popAt(b, 2*time.Second), 1, "after a stall of seconds, the schedule restarts")
	assert.Len(t, popAt(b, 2*time.Second+frame), 1)
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{ClockRate: 8000, Frame: -1},
		{ClockRate: 8000, Frame: time.Second},
		{ClockRate: 8000, MinDelay: 100 * time.Millisecond, MaxDelay: 50 * time.Millisecond},
		{ClockRate: 8000, InitialDelay: time.Second},
		{ClockRate: 8000, MaxPackets: -1},
		{ClockRate: 8000, MaxPayload: 1 << 20},
	} {
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// TestSimulatedLossyJitteryLink plays 10 s of 20 ms packets over a link
// that loses 10 % of them and delays each by 0 to 30 ms more than the
// fastest (so they also arrive out of order): 500 frames come out, one per
// 20 ms, in timestamp order, every packet that arrived is played and each
// lost one is concealed.
func TestSimulatedLossyJitteryLink(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := newBuffer(t, Config{ClockRate: 48000})
		const n = 500
		var packets []Packet
		lost := 0
		for i := range n {
			if i > 0 && i < n-1 && rng.Float64() < 0.1 {
				lost++
				continue
			}
			arrival := time.Duration(i)*frame + 25*time.Millisecond + time.Duration(rng.Int64N(int64(30*time.Millisecond)))
			packets = append(packets, Packet{
				Sequence: uint16(40000 + i), Timestamp: uint32(i * 960), Payload: []byte{byte(i), byte(i >> 8)},
				Arrival: t0.Add(arrival),
			})
		}
		sortByArrival(packets)
		// The player's ticker runs at its own phase.
		tick := time.Duration(rng.Int64N(int64(frame)))
		var frames []Frame
		next := 0
		for ; tick < 11*time.Second; tick += frame {
			for next < len(packets) && !packets[next].Arrival.After(t0.Add(tick)) {
				_ = b.Push(packets[next])
				next++
			}
			got := popAt(b, tick)
			require.LessOrEqual(t, len(got), 1, "one frame per tick")
			frames = append(frames, got...)
		}
		// The stream's frames: up to the last packet's.
		end := -1
		for i, f := range frames {
			if f.Kind == KindPacket && int(f.Payload[0])|int(f.Payload[1])<<8 == n-1 {
				end = i
			}
		}
		require.NotEqual(t, -1, end, "seed %d: the last packet is played", seed)
		stream := frames[:end+1]
		assert.InDelta(t, n, len(stream), 1, "seed %d: 500 frames of 20 ms, give or take one", seed)
		var prev int64 = -1
		for _, f := range stream {
			if f.Kind == KindInserted {
				continue
			}
			require.Greater(t, int64(f.Timestamp), prev, "seed %d: in order", seed)
			prev = int64(f.Timestamp)
		}
		s := b.Stats()
		assert.Equal(t, uint64(n-lost), s.Played, "seed %d: every packet that arrived is played", seed)
		assert.Zero(t, s.Late, "seed %d", seed)
		assert.Equal(t, uint64(lost), s.Concealed+s.Skipped-uint64(len(frames)-len(stream)), "seed %d: each lost packet is one concealed frame, or a skipped one", seed)
		assert.LessOrEqual(t, s.Skipped+s.Inserted, uint64(1), "seed %d: the delay is adjusted once at most", seed)
		assert.LessOrEqual(t, s.TargetDelay, 45*time.Millisecond, "seed %d: the target follows the 30 ms of jitter", seed)
	}
}

// TestConcurrentPushPopAndStats pushes from one goroutine while another
// pops and a third reads the statistics, as a call's receiver, player and
// quality monitor do (run with -race).
func TestConcurrentPushPopAndStats(t *testing.T) {
	b := newBuffer(t, Config{ClockRate: 48000})
	const n = 2000
	done := make(chan struct{})
	// The fake clock keeps the network and the player within a few
	// frames of each other, as the real one would.
	var pushed, ticked atomic.Int64
	go func() {
		defer close(done)
		for i := range n {
			for ticked.Load() < int64(i-3) {
				runtime.Gosched()
			}
			_ = b.Push(Packet{Sequence: uint16(i), Timestamp: uint32(i * 960), Payload: []byte{byte(i)}, Arrival: t0.Add(time.Duration(i) * frame)})
			pushed.Store(int64(i + 1))
		}
	}()
	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		for range n {
			s := b.Stats()
			if s.Buffered > DefaultMaxPackets {
				t.Errorf("%d packets held", s.Buffered)
				return
			}
		}
	}()
	var popped int
	for i := range n + 10 {
		for pushed.Load() < int64(min(i+1, n)) {
			runtime.Gosched()
		}
		ticked.Store(int64(i))
		for {
			f, ok := b.Pop(t0.Add(time.Duration(i) * frame))
			if !ok {
				break
			}
			if f.Kind == KindPacket && len(f.Payload) != 1 {
				t.Fatalf("payload %v", f.Payload)
			}
			popped++
		}
	}
	<-done
	<-statsDone
	assert.Greater(t, popped, n-10, "every packet plays")
	s := b.Stats()
	assert.Equal(t, uint64(n), s.Played+s.Discarded, "every packet plays, but one dropped to shed the start's delay")
	assert.LessOrEqual(t, s.Discarded, uint64(1))
}

// On a clean link the delay of the start (the 40 ms initial target plus
// the first tick's phase) comes down with the target: once the delay has
// stayed a frame over the target for shedAfter, a packet is dropped, and
// the delay then stays under target + one frame.
func TestCleanLinkShedsTheStartupDelay(t *testing.T) {
	b := newBuffer(t, Config{})
	var packets []Packet
	for n := range 500 { // 10 s, arriving 5 ms before a tick
		packets = append(packets, packet(0, 0, n, time.Duration(n)*frame+15*time.Millisecond))
	}
	frames, _ := run(b, packets, 500*frame)
	s := b.Stats()
	t.Logf("delay %v, target %v, discarded %d", s.Delay, s.TargetDelay, s.Discarded)
	assert.Equal(t, DefaultMinDelay, s.TargetDelay, "the target fell to its floor")
	assert.Less(t, s.Delay, s.TargetDelay+frame, "the delay followed it")
	assert.LessOrEqual(t, s.Delay, 40*time.Millisecond)
	assert.Equal(t, uint64(1), s.Discarded, "one packet went, once")
	assert.Zero(t, s.Concealed+s.Inserted+s.Skipped+s.Late)
	for i := 1; i < len(frames); i++ {
		require.Equal(t, KindPacket, frames[i].Kind)
	}
}

func sortByArrival(p []Packet) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Arrival.Before(p[j-1].Arrival); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// FuzzBuffer runs arbitrary sequences of pushes and pops, read from the
// input 8 bytes at a time: nothing panics, at most one frame is popped per
// frame of time (plus catch-up), memory stays bounded, and frames are
// well formed.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 160, 0, 5, 1, 20, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 255, 255, 255, 255, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 255, 0})
	var seed []byte
	for i := range 40 {
		seed = append(seed, 0, byte(i), 0, 0, byte(i>>8), byte(i*160), 0, byte(i%3*10), 1, 20, 0, 0, 0, 0, 0, 0)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, ops []byte) {
		b, err := New(Config{ClockRate: 8000, MaxPackets: 16, MaxPayload: 64})
		require.NoError(t, err)
		now := t0
		var popped int
		var elapsed time.Duration
		for len(ops) >= 8 {
			op := ops[:8]
			ops = ops[8:]
			switch op[0] % 2 {
			case 0: // push: seq, ts, arrival delta (ms), payload length
				now = now.Add(time.Duration(op[7]) * time.Millisecond)
				elapsed += time.Duration(op[7]) * time.Millisecond
				p := Packet{
					Sequence:  binary.BigEndian.Uint16(op[1:3]),
					Timestamp: binary.BigEndian.Uint32(op[2:6]),
					Duration:  uint32(op[6]) * 10,
					Payload:   make([]byte, op[6]),
					Arrival:   now,
				}
				_ = b.Push(p)
			case 1: // pop after a time delta (ms)
				d := time.Duration(op[1]) * time.Millisecond
				now = now.Add(d)
				elapsed += d
				for range 100 {
					fr, ok := b.Pop(now)
					if !ok {
						break
					}
					popped++
					require.Contains(t, []Kind{KindPacket, KindLost, KindInserted}, fr.Kind)
					require.LessOrEqual(t, len(fr.Payload), 64)
					require.LessOrEqual(t, len(fr.Next), 64)
					require.Positive(t, fr.Duration)
				}
			}
			require.LessOrEqual(t, len(b.pkts), 16)
			require.LessOrEqual(t, len(b.free), 16)
		}
		// Catch-up is bounded by maxCatchUp per restart of the schedule.
		require.LessOrEqual(t, popped, int(elapsed/time.Millisecond)+1, "at most one frame per ms of time at the very worst")
		s := b.Stats()
		require.GreaterOrEqual(t, s.TargetDelay, DefaultMinDelay)
		require.LessOrEqual(t, s.TargetDelay, DefaultMaxDelay)
	})
}

// BenchmarkPushPop is one packet through the buffer: pushed, then popped.
func BenchmarkPushPop(b *testing.B) {
	buf := newBuffer(b, Config{ClockRate: 48000})
	payload := make([]byte, 100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		at := t0.Add(time.Duration(i) * frame)
		_ = buf.Push(Packet{Sequence: uint16(i), Timestamp: uint32(i * 960), Payload: payload, Arrival: at})
		for {
			if _, ok := buf.Pop(at); !ok {
				break
			}
		}
	}
}

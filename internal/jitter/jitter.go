// Package jitter is the SDK's receive-side jitter buffer: RTP audio packets
// go in as they arrive, in any order, and frames come out at an even pace
// for the decoder, with the gaps of lost packets marked for concealment.
//
// The caller drives the clock: it pushes each packet with its arrival time
// and pops with the current time (every 20 ms, from a ticker), so the buffer
// itself starts no goroutine and is deterministic under a fake clock.
//
// # Playout
//
// The buffer keeps a timeline of RTP timestamps. The playout delay D of the
// next frame is how long after its earliest possible arrival it is played:
// D = due time - (its RTP time + the smallest transit time seen), where the
// transit time of a packet is its arrival time minus its RTP time. A packet
// whose transit exceeds the smallest by d arrives in time if D >= d.
//
// Each frame due is one of: the packet of the next timestamp (KindPacket);
// a missing slot, for a packet lost or never sent (DTX), which the caller
// conceals (KindLost, with the following packet in Next for Opus FEC); or,
// when D is under the target delay by more than half a frame, an inserted
// frame of concealment that delays the timeline by one frame (KindInserted).
// When D is a frame or more over the target, the buffer catches up by
// skipping the next slot if it is missing (Stats.Skipped: no audio is
// lost, the gap is shorter), and when D is two frames or more over, by
// dropping the next packet (Stats.Discarded): a lost packet or a silence
// sent as DTX usually comes before a packet has to go. When D has stayed a
// frame or more over the target for shedAfter (one second), it drops the
// next packet too, so that D comes back under target + one frame even on
// a link without losses, where the delay of the start, or of a jitter
// spike that has passed, would otherwise stay for good.
//
// # Adaptation
//
// The target delay is the peak of the packets' extra transit times (their
// transit minus the smallest), plus half a frame, within [MinDelay,
// MaxDelay]. The peak follows any larger delay at once and otherwise
// decays by 5 ms per second, so the target grows with the first late
// packet and shrinks slowly when the network calms down. It starts at
// InitialDelay. The smallest transit time rises by 1 ms per second when no
// packet renews it, so clock drift between the two ends does not
// accumulate.
//
// # Bad input
//
// Late packets (their slot was already played or concealed), duplicates,
// packets over MaxPayload bytes and packets beyond MaxPackets are dropped and
// counted; nothing panics and memory is bounded by MaxPackets * MaxPayload.
// Sequence numbers and timestamps wrap as RFC 3550 says. A timestamp jump
// (the sender restarted its clock: a packet with a new sequence number whose
// timestamp is over a second off the timeline, or five consecutive new
// packets that are all late) rebases the timeline so that the new packets
// play on after the buffered ones (Stats.Resyncs).
package jitter

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultFrame        = 20 * time.Millisecond
	DefaultMinDelay     = 20 * time.Millisecond
	DefaultMaxDelay     = 200 * time.Millisecond
	DefaultInitialDelay = 40 * time.Millisecond
	DefaultMaxPackets   = 64
	DefaultMaxPayload   = 1500
)

const (
	// peakDecay is how fast the measured delay peak shrinks, per second.
	peakDecay = 5 * time.Millisecond
	// minTransitRise is how fast the smallest transit time rises, per
	// second, when no packet renews it.
	minTransitRise = time.Millisecond
	// jumpThreshold is how far off the timeline a new packet's timestamp
	// must be for a rebase.
	jumpThreshold = time.Second
	// lateRunResync is how many consecutive new packets, all late, make a
	// rebase.
	lateRunResync = 5
	// maxCatchUp is how far behind its schedule Pop may fall before it
	// stops returning the frames it owes back to back and restarts the
	// schedule from now (the playout delay control then drops the excess).
	maxCatchUp = 500 * time.Millisecond
	// maxPacketDuration bounds Packet.Duration: 120 ms, the longest Opus
	// packet.
	maxPacketDuration = 120 * time.Millisecond
	// maxSteps bounds the skips and discards of one Pop.
	maxSteps = 64
	// shedAfter is how long the playout delay may stay a frame or more
	// over the target, with no missing slot to skip, before a packet is
	// dropped to bring it down: otherwise a link that calms down without losses would
	// keep the delay its jitter once needed (on a clean link, the 40-60 ms
	// of the start while the target falls to 20 ms).
	shedAfter = time.Second
)

// Errors of Push: the packet was dropped and counted in Stats.
var (
	ErrLate      = errors.New("jitter: packet arrived after its playout time: dropped")
	ErrDuplicate = errors.New("jitter: duplicate packet: dropped")
	ErrTooLarge  = errors.New("jitter: packet payload over the size limit: dropped")
	ErrDuration  = errors.New("jitter: packet duration over 120 ms: dropped")
	ErrFull      = errors.New("jitter: buffer full and the packet older than all it holds: dropped")
)

// Config configures a Buffer.
type Config struct {
	// ClockRate is the RTP clock rate of the stream in Hz: 8000 for PCMU,
	// 48000 for Opus. Required.
	ClockRate int
	// Frame is the pace of playout and the length of a concealed or
	// inserted frame; 0 means DefaultFrame.
	Frame time.Duration
	// MinDelay, MaxDelay and InitialDelay bound and start the target
	// delay; 0 means the defaults (20, 200 and 40 ms).
	MinDelay, MaxDelay, InitialDelay time.Duration
	// MaxPackets bounds the packets held; 0 means DefaultMaxPackets.
	MaxPackets int
	// MaxPayload bounds a packet's payload in bytes; 0 means
	// DefaultMaxPayload.
	MaxPayload int
}

// Packet is an RTP audio packet given to Push.
type Packet struct {
	Sequence  uint16
	Timestamp uint32
	// Duration is how many RTP clock units the payload plays for; 0 means
	// one frame.
	Duration uint32
	// Payload is copied: the caller may reuse it when Push returns.
	Payload []byte
	// Arrival is when the packet was read from the network.
	Arrival time.Time
}

// Kind tells what a Frame holds.
type Kind uint8

const (
	// KindPacket is a packet's payload to decode.
	KindPacket Kind = iota + 1
	// KindLost is a slot without a packet (lost, or not sent during DTX):
	// conceal one frame. Next holds the payload of the packet that follows
	// it when that one is already here (an Opus decoder recovers the lost
	// frame from its in-band FEC).
	KindLost
	// KindInserted is an extra frame of concealment that grows the
	// playout delay by one frame; the timeline does not advance.
	KindInserted
)

func (k Kind) String() string {
	switch k {
	case KindPacket:
		return "packet"
	case KindLost:
		return "lost"
	case KindInserted:
		return "inserted"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Frame is what Pop returns: one frame of playout. Payload and Next are
// valid until the next call to Pop.
type Frame struct {
	Kind Kind
	// Sequence is the packet's sequence number (KindPacket only).
	Sequence uint16
	// Timestamp is the RTP timestamp of the audio: the packet's, the lost
	// slot's, or for an inserted frame that of the frame it precedes.
	Timestamp uint32
	// Duration is how many RTP clock units the frame plays for: the
	// packet's duration, or one frame.
	Duration uint32
	Payload  []byte
	Next     []byte
}

// Stats describe a Buffer's state and what it did since it was created.
type Stats struct {
	// TargetDelay is the playout delay the adaptation aims at.
	TargetDelay time.Duration
	// Delay is the playout delay of the next frame: how long after its
	// earliest possible arrival it will be played.
	Delay time.Duration
	// Buffered is the number of packets held, and Depth how much audio
	// they span from the playout point to the end of the newest.
	Buffered int
	Depth    time.Duration

	// Received counts the packets accepted by Push.
	Received uint64
	// Played counts the frames popped as KindPacket, Concealed those
	// popped as KindLost and Inserted those popped as KindInserted.
	Played, Concealed, Inserted uint64
	// Skipped counts the missing slots dropped, and Discarded the packets
	// dropped, to shrink the delay or because MaxPackets were held.
	Skipped, Discarded uint64
	// Late, Duplicates and Rejected (over MaxPayload or 120 ms) count the
	// packets Push dropped.
	Late, Duplicates, Rejected uint64
	// Resyncs counts the timestamp jumps the timeline was rebased for.
	Resyncs uint64
}

// Buffer is a jitter buffer. It is safe for concurrent use: packets are
// usually pushed from the goroutine reading the network and popped from the
// one playing out.
type Buffer struct {
	mu  sync.Mutex
	cfg Config

	clock     int64         // RTP units per second
	step      int64         // RTP units per frame
	frame     time.Duration // cfg.Frame
	maxUnits  int64         // maxPacketDuration in RTP units
	seenFirst bool
	epoch     time.Time // arrival of the first packet; times are relative to it

	// Unwrapping: extended sequence numbers and timestamps. Timestamps are
	// made relative to the first packet's (base), then shifted by offset
	// (prevOffset for packets older than rebaseSeq) onto the timeline.
	highSeq    int64  // extended highest sequence number
	highTS     int64  // extended timestamp of that packet
	base       int64  // extended timestamp of the first packet
	window     uint64 // bit i: sequence number highSeq-i was received
	offset     int64
	prevOffset int64
	rebaseSeq  int64

	// Adaptation.
	minTransit     time.Duration
	lastArrival    time.Duration
	peak           time.Duration
	target         time.Duration
	lateRun        int           // consecutive new packets that were late
	peakBeforeLate time.Duration // the peak before that run
	over           bool          // the delay is a frame or more over the target
	overSince      time.Duration // since when

	// Playout.
	started bool
	next    int64         // timeline timestamp of the next slot
	due     time.Duration // when the next frame is due
	pkts    []entry       // sorted by ts
	free    [][]byte
	payload []byte // returned by Pop
	nextBuf []byte // returned by Pop

	stats Stats
}

type entry struct {
	ts      int64 // on the timeline
	raw     uint32
	seq     uint16
	dur     int64
	payload []byte
}

// New returns an empty buffer, or an error for a configuration out of range.
func New(cfg Config) (*Buffer, error) {
	if cfg.ClockRate < 1000 || cfg.ClockRate > 192000 {
		return nil, fmt.Errorf("jitter: RTP clock rate %d Hz is out of range (use 1000 to 192000)", cfg.ClockRate)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.Frame, DefaultFrame)
	def(&cfg.MinDelay, DefaultMinDelay)
	def(&cfg.MaxDelay, DefaultMaxDelay)
	def(&cfg.InitialDelay, DefaultInitialDelay)
	if cfg.MaxPackets == 0 {
		cfg.MaxPackets = DefaultMaxPackets
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	step := int64(cfg.ClockRate) * int64(cfg.Frame) / int64(time.Second)
	switch {
	case cfg.Frame < 0 || step < 1 || cfg.Frame > maxPacketDuration:
		return nil, fmt.Errorf("jitter: frame duration %v is out of range (use one RTP clock unit to 120 ms)", cfg.Frame)
	case cfg.MinDelay < 0 || cfg.MaxDelay < cfg.MinDelay || cfg.MaxDelay > 10*time.Second:
		return nil, fmt.Errorf("jitter: delay bounds %v to %v are invalid (0 <= MinDelay <= MaxDelay <= 10s)", cfg.MinDelay, cfg.MaxDelay)
	case cfg.InitialDelay < cfg.MinDelay || cfg.InitialDelay > cfg.MaxDelay:
		return nil, fmt.Errorf("jitter: initial delay %v is outside %v to %v", cfg.InitialDelay, cfg.MinDelay, cfg.MaxDelay)
	case cfg.MaxPackets < 1 || cfg.MaxPackets > 4096:
		return nil, fmt.Errorf("jitter: MaxPackets %d is out of range (use 1 to 4096)", cfg.MaxPackets)
	case cfg.MaxPayload < 1 || cfg.MaxPayload > 65536:
		return nil, fmt.Errorf("jitter: MaxPayload %d is out of range (use 1 to 65536)", cfg.MaxPayload)
	}
	b := &Buffer{
		cfg:       cfg,
		clock:     int64(cfg.ClockRate),
		step:      step,
		frame:     cfg.Frame,
		maxUnits:  int64(cfg.ClockRate) * int64(maxPacketDuration) / int64(time.Second),
		rebaseSeq: math.MinInt64,
		pkts:      make([]entry, 0, cfg.MaxPackets),
	}
	b.target = cfg.InitialDelay
	b.peak = cfg.InitialDelay - cfg.Frame/2
	return b, nil
}

// units converts a duration to RTP clock units, rounding toward zero.
func (b *Buffer) units(d time.Duration) int64 {
	s := int64(time.Second)
	return int64(d)/s*b.clock + int64(d)%s*b.clock/s
}

// duration converts RTP clock units to a duration.
func (b *Buffer) duration(u int64) time.Duration {
	return time.Duration(u/b.clock*int64(time.Second) + u%b.clock*int64(time.Second)/b.clock)
}

// Push adds a packet. It returns nil when the packet is held for playout,
// or one of ErrLate, ErrDuplicate, ErrTooLarge, ErrDuration and ErrFull
// when it is dropped (and counted in Stats). When MaxPackets are held, the
// oldest packet makes room for a newer one (counted as Discarded).
func (b *Buffer) Push(p Packet) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	dur := int64(p.Duration)
	if dur == 0 {
		dur = b.step
	}
	switch {
	case len(p.Payload) > b.cfg.MaxPayload:
		b.stats.Rejected++
		return ErrTooLarge
	case dur > b.maxUnits:
		b.stats.Rejected++
		return ErrDuration
	}
	first := !b.seenFirst
	if first {
		b.seenFirst = true
		b.epoch = p.Arrival
		b.highSeq = int64(p.Sequence) + 1<<16 // room below for older packets
		b.highTS = int64(p.Timestamp)
		b.base = b.highTS
	}
	arrival := p.Arrival.Sub(b.epoch)

	seq := b.highSeq + int64(int16(p.Sequence-uint16(b.highSeq)))
	ext := b.highTS + int64(int32(p.Timestamp-uint32(b.highTS)))
	newest := first || seq > b.highSeq
	if age := b.highSeq - seq; age >= 0 && age < 64 && b.window&(1<<age) != 0 {
		b.stats.Duplicates++
		return ErrDuplicate
	}
	offset := b.offset
	if seq < b.rebaseSeq {
		offset = b.prevOffset
	}
	ts := ext - b.base + offset
	transit := arrival - b.duration(ts)

	if first {
		b.minTransit, b.lastArrival = transit, arrival
	}
	if newest && (transit-b.minTransit > jumpThreshold || b.minTransit-transit > jumpThreshold) {
		ts = b.rebase(seq, ext, arrival)
		transit = b.minTransit
	}
	late := b.started && ts < b.next-b.step/2
	if newest && late {
		if b.lateRun == 0 {
			b.peakBeforeLate = b.peak
		}
		b.lateRun++
		if b.lateRun >= lateRunResync {
			// The late run was a timestamp discontinuity, not network
			// delay: the delays it measured are forgotten.
			ts = b.rebase(seq, ext, arrival)
			transit, late = b.minTransit, false
			b.peak = b.peakBeforeLate
		}
	} else if newest {
		b.lateRun = 0
	}
	b.adapt(transit, arrival)
	b.markSeen(seq, ext)
	if late {
		b.stats.Late++
		return ErrLate
	}
	return b.insert(entry{ts: ts, raw: p.Timestamp, seq: p.Sequence, dur: dur}, p.Payload)
}

// rebase moves the timeline so that the packet (sequence seq, extended
// timestamp ext) arriving at arrival has the smallest transit time, and
// returns its new timeline timestamp. Older packets keep the old offset.
func (b *Buffer) rebase(seq, ext int64, arrival time.Duration) int64 {
	b.stats.Resyncs++
	b.lateRun = 0
	b.prevOffset, b.rebaseSeq = b.offset, seq
	ts := b.units(arrival - b.minTransit)
	b.offset = ts - (ext - b.base)
	return ts
}

// adapt updates the smallest transit time, the delay peak and the target
// with a packet's transit time.
func (b *Buffer) adapt(transit, arrival time.Duration) {
	elapsed := max(arrival-b.lastArrival, 0)
	b.lastArrival = max(arrival, b.lastArrival)
	b.minTransit = min(b.minTransit+scale(minTransitRise, elapsed), transit)
	delay := transit - b.minTransit
	b.peak = max(delay, b.peak-scale(peakDecay, elapsed))
	b.target = min(max(b.peak+b.frame/2, b.cfg.MinDelay), b.cfg.MaxDelay)
}

// scale returns perSecond * elapsed / 1 s.
func scale(perSecond, elapsed time.Duration) time.Duration {
	return time.Duration(float64(perSecond) * elapsed.Seconds())
}

// markSeen records sequence number seq in the duplicate window.
func (b *Buffer) markSeen(seq, ext int64) {
	switch d := seq - b.highSeq; {
	case d > 0:
		if d >= 64 {
			b.window = 0
		} else {
			b.window <<= d
		}
		b.window |= 1
		b.highSeq, b.highTS = seq, ext
	case d > -64:
		b.window |= 1 << -d
	}
}

// insert adds e, with a copy of payload, to the packets held.
func (b *Buffer) insert(e entry, payload []byte) error {
	i := len(b.pkts)
	for i > 0 && b.pkts[i-1].ts > e.ts {
		i--
	}
	if i > 0 && b.pkts[i-1].ts == e.ts {
		b.stats.Duplicates++
		return ErrDuplicate
	}
	if len(b.pkts) == b.cfg.MaxPackets {
		b.stats.Discarded++
		if i == 0 {
			return ErrFull
		}
		b.release(b.pkts[0].payload)
		copy(b.pkts, b.pkts[1:])
		b.pkts = b.pkts[:len(b.pkts)-1]
		i--
	}
	e.payload = append(b.alloc(), payload...)
	b.pkts = append(b.pkts, entry{})
	copy(b.pkts[i+1:], b.pkts[i:])
	b.pkts[i] = e
	b.stats.Received++
	return nil
}

func (b *Buffer) alloc() []byte {
	if n := len(b.free); n > 0 {
		buf := b.free[n-1]
		b.free = b.free[:n-1]
		return buf[:0]
	}
	return nil
}

func (b *Buffer) release(buf []byte) {
	if buf != nil && len(b.free) < b.cfg.MaxPackets {
		b.free = append(b.free, buf)
	}
}

// popHead removes the oldest packet held and returns it.
func (b *Buffer) popHead() entry {
	e := b.pkts[0]
	copy(b.pkts, b.pkts[1:])
	b.pkts = b.pkts[:len(b.pkts)-1]
	return e
}

// delay is the playout delay of the next slot if played at due.
func (b *Buffer) delay() time.Duration {
	return b.due - b.duration(b.next) - b.minTransit
}

// Pop returns the frame due at now, if any: call it every frame (20 ms)
// and, when it returns a frame, again until it returns false, so that a
// late tick catches up. Before the first packet, and until the first
// packet has waited for the initial delay, it returns false; from then on
// it returns one frame per Frame of time, packets or not.
func (b *Buffer) Pop(now time.Time) (Frame, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.seenFirst {
		return Frame{}, false
	}
	at := now.Sub(b.epoch)
	if !b.started {
		if len(b.pkts) == 0 || at-b.duration(b.pkts[0].ts)-b.minTransit < b.target {
			return Frame{}, false
		}
		b.started, b.next, b.due = true, b.pkts[0].ts, at
	}
	if at < b.due {
		return Frame{}, false
	}
	if at-b.due > maxCatchUp {
		b.due = at
	}
	for range maxSteps {
		for len(b.pkts) > 0 && b.pkts[0].ts < b.next-b.step/2 {
			b.release(b.popHead().payload)
			b.stats.Late++
		}
		d := b.delay()
		if d < b.target-b.frame/2 {
			b.due += b.frame
			b.stats.Inserted++
			return Frame{Kind: KindInserted, Timestamp: b.rawTS(b.next), Duration: uint32(b.step)}, true
		}
		missing := len(b.pkts) == 0 || b.pkts[0].ts >= b.next+b.step/2
		if d < b.target+b.frame {
			b.over = false
			return b.play(missing), true
		}
		if !b.over {
			b.over, b.overSince = true, at
		}
		if !missing && d < b.target+2*b.frame && at-b.overSince < shedAfter {
			return b.play(missing), true
		}
		b.over = false // a skip or a discard follows: the excess shrinks
		if !missing {
			e := b.popHead()
			b.release(e.payload)
			b.next = e.ts + e.dur
			b.stats.Discarded++
			continue
		}
		skip := int64((d - b.target) / b.frame)
		if len(b.pkts) > 0 {
			skip = min(skip, max((b.pkts[0].ts-b.next)/b.step, 1))
		}
		b.next += skip * b.step
		b.stats.Skipped += uint64(skip)
	}
	return b.play(len(b.pkts) == 0 || b.pkts[0].ts >= b.next+b.step/2), true
}

// play returns the next slot's frame: its packet, or a lost frame.
func (b *Buffer) play(missing bool) Frame {
	if !missing {
		e := b.popHead()
		b.release(b.payload)
		b.payload = e.payload
		b.next = e.ts + e.dur
		b.due += b.duration(e.dur)
		b.stats.Played++
		return Frame{Kind: KindPacket, Sequence: e.seq, Timestamp: e.raw, Duration: uint32(e.dur), Payload: e.payload}
	}
	f := Frame{Kind: KindLost, Timestamp: b.rawTS(b.next), Duration: uint32(b.step)}
	if len(b.pkts) > 0 && b.pkts[0].ts < b.next+b.step+b.step/2 {
		b.nextBuf = append(b.nextBuf[:0], b.pkts[0].payload...)
		f.Next = b.nextBuf
	}
	b.next += b.step
	b.due += b.frame
	b.stats.Concealed++
	return f
}

// rawTS maps a timeline timestamp back to the sender's clock.
func (b *Buffer) rawTS(ts int64) uint32 { return uint32(ts - b.offset + b.base) }

// Stats returns the buffer's statistics.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.TargetDelay = b.target
	s.Buffered = len(b.pkts)
	if b.started {
		s.Delay = b.delay()
	}
	if n := len(b.pkts); n > 0 {
		from := b.next
		if !b.started {
			from = b.pkts[0].ts
		}
		s.Depth = max(b.duration(b.pkts[n-1].ts+b.pkts[n-1].dur-from), 0)
	}
	return s
}

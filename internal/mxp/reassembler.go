package mxp

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Defaults for NewReassembler.
const (
	DefaultMaxPending    = 64
	DefaultReassemblyTTL = time.Minute
)

// Reassembler joins the frames of multi-part messages. Parts may arrive in
// any order; a part already received is ignored. Memory is bounded: at most
// maxPending messages wait for parts at a time, the oldest making way for a
// new one; a message whose parts add up to more than the payload of a
// MaxMessageSize message is dropped, and so is one still incomplete ttl
// after its first part. A Reassembler is safe for concurrent use.
type Reassembler struct {
	maxPending int
	ttl        time.Duration

	mu      sync.Mutex
	seq     uint64 // orders pending messages by arrival
	pending map[messageKey]*partial
}

type messageKey struct{ sessionID, msgID string }

// partial is a message waiting for parts.
type partial struct {
	parts    []string // "" where no part arrived yet; frame data is never empty
	received int
	size     int // characters received
	first    time.Time
	seq      uint64
}

// NewReassembler returns a Reassembler holding at most maxPending incomplete
// messages for at most ttl each. Zero or negative values select
// DefaultMaxPending and DefaultReassemblyTTL.
func NewReassembler(maxPending int, ttl time.Duration) *Reassembler {
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	if ttl <= 0 {
		ttl = DefaultReassemblyTTL
	}
	return &Reassembler{maxPending: maxPending, ttl: ttl, pending: make(map[messageKey]*partial)}
}

// Add takes one frame received at now. When the frame completes its message
// it returns the message's payload, its parts joined in order, and true. A
// frame that is invalid, or whose part total differs from earlier parts of
// the same message, or that takes the message over the payload of a
// MaxMessageSize message, is an error; in the latter cases the message is
// dropped.
func (r *Reassembler) Add(f Frame, now time.Time) (payload string, complete bool, err error) {
	if err := f.validate(); err != nil {
		return "", false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	if f.MsgID == singlePart {
		return f.Data, true, nil
	}
	key := messageKey{f.SessionID, f.MsgID}
	p, ok := r.pending[key]
	switch {
	case !ok && f.Total == 1:
		return f.Data, true, nil
	case !ok:
		p = r.start(key, f.Total, now)
	case len(p.parts) != f.Total:
		delete(r.pending, key)
		return "", false, fmt.Errorf("mxp: message %s of session %s: part total changed from %d to %d",
			f.MsgID, f.SessionID, len(p.parts), f.Total)
	}
	if p.parts[f.Part] != "" {
		return "", false, nil
	}
	if p.size+len(f.Data) > maxPayloadLen {
		delete(r.pending, key)
		return "", false, fmt.Errorf("mxp: message %s of session %s: parts exceed %d characters",
			f.MsgID, f.SessionID, maxPayloadLen)
	}
	p.parts[f.Part] = f.Data
	p.size += len(f.Data)
	p.received++
	if p.received < len(p.parts) {
		return "", false, nil
	}
	delete(r.pending, key)
	return strings.Join(p.parts, ""), true, nil
}

// expire drops messages whose first part came more than ttl before now.
func (r *Reassembler) expire(now time.Time) {
	for key, p := range r.pending {
		if now.Sub(p.first) > r.ttl {
			delete(r.pending, key)
		}
	}
}

// start registers a new pending message, evicting the oldest when full.
func (r *Reassembler) start(key messageKey, total int, now time.Time) *partial {
	if len(r.pending) >= r.maxPending {
		r.evictOldest()
	}
	r.seq++
	p := &partial{parts: make([]string, total), first: now, seq: r.seq}
	r.pending[key] = p
	return p
}

func (r *Reassembler) evictOldest() {
	var oldest messageKey
	var oldestSeq uint64
	for key, p := range r.pending {
		if oldestSeq == 0 || p.seq < oldestSeq {
			oldest, oldestSeq = key, p.seq
		}
	}
	delete(r.pending, oldest)
}

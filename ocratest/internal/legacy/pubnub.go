package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of the PubNub endpoints.
const (
	maxChannelLen        = 128      // characters of one channel name
	maxSubscribeChannels = 16       // channels of one subscribe
	maxMessageLen        = 32 << 10 // bytes of one published JSON value, PubNub's limit
	maxChannelBacklog    = 256      // messages kept per channel for pollers
	backlogTTL           = 2 * time.Minute
	maxChannels          = 4096 // channels with a backlog; the least recently used goes first
)

// message is one published value, JSON-encoded, with its timetoken.
type message struct {
	tt      int64
	channel string
	value   json.RawMessage
	at      time.Time
}

type backlog struct {
	msgs    []message
	touched time.Time
}

// bus is PubNub's store and forward: every message gets a timetoken, larger
// than all before it, and a subscriber asks for what its channels received
// after the timetoken of its last reply.
type bus struct {
	mu       sync.Mutex
	last     int64
	channels map[string]*backlog
	wake     chan struct{} // closed and replaced on every publish
	closed   chan struct{}
	once     sync.Once
}

func newBus() *bus {
	return &bus{channels: map[string]*backlog{}, wake: make(chan struct{}), closed: make(chan struct{})}
}

// next returns a fresh timetoken: 17 digits, tenths of microseconds since
// 1970 as PubNub's are, and larger than every earlier one. b.mu is held.
func (b *bus) next(now time.Time) int64 {
	tt := now.UnixNano() / 100
	if tt <= b.last {
		tt = b.last + 1
	}
	b.last = tt
	return tt
}

// current returns a timetoken that no message published so far exceeds.
func (b *bus) current() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next(time.Now())
}

// publish stores value, a JSON value, on channel and wakes the pollers.
func (b *bus) publish(channel string, value json.RawMessage) int64 {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	bl := b.channels[channel]
	if bl == nil {
		if len(b.channels) >= maxChannels {
			b.evictLocked()
		}
		bl = &backlog{}
		b.channels[channel] = bl
	}
	tt := b.next(now)
	bl.touched = now
	bl.msgs = append(bl.msgs, message{tt: tt, channel: channel, value: value, at: now})
	trimBacklog(bl, now)
	close(b.wake)
	b.wake = make(chan struct{})
	return tt
}

// trimBacklog drops the messages older than backlogTTL and all but the last
// maxChannelBacklog.
func trimBacklog(bl *backlog, now time.Time) {
	drop := 0
	for drop < len(bl.msgs) && now.Sub(bl.msgs[drop].at) > backlogTTL {
		drop++
	}
	if n := len(bl.msgs) - drop; n > maxChannelBacklog {
		drop += n - maxChannelBacklog
	}
	if drop > 0 {
		bl.msgs = append(bl.msgs[:0:0], bl.msgs[drop:]...)
	}
}

// evictLocked forgets the channel least recently published on.
func (b *bus) evictLocked() {
	var oldest string
	var at time.Time
	for ch, bl := range b.channels {
		if oldest == "" || bl.touched.Before(at) {
			oldest, at = ch, bl.touched
		}
	}
	delete(b.channels, oldest)
}

// poll returns the messages of channels published after timetoken after, in
// order, and the timetoken to resume from. With nothing to return it waits up
// to hold for a publish, until ctx ends or the bus closes.
func (b *bus) poll(ctx context.Context, channels []string, after int64, hold time.Duration) ([]message, int64) {
	timer := time.NewTimer(hold)
	defer timer.Stop()
	for {
		b.mu.Lock()
		var out []message
		for _, ch := range channels {
			if bl := b.channels[ch]; bl != nil {
				for _, m := range bl.msgs {
					if m.tt > after {
						out = append(out, m)
					}
				}
			}
		}
		resume := max(after, b.last)
		wake := b.wake
		b.mu.Unlock()
		if len(out) > 0 {
			sortByTimetoken(out)
			return out, resume
		}
		select {
		case <-wake:
		case <-timer.C:
			return nil, resume
		case <-ctx.Done():
			return nil, resume
		case <-b.closed:
			return nil, resume
		}
	}
}

func sortByTimetoken(ms []message) {
	// Few messages, mostly in order already: insertion sort.
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].tt < ms[j-1].tt; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// close ends every poll in progress, and every later one at once.
func (b *bus) close() { b.once.Do(func() { close(b.closed) }) }

// pnKind is the kind of a PubNub request.
type pnKind int

const (
	pnTime pnKind = iota + 1
	pnSubscribe
	pnPublish
	pnLeave
)

// pnRequest is a parsed PubNub v1 request path.
type pnRequest struct {
	kind     pnKind
	pubKey   string
	subKey   string
	channels []string // subscribe and leave: several; publish: one
	tt       int64    // subscribe: resume after this timetoken; 0 asks for the current one
	message  string   // publish: the JSON value, as sent
}

var errNotPubNub = errors.New("not a PubNub path")

// parsePubNubPath parses the escaped path of a PubNub v1 request:
//
//	/time/0
//	/subscribe/<subKey>/<channels>/0/<timetoken>
//	/publish/<pubKey>/<subKey>/0/<channel>/0/<JSON value>
//	/v2/presence/sub_key/<subKey>/channel/<channels>/leave
//
// Path segments are percent-decoded one by one, so a message may hold '/'.
// JSONP callbacks (a callback segment other than 0) are refused.
func parsePubNubPath(escaped string) (pnRequest, error) {
	raw := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	if len(raw) > 8 {
		return pnRequest{}, errNotPubNub
	}
	seg := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return pnRequest{}, fmt.Errorf("path segment %d is not percent-encoded correctly", i)
		}
		seg[i] = u
	}
	switch {
	case len(seg) == 2 && seg[0] == "time":
		if seg[1] != "0" {
			return pnRequest{}, errors.New("JSONP callbacks are not supported")
		}
		return pnRequest{kind: pnTime}, nil
	case len(seg) == 5 && seg[0] == "subscribe":
		if seg[3] != "0" {
			return pnRequest{}, errors.New("JSONP callbacks are not supported")
		}
		chs, err := parseChannels(seg[2], maxSubscribeChannels)
		if err != nil {
			return pnRequest{}, err
		}
		tt, err := parseTimetoken(seg[4])
		if err != nil {
			return pnRequest{}, err
		}
		return pnRequest{kind: pnSubscribe, subKey: seg[1], channels: chs, tt: tt}, nil
	case len(seg) == 7 && seg[0] == "publish":
		if seg[3] != "0" || seg[5] != "0" {
			return pnRequest{}, errors.New("signed publishes and JSONP callbacks are not supported")
		}
		chs, err := parseChannels(seg[4], 1)
		if err != nil {
			return pnRequest{}, err
		}
		if len(seg[6]) > maxMessageLen {
			return pnRequest{}, fmt.Errorf("message of %d bytes exceeds %d", len(seg[6]), maxMessageLen)
		}
		return pnRequest{kind: pnPublish, pubKey: seg[1], subKey: seg[2], channels: chs, message: seg[6]}, nil
	case len(seg) == 7 && seg[0] == "v2" && seg[1] == "presence" && seg[2] == "sub_key" && seg[4] == "channel" && seg[6] == "leave":
		chs, err := parseChannels(seg[5], maxSubscribeChannels)
		if err != nil {
			return pnRequest{}, err
		}
		return pnRequest{kind: pnLeave, subKey: seg[3], channels: chs}, nil
	}
	return pnRequest{}, errNotPubNub
}

func parseChannels(s string, limit int) ([]string, error) {
	chs := strings.Split(s, ",")
	if len(chs) > limit {
		return nil, fmt.Errorf("%d channels, at most %d", len(chs), limit)
	}
	for _, ch := range chs {
		if ch == "" || len(ch) > maxChannelLen {
			return nil, fmt.Errorf("a channel name must have 1 to %d characters", maxChannelLen)
		}
	}
	return chs, nil
}

func parseTimetoken(s string) (int64, error) {
	if s == "" || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("the timetoken is not a decimal number")
	}
	tt, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("the timetoken is out of range")
	}
	return tt, nil
}

// servePubNub answers the PubNub request r, parsed as pr.
func (f *Facade) servePubNub(w http.ResponseWriter, r *http.Request, pr pnRequest) {
	switch pr.kind {
	case pnTime:
		writeJSON(w, http.StatusOK, []int64{f.bus.current()})
	case pnSubscribe:
		if pr.tt == 0 {
			// A new subscription: the current timetoken, no messages.
			writeJSON(w, http.StatusOK, []any{[]any{}, strconv.FormatInt(f.bus.current(), 10)})
			return
		}
		msgs, resume := f.bus.poll(r.Context(), pr.channels, pr.tt, f.hold)
		values := make([]json.RawMessage, len(msgs))
		chans := make([]string, len(msgs))
		for i, m := range msgs {
			values[i], chans[i] = m.value, m.channel
		}
		reply := []any{values, strconv.FormatInt(resume, 10)}
		if len(msgs) > 0 {
			reply = append(reply, strings.Join(chans, ","))
		}
		writeJSON(w, http.StatusOK, reply)
	case pnPublish:
		var text string
		if err := json.Unmarshal([]byte(pr.message), &text); err != nil {
			f.log.Debug("legacy: publish of a value that is not a JSON string dropped", "channel", pr.channels[0])
			writeJSON(w, http.StatusBadRequest, []any{0, "Invalid Message: this fake carries JSON strings only", strconv.FormatInt(f.bus.current(), 10)})
			return
		}
		f.backend.Published(pr.channels[0], text)
		writeJSON(w, http.StatusOK, []any{1, "Sent", strconv.FormatInt(f.bus.current(), 10)})
	case pnLeave:
		writeJSON(w, http.StatusOK, map[string]any{"status": 200, "action": "leave", "message": "OK", "service": "Presence"})
	}
}

// Deliver publishes message on channel for the 1.x clients subscribed to it:
// a backend calls it for what reaches a 1.x instance (Invites, and what
// other clients publish on its channels). It never blocks for long.
func (f *Facade) Deliver(channel, message string) {
	v, err := json.Marshal(message)
	if err != nil || len(v) > maxMessageLen || channel == "" || len(channel) > maxChannelLen {
		f.log.Debug("legacy: undeliverable message dropped", "channel", channel, "bytes", len(message))
		return
	}
	f.bus.publish(channel, v)
}

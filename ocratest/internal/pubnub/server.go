// Package pubnub is a fake PubNub origin for ocratest: the subset of
// PubNub's REST protocol that Sinch's clients use (real-wire.md section 1),
// served as an http.Handler.
//
// Endpoints:
//   - GET /v2/subscribe/{subKey}/{channels}/0?tt=&tr=&uuid= : a long poll
//     (channels comma-separated, at most maxPollChannels);
//   - GET /publish/{pubKey}/{subKey}/0/{channel}/0/{JSON value} and
//     POST /publish/{pubKey}/{subKey}/0/{channel}/0 with the JSON value as
//     the body -> [1,"Sent","<timetoken>"];
//   - GET /time/0 -> [<timetoken>];
//   - GET /v2/presence/sub-key/{subKey}/channel/{channels}/heartbeat and
//     .../leave, answered with PubNub's OK and otherwise ignored (the
//     official SDKs send them);
//   - OPTIONS on any path: a CORS preflight. Every answer to a request
//     with an Origin header (a browser's) allows any origin, so a browser
//     page on another port can call it.
//
// Keyspaces: the server has three random keys, a broadcast subscribe key,
// a signal subscribe key and a signal publish key. A client publishes only
// with the signal pair, so only the server (PublishBroadcast) publishes on
// the broadcast keyspace. A request with another key is refused with 403
// and PubNub's JSON error.
//
// Timetokens are 17 digits (100 ns units of Unix time), strictly
// increasing across the server. Each channel keeps a backlog of its last
// messages, bounded in count (Options.Backlog, default 256; PubNub's own
// queue is 100) and age (Options.BacklogAge, default 10 minutes), so that a
// poll with tt=T gets every message published after T exactly once, even
// when it was published while no poll was out. A poll with nothing to
// deliver is held up to Options.Hold (default 280 s, as PubNub) and then
// answered with the cursor it came with.
package pubnub

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/ocratest/internal/timing"
)

// Defaults and bounds.
const (
	DefaultHold       = 280 * time.Second
	DefaultBacklog    = 256
	DefaultBacklogAge = 10 * time.Minute
	// SubscribedGrace is how long after its last poll ended a channel still
	// counts as subscribed: the time a client takes to poll again.
	SubscribedGrace = 2 * time.Second
	// MaxMessage is PubNub's limit on a message: its JSON, every byte but
	// the unreserved ones percent-escaped, plus the channel name likewise.
	MaxMessage = 32 << 10
	// MaxChannelLen is PubNub's limit on a channel name.
	MaxChannelLen = 92

	maxPollChannels = 16
	maxPerReply     = 100     // messages in one subscribe reply
	maxChannels     = 100_000 // channel records; a sweep frees idle ones
	maxPolls        = 10_000  // polls held at once
	maxBody         = 64 << 10
	region          = 1
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Hold is how long a poll with nothing to deliver is held.
	Hold time.Duration
	// Latency is added to every delivery: a message becomes visible to
	// polls, and reaches listeners, this long after it was published.
	Latency time.Duration
	// Backlog and BacklogAge bound what a channel keeps for polls to come.
	Backlog    int
	BacklogAge time.Duration
	Logger     *slog.Logger
}

// Keys are a server's keys, for the configuration clients get.
type Keys struct {
	BroadcastSubscribe, SignalSubscribe, SignalPublish string
}

// keyspace is a subscribe key's namespace of channels.
type keyspace int

const (
	broadcast keyspace = iota
	signal
)

type chanKey struct {
	space keyspace
	name  string
}

// message is a published message.
type message struct {
	tt        uint64
	data      json.RawMessage // the JSON value
	publisher string
	published time.Time
	visible   time.Time // published + Latency
}

// channel is what the server keeps of one channel.
type channel struct {
	backlog   []message // by tt
	waiters   map[*waiter]struct{}
	lastPoll  time.Time // when its last poll ended
	listeners []*listener
	revoked   bool
}

// waiter is a held poll.
type waiter struct {
	wake    chan struct{} // a message, or a revocation: look again
	drop    chan struct{} // closed by Drop
	dropped bool          // guarded by Server.mu
}

// listener is the server's own receiver of a signal channel.
type listener struct {
	f        func(message string)
	q        chan message // with Latency: delivered by its goroutine
	quit     chan struct{}
	stopOnce sync.Once
}

func (l *listener) stop() { l.stopOnce.Do(func() { close(l.quit) }) }

// Server is a fake PubNub origin. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	keys    Keys
	log     *slog.Logger
	closing chan struct{}

	mu       sync.Mutex
	closed   bool
	lastTT   uint64
	channels map[chanKey]*channel
	polls    int
	dropped  int            // polls ended by Drop, for tests
	wg       sync.WaitGroup // handlers and listener goroutines
}

// New returns a server with fresh random keys.
func New(o Options) *Server {
	o.Hold = cmp.Or(o.Hold, DefaultHold)
	o.Backlog = cmp.Or(o.Backlog, DefaultBacklog)
	o.BacklogAge = cmp.Or(o.BacklogAge, DefaultBacklogAge)
	return &Server{
		opts: o,
		keys: Keys{
			BroadcastSubscribe: "sub-c-" + rand.Text(),
			SignalSubscribe:    "sub-c-" + rand.Text(),
			SignalPublish:      "pub-c-" + rand.Text(),
		},
		log:      cmp.Or(o.Logger, slog.New(slog.DiscardHandler)),
		closing:  make(chan struct{}),
		channels: make(map[chanKey]*channel),
	}
}

// Keys returns the server's keys.
func (s *Server) Keys() Keys { return s.keys }

// tick returns a new timetoken, strictly greater than every earlier one.
// Called with s.mu held.
func (s *Server) tick(now time.Time) uint64 {
	tt := uint64(now.UnixNano() / 100)
	if tt <= s.lastTT {
		tt = s.lastTT + 1
	}
	s.lastTT = tt
	return tt
}

// Errors of the server's own publishes.
var (
	ErrTooLarge   = errors.New("pubnub: message over 32 KiB")
	ErrBadChannel = errors.New("pubnub: invalid channel name")
	ErrClosed     = errors.New("pubnub: server closed")
	ErrFull       = errors.New("pubnub: too many channels")
)

// PublishBroadcast publishes message (as a JSON string) on channel of the
// broadcast keyspace, where clients cannot publish.
func (s *Server) PublishBroadcast(ch, msg string) error {
	return s.publishString(broadcast, ch, msg)
}

// PublishSignal publishes message (as a JSON string) on channel of the
// signal keyspace, as a client with the signal keys would.
func (s *Server) PublishSignal(ch, msg string) error {
	return s.publishString(signal, ch, msg)
}

func (s *Server) publishString(space keyspace, ch, msg string) error {
	data, _ := json.Marshal(msg) // a string always marshals
	_, err := s.publish(space, ch, data, "pubnub-server")
	return err
}

// publish stores data on ch and wakes its polls and listeners.
func (s *Server) publish(space keyspace, ch string, data json.RawMessage, publisher string) (uint64, error) {
	if !validChannel(ch) {
		return 0, ErrBadChannel
	}
	if messageSize(ch, data) > MaxMessage {
		return 0, ErrTooLarge
	}
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	c := s.channelLocked(chanKey{space, ch}, now)
	if c == nil {
		s.mu.Unlock()
		return 0, ErrFull
	}
	m := message{tt: s.tick(now), data: data, publisher: publisher, published: now, visible: now.Add(s.opts.Latency)}
	c.backlog = append(c.backlog, m)
	s.trimLocked(c, now)
	for w := range c.waiters {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	var direct []*listener
	var text string
	isText := false
	if len(c.listeners) > 0 { // decoded only for the server's own receivers
		isText = len(data) > 0 && data[0] == '"' && json.Unmarshal(data, &text) == nil
	}
	for _, l := range c.listeners {
		switch {
		case !isText:
			s.log.Debug("pubnub: a listener's channel got a message that is not a string", "channel", ch)
		case l.q != nil:
			select {
			case l.q <- m:
			default:
				s.log.Warn("pubnub: listener queue full; message dropped", "channel", ch)
			}
		default:
			direct = append(direct, l)
		}
	}
	s.mu.Unlock()
	for _, l := range direct {
		l.f(text)
	}
	return m.tt, nil
}

// channelLocked returns the record of k, creating it; nil when the server
// holds maxChannels records that are all in use.
func (s *Server) channelLocked(k chanKey, now time.Time) *channel {
	if c := s.channels[k]; c != nil {
		return c
	}
	if len(s.channels) >= maxChannels {
		s.sweepLocked(now)
		if len(s.channels) >= maxChannels {
			return nil
		}
	}
	c := &channel{waiters: make(map[*waiter]struct{})}
	s.channels[k] = c
	return c
}

// sweepLocked forgets channels with nothing in them: no message, poll,
// listener or revocation, and no poll for a while.
func (s *Server) sweepLocked(now time.Time) {
	for k, c := range s.channels {
		s.trimLocked(c, now)
		if len(c.backlog) == 0 && len(c.waiters) == 0 && len(c.listeners) == 0 && !c.revoked &&
			now.Sub(c.lastPoll) > SubscribedGrace {
			delete(s.channels, k)
		}
	}
}

// trimLocked drops what is over the backlog's count or age.
func (s *Server) trimLocked(c *channel, now time.Time) {
	n := 0
	for n < len(c.backlog) && (len(c.backlog)-n > s.opts.Backlog || now.Sub(c.backlog[n].published) > s.opts.BacklogAge) {
		n++
	}
	if n > 0 {
		c.backlog = slices.Delete(c.backlog, 0, n)
	}
}

// Listen hands f every string message published on ch of the signal
// keyspace, by clients or PublishSignal, until stop: how the server reads
// channels of its own (a call's channel, a far end's signal channel).
// Without Latency, f runs on the publisher's goroutine and must not block;
// with it, on a goroutine of the listener's, in order, once each message is
// due. stop may be called more than once.
func (s *Server) Listen(ch string, f func(message string)) (stop func()) {
	l := &listener{f: f, quit: make(chan struct{})}
	k := chanKey{signal, ch}
	s.mu.Lock()
	c := s.channelLocked(k, time.Now())
	if c == nil || s.closed {
		s.mu.Unlock()
		s.log.Warn("pubnub: cannot listen", "channel", ch)
		return func() {}
	}
	if s.opts.Latency > 0 {
		l.q = make(chan message, DefaultBacklog)
		s.wg.Add(1)
		go s.runListener(l)
	}
	c.listeners = append(c.listeners, l)
	s.mu.Unlock()
	return func() {
		l.stop()
		s.mu.Lock()
		defer s.mu.Unlock()
		if c := s.channels[k]; c != nil {
			c.listeners = slices.DeleteFunc(c.listeners, func(x *listener) bool { return x == l })
		}
	}
}

func (s *Server) runListener(l *listener) {
	defer s.wg.Done()
	for {
		select {
		case m := <-l.q:
			if !timing.WaitUntil(m.visible, l.quit) {
				return
			}
			var text string
			_ = json.Unmarshal(m.data, &text) // only strings are queued
			l.f(text)
		case <-l.quit:
			return
		}
	}
}

// Subscribed reports whether a client polls ch (either keyspace): a poll is
// out, or one ended less than SubscribedGrace ago.
func (s *Server) Subscribed(ch string) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, space := range []keyspace{broadcast, signal} {
		c := s.channels[chanKey{space, ch}]
		if c != nil && !c.revoked && (len(c.waiters) > 0 || now.Sub(c.lastPoll) < SubscribedGrace) {
			return true
		}
	}
	return false
}

// Drop ends the polls held on channels (either keyspace) abruptly, as a
// dropped connection would: the client sees its request fail and polls
// again from the same cursor. The channels no longer count as subscribed
// until it does.
func (s *Server) Drop(channels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range channels {
		for _, space := range []keyspace{broadcast, signal} {
			c := s.channels[chanKey{space, ch}]
			if c == nil {
				continue
			}
			c.lastPoll = time.Time{}
			for w := range c.waiters {
				if !w.dropped {
					w.dropped = true
					close(w.drop)
					s.dropped++
				}
				delete(c.waiters, w)
			}
		}
	}
}

// Revoke refuses every poll of channels (either keyspace) from now on,
// held ones included, with 403, as PubNub's Access Manager does once a
// grant is revoked: how the server tells a client that the instance the
// channels belonged to is gone. Publishing to them is still accepted.
func (s *Server) Revoke(channels ...string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range channels {
		for _, space := range []keyspace{broadcast, signal} {
			c := s.channelLocked(chanKey{space, ch}, now)
			if c == nil {
				continue
			}
			c.revoked = true
			c.backlog = nil
			for w := range c.waiters {
				select {
				case w.wake <- struct{}{}:
				default:
				}
			}
		}
	}
}

// Close ends every held poll, stops the listeners and waits for every
// request handler and goroutine of the server. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
		for _, c := range s.channels {
			for _, l := range c.listeners {
				l.stop()
			}
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ServeHTTP serves PubNub's REST endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Header.Get("Origin") != "" { // a browser's request: CORS
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Accept")
		h.Set("Access-Control-Max-Age", "86400")
	}
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	seg, ok := segments(requestPath(r))
	if !ok {
		writeError(w, http.StatusBadRequest, "Invalid Path")
		return
	}
	switch {
	case r.Method == http.MethodGet && len(seg) == 5 && seg[0] == "v2" && seg[1] == "subscribe" && seg[4] == "0":
		s.handleSubscribe(w, r, seg[2], seg[3], r.URL.Query().Get("tt"), false)
	case r.Method == http.MethodGet && len(seg) == 5 && seg[0] == "subscribe" && seg[3] == "0":
		// Subscribe v1 (pubnub 3.x, the 1.x SDK): the timetoken is in
		// the path and the reply is an array.
		s.handleSubscribe(w, r, seg[1], seg[2], seg[4], true)
	case len(seg) >= 6 && seg[0] == "publish" && seg[3] == "0":
		s.handlePublish(w, r, seg)
	case r.Method == http.MethodGet && len(seg) == 2 && seg[0] == "time" && seg[1] == "0":
		s.mu.Lock()
		tt := s.tick(time.Now())
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, []uint64{tt})
	case r.Method == http.MethodGet && len(seg) == 7 && seg[0] == "v2" && seg[1] == "presence" &&
		(seg[2] == "sub-key" || seg[2] == "sub_key") &&
		seg[4] == "channel" && (seg[6] == "heartbeat" || seg[6] == "leave"):
		s.handlePresence(w, seg[3], seg[6])
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

// requestPath is the escaped path of r as the client sent it: a publish
// carries its message there, so it is taken from the request line rather
// than escaped again from the parsed URL.
func requestPath(r *http.Request) string {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	if strings.HasPrefix(p, "/") {
		return p
	}
	return r.URL.EscapedPath() // an absolute-form request line, or no RequestURI
}

// segments splits an escaped path into unescaped segments.
func segments(escaped string) ([]string, bool) {
	seg := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i, e := range seg {
		u, err := url.PathUnescape(e)
		if err != nil {
			return nil, false
		}
		seg[i] = u
	}
	return seg, true
}

// space returns the keyspace of a subscribe key.
func (s *Server) space(subKey string) (keyspace, bool) {
	switch subKey {
	case s.keys.BroadcastSubscribe:
		return broadcast, true
	case s.keys.SignalSubscribe:
		return signal, true
	}
	return 0, false
}

func (s *Server) handlePresence(w http.ResponseWriter, subKey, action string) {
	if _, ok := s.space(subKey); !ok {
		writeError(w, http.StatusForbidden, "Invalid Subscribe Key")
		return
	}
	body := map[string]any{"status": 200, "message": "OK", "service": "Presence"}
	if action == "leave" {
		body["action"] = "leave"
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request, seg []string) {
	var raw []byte
	switch {
	case r.Method == http.MethodGet && len(seg) == 7:
		raw = []byte(seg[6])
	case r.Method == http.MethodPost && len(seg) == 6:
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeArrayError(w, http.StatusRequestEntityTooLarge, "Message Too Large")
			return
		}
		raw = b
	default:
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if seg[1] != s.keys.SignalPublish || seg[2] != s.keys.SignalSubscribe {
		writeError(w, http.StatusForbidden, "Invalid Key")
		return
	}
	ch := seg[4]
	if !validChannel(ch) {
		writeArrayError(w, http.StatusBadRequest, "Invalid Channel")
		return
	}
	v, err := compact(raw)
	if err != nil {
		writeArrayError(w, http.StatusBadRequest, "Invalid JSON")
		return
	}
	tt, err := s.publish(signal, ch, v, r.URL.Query().Get("uuid"))
	switch {
	case errors.Is(err, ErrTooLarge):
		writeArrayError(w, http.StatusBadRequest, "Message Too Large")
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
	default:
		writeJSON(w, http.StatusOK, []any{1, "Sent", strconv.FormatUint(tt, 10)})
	}
}

// compact checks that raw is one JSON value and returns it without
// insignificant white space, in one pass.
func compact(raw []byte) (json.RawMessage, error) {
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	if b.Len() == 0 {
		return nil, errors.New("pubnub: no JSON value")
	}
	return b.Bytes(), nil
}

// envelope is a message of a subscribe reply, as appendPollReply writes it.
type envelope struct {
	A string          `json:"a"`
	F int             `json:"f"`
	I string          `json:"i,omitempty"`
	P publishTT       `json:"p"`
	K string          `json:"k"`
	C string          `json:"c"`
	D json.RawMessage `json:"d"`
}

type publishTT struct {
	T string `json:"t"`
	R int    `json:"r"`
}

// handleSubscribe serves a subscribe from timetoken ttText ("" or "0":
// the first). v1 selects the reply of subscribe v1 (writePoll).
func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request, subKey, list, ttText string, v1 bool) {
	space, ok := s.space(subKey)
	if !ok {
		writeError(w, http.StatusForbidden, "Invalid Subscribe Key")
		return
	}
	names := strings.Split(list, ",")
	if len(names) > maxPollChannels {
		writeError(w, http.StatusBadRequest, "Too Many Channels")
		return
	}
	for _, n := range names {
		if !validChannel(n) {
			writeError(w, http.StatusBadRequest, "Invalid Channel")
			return
		}
	}
	tt := uint64(0)
	if v := ttText; v != "" && v != "0" {
		var err error
		if tt, err = strconv.ParseUint(v, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "Invalid Timetoken")
			return
		}
	}
	if tt == 0 {
		// The first subscribe: the current timetoken, at once.
		now := time.Now()
		s.mu.Lock()
		revoked := false
		for _, n := range names {
			c := s.channelLocked(chanKey{space, n}, now)
			if c == nil {
				continue
			}
			revoked = revoked || c.revoked
			c.lastPoll = now // subscribed from now: the long poll follows
		}
		cur := s.tick(now)
		s.mu.Unlock()
		if revoked {
			writeError(w, http.StatusForbidden, "Forbidden")
			return
		}
		s.writePoll(w, cur, nil, v1)
		return
	}
	s.poll(w, r, space, subKey, names, tt, v1)
}

// poll answers a subscribe from timetoken tt: at once with what is there,
// else when a message comes or the hold ends.
func (s *Server) poll(w http.ResponseWriter, r *http.Request, space keyspace, subKey string, names []string, tt uint64, v1 bool) {
	wt := &waiter{wake: make(chan struct{}, 1), drop: make(chan struct{})}
	hold := time.NewTimer(s.opts.Hold)
	defer hold.Stop()
	registered := false
	defer func() {
		if registered {
			s.unregister(space, names, wt)
		}
	}()
	for {
		now := time.Now()
		s.mu.Lock()
		if !registered {
			if s.polls >= maxPolls {
				s.mu.Unlock()
				writeError(w, http.StatusServiceUnavailable, "Too Many Subscribers")
				return
			}
			for _, n := range names {
				c := s.channelLocked(chanKey{space, n}, now)
				if c == nil {
					s.mu.Unlock()
					writeError(w, http.StatusServiceUnavailable, "Too Many Channels")
					return
				}
				c.waiters[wt] = struct{}{}
			}
			s.polls++
			registered = true
		}
		revoked := false
		var found []message
		var foundCh []string
		var next time.Time // when the next message becomes visible
		for _, n := range names {
			c := s.channels[chanKey{space, n}]
			if c == nil {
				continue
			}
			revoked = revoked || c.revoked
			s.trimLocked(c, now)
			for _, m := range c.backlog {
				switch {
				case m.tt <= tt:
				case !m.visible.After(now):
					found = append(found, m)
					foundCh = append(foundCh, n)
				case next.IsZero() || m.visible.Before(next):
					next = m.visible
				}
			}
		}
		s.mu.Unlock()
		if revoked {
			writeError(w, http.StatusForbidden, "Forbidden")
			return
		}
		if len(found) > 0 {
			s.writeMessages(w, subKey, found, foundCh, v1)
			return
		}
		if !s.wait(r, wt, hold.C, next) {
			if r.Context().Err() == nil { // the hold ended: the same cursor
				s.writePoll(w, tt, nil, v1)
			}
			return
		}
	}
}

// wait holds a poll until it should look again (true): a message came, or
// one becomes visible at next. It answers the poll itself when the hold
// ends (false), and aborts it on Drop or Close.
func (s *Server) wait(r *http.Request, wt *waiter, hold <-chan time.Time, next time.Time) bool {
	var visible <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		visible = t.C
	}
	select {
	case <-wt.wake:
		return true
	case <-visible:
		return true
	case <-hold:
		return false
	case <-r.Context().Done():
		return false
	case <-wt.drop:
		panic(http.ErrAbortHandler) // the connection drops without an answer
	case <-s.closing:
		panic(http.ErrAbortHandler)
	}
}

// unregister removes a poll's waiter and records when it ended.
func (s *Server) unregister(space keyspace, names []string, wt *waiter) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls--
	for _, n := range names {
		if c := s.channels[chanKey{space, n}]; c != nil {
			delete(c.waiters, wt)
			if !wt.dropped {
				c.lastPoll = now
			}
		}
	}
}

// writeMessages answers a poll with found (from the channels foundCh), in
// timetoken order, at most maxPerReply; the cursor is the last one's.
func (s *Server) writeMessages(w http.ResponseWriter, subKey string, found []message, foundCh []string, v1 bool) {
	idx := make([]int, len(found))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(found[a].tt, found[b].tt) })
	if len(idx) > maxPerReply {
		idx = idx[:maxPerReply]
	}
	env := make([]envelope, len(idx))
	for i, j := range idx {
		m := found[j]
		env[i] = envelope{A: "1", I: m.publisher, P: publishTT{T: strconv.FormatUint(m.tt, 10), R: region},
			K: subKey, C: foundCh[j], D: m.data}
	}
	s.writePoll(w, found[idx[len(idx)-1]].tt, env, v1)
}

// writePoll answers a subscribe with the cursor tt and the messages env.
// The v2 reply is {"t":{"t","r"},"m":[envelope...]}; the v1 reply is
// [[message...],"<tt>"], plus a third element naming the channel of each
// message, comma-joined, when there are messages (docs/sinch-rtc-1x.md
// section 5).
func (s *Server) writePoll(w http.ResponseWriter, tt uint64, env []envelope, v1 bool) {
	if v1 {
		msgs := make([]json.RawMessage, len(env))
		chs := make([]string, len(env))
		for i, e := range env {
			msgs[i], chs[i] = e.D, e.C
		}
		rep := []any{msgs, strconv.FormatUint(tt, 10)}
		if len(env) > 0 {
			rep = append(rep, strings.Join(chs, ","))
		}
		writeJSON(w, http.StatusOK, rep)
		return
	}
	writeRaw(w, appendPollReply(nil, tt, env))
}

// appendPollReply appends the v2 reply {"t":{"t","r"},"m":[envelope...]}.
// It is built by hand, not by json.Marshal, which would check and compact
// every message's JSON again on each reply: the messages were checked and
// compacted once, when published.
func appendPollReply(b []byte, tt uint64, env []envelope) []byte {
	size := 64
	for _, e := range env {
		size += 128 + len(e.I) + len(e.K) + len(e.C) + len(e.D)
	}
	b = slices.Grow(b, size)
	b = append(b, `{"t":{"t":"`...)
	b = strconv.AppendUint(b, tt, 10)
	b = append(b, `","r":`...)
	b = strconv.AppendInt(b, region, 10)
	b = append(b, `},"m":[`...)
	for i, e := range env {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"a":`...)
		b = appendString(b, e.A)
		b = append(b, `,"f":`...)
		b = strconv.AppendInt(b, int64(e.F), 10)
		if e.I != "" {
			b = append(b, `,"i":`...)
			b = appendString(b, e.I)
		}
		b = append(b, `,"p":{"t":`...)
		b = appendString(b, e.P.T)
		b = append(b, `,"r":`...)
		b = strconv.AppendInt(b, int64(e.P.R), 10)
		b = append(b, `},"k":`...)
		b = appendString(b, e.K)
		b = append(b, `,"c":`...)
		b = appendString(b, e.C)
		b = append(b, `,"d":`...)
		b = append(b, e.D...)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// validChannel: 1 to MaxChannelLen bytes, none of them a comma, slash,
// control character or space.
func validChannel(ch string) bool {
	if ch == "" || len(ch) > MaxChannelLen {
		return false
	}
	for i := 0; i < len(ch); i++ {
		if c := ch[i]; c <= ' ' || c == ',' || c == '/' || c == 0x7f {
			return false
		}
	}
	return true
}

// messageSize is what counts against MaxMessage.
func messageSize(ch string, data []byte) int {
	return escapedLen(data) + escapedLen(ch)
}

// escapedLen is the length of s with every byte but the unreserved ones
// (RFC 3986) percent-escaped.
func escapedLen[S string | []byte](s S) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			n += 2
		}
	}
	return n
}

// writeRaw answers 200 with b, a JSON document.
func writeRaw(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":500,"error":true,"message":"Internal Error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers with PubNub's JSON error object.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "error": true, "service": "Access Manager", "message": msg})
}

// writeArrayError answers a publish with PubNub's array form of an error.
func writeArrayError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, []any{0, msg, fmt.Sprint(time.Now().UnixNano() / 100)})
}

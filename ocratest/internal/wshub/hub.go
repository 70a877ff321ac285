// Package wshub is the server side of the WebSocket realtime channel of
// protocol.md section 4: the Hub ocratest serves with WithWebSocket. The
// client side, and the frames both share, are internal/pubsub's (WSConn,
// Frame, EncodeFrame, DecodeFrame). Its tests run WSConn against the Hub.
package wshub

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/timing"
)

// Codes of the error frames a Hub sends.
const (
	CodeInvalidFrame = ocra.CodeValidation  // 40001: the frame failed DecodeFrame's checks
	CodeForbidden    = ocra.CodeWrongScheme // 40301: the channel rules refuse the operation
)

const (
	// queueSize is how many outgoing frames a connection may have waiting;
	// a client that lets its queue fill up is dropped.
	queueSize = 256
	// writeWait bounds one write to a client.
	writeWait = 10 * time.Second
	// closeGrace bounds how long the hub waits for a client's close frame
	// before it drops the TCP connection.
	closeGrace = time.Second
)

// HubOptions configure a Hub.
type HubOptions struct {
	// Authorize checks the upgrade request and returns the instance it
	// belongs to. It is required: without it every upgrade is refused.
	Authorize func(r *http.Request) (instanceID string, err *ocra.APIError)
	// Channel says what a channel is, from the server's own records:
	// channel names are opaque, so nothing is read into them. nil: every
	// channel is open to publish by anyone and subscribe by nobody.
	Channel func(name string) ChannelRule
	// Latency delays every message frame (not acks) by this much, in
	// order: a slower network, for benchmarks.
	Latency time.Duration
	Logger  *slog.Logger // nil discards logs
}

// ChannelRule is what the server knows of a channel.
type ChannelRule struct {
	// Owner is the instance that may subscribe to it; "" means nobody.
	Owner string
	// ServerOnly channels (an instance's broadcast channel) take messages
	// from the server (Hub.Publish) only: a client's publish is refused.
	ServerOnly bool
}

// Hub is the server side of the pub/sub channel, an http.Handler for
// GET /ocra/v1/pubsub. It enforces the channel rules of protocol.md
// section 4, asking HubOptions.Channel what a channel is:
//   - a client subscribes only to channels its instance owns (else 40301);
//   - a client never publishes to a ServerOnly channel (40301); only
//     Hub.Publish does;
//   - any other publish goes to every connection subscribed to the channel
//     and to its listener (Listen), and is acked even when there is none,
//     as PubNub does: an ack means accepted, not delivered;
//   - a malformed frame is answered with an error frame (40001) and the
//     connection stays; a frame over MaxFrameSize closes it.
//
// Each connection has a read goroutine and a writer goroutine fed by a
// bounded queue, so a slow client never blocks Publish: when its queue is
// full it is dropped.
type Hub struct {
	opts     HubOptions
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu        sync.Mutex
	closed    bool
	conns     map[*hubConn]struct{}
	subs      map[string]map[*hubConn]struct{} // channel -> subscribers
	listeners map[string]*listener             // channel -> the server's own receiver
	wg        sync.WaitGroup                   // every connection goroutine
}

// outFrame is a frame queued for a connection's writer, sent no earlier
// than due (HubOptions.Latency).
type outFrame struct {
	b   []byte
	due time.Time
}

// listener is a receiver inside the server of one channel (Hub.Listen).
// With HubOptions.Latency it has a queue and a goroutine that calls f when
// each message is due.
type listener struct {
	f        func(message string)
	q        chan outFrame // nil without latency
	quit     chan struct{}
	stopOnce sync.Once
}

func (l *listener) stop() { l.stopOnce.Do(func() { close(l.quit) }) }

// later queues message for the listener's goroutine, due after the hub's
// latency; a full queue drops it.
func (l *listener) later(h *Hub, message string) {
	select {
	case l.q <- outFrame{b: []byte(message), due: time.Now().Add(h.opts.Latency)}:
	default:
		h.log.Warn("pubsub: listener queue full; message dropped")
	}
}

// run delivers the listener's queued messages when due, until stop.
func (h *Hub) runListener(l *listener) {
	defer h.wg.Done()
	for {
		select {
		case f := <-l.q:
			if !timing.WaitUntil(f.due, l.quit) {
				return
			}
			l.f(string(f.b))
		case <-l.quit:
			return
		}
	}
}

// hubConn is one client connection of a Hub.
type hubConn struct {
	instance string
	ws       *websocket.Conn
	out      chan outFrame // encoded frames for the writer; never closed
	quit     chan struct{} // closed when the hub drops the connection
	readDone chan struct{} // closed when the read goroutine exits

	// Guarded by Hub.mu; closeCode and closeText are set before quit closes.
	dropped   bool
	channels  map[string]struct{}
	closeCode int
	closeText string
}

// NewHub returns a Hub ready to serve.
func NewHub(opts HubOptions) *Hub {
	return &Hub{
		opts: opts,
		log:  cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		upgrader: websocket.Upgrader{
			// Clients authenticate by signature, not by cookie, so a
			// cross-origin page gains nothing: accept any origin.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		conns:     make(map[*hubConn]struct{}),
		subs:      make(map[string]map[*hubConn]struct{}),
		listeners: make(map[string]*listener),
	}
}

// ServeHTTP authorizes and upgrades the request, then serves the connection
// until it ends. A refused request gets the APIError's HTTP status and JSON
// body before any upgrade.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.isClosed() {
		writeAPIError(w, &ocra.APIError{Status: http.StatusServiceUnavailable,
			Code: ocra.CodeServiceUnavailable, Message: "pubsub hub closed"})
		return
	}
	instance, apiErr := h.authorize(r)
	if apiErr != nil {
		writeAPIError(w, apiErr)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Debug("pubsub: upgrade failed", "instance", instance, "err", err)
		return // the upgrader answered with an HTTP error
	}
	ws.SetReadLimit(pubsub.MaxFrameSize)
	c := &hubConn{
		instance: instance,
		ws:       ws,
		out:      make(chan outFrame, queueSize),
		quit:     make(chan struct{}),
		readDone: make(chan struct{}),
		channels: make(map[string]struct{}),
	}
	if !h.register(c) {
		_ = ws.Close()
		return
	}
	go h.writeLoop(c)
	h.readLoop(c)
}

func (h *Hub) authorize(r *http.Request) (string, *ocra.APIError) {
	if h.opts.Authorize == nil {
		return "", &ocra.APIError{Status: http.StatusUnauthorized,
			Code: ocra.CodeMissingAuth, Message: "pubsub hub has no Authorize"}
	}
	return h.opts.Authorize(r)
}

// writeAPIError answers with e's status (code/100 when e has none) and JSON.
func writeAPIError(w http.ResponseWriter, e *ocra.APIError) {
	status := cmp.Or(e.Status, e.Code/100)
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", ocra.ContentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// Publish sends a server-originated message to every connection subscribed
// to channel and returns how many it was queued for. An invalid channel or
// a message too large for one frame reaches nobody.
func (h *Hub) Publish(channel, message string) int {
	n, err := h.deliver(channel, message)
	if err != nil {
		h.log.Warn("pubsub: publish refused", "channel", channel, "err", err)
	}
	return n
}

// Listen hands f every message published to channel, by clients or by
// Publish, until stop is called: how the server receives on signal channels
// of its own, such as those of media endpoints that act as call peers. f is
// called on the publisher's goroutine, so it must not block. A channel has
// one listener: Listen replaces the previous one. stop may be called more
// than once; it removes only this listener.
func (h *Hub) Listen(channel string, f func(message string)) (stop func()) {
	l := &listener{f: f, quit: make(chan struct{})}
	h.mu.Lock()
	if h.opts.Latency > 0 && !h.closed {
		l.q = make(chan outFrame, queueSize)
		h.wg.Add(1)
		go h.runListener(l)
	}
	if old := h.listeners[channel]; old != nil {
		old.stop()
	}
	h.listeners[channel] = l
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		l.stop()
		if h.listeners[channel] == l {
			delete(h.listeners, channel)
		}
	}
}

// Subscribed reports whether any connection is subscribed to channel.
func (h *Hub) Subscribed(channel string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[channel]) > 0
}

// Disconnect drops every connection of instanceID with close code 1001. Its
// subscriptions are gone when Disconnect returns; the close handshake
// finishes in the background.
func (h *Hub) Disconnect(instanceID string) {
	h.mu.Lock()
	var victims []*hubConn
	for c := range h.conns {
		if c.instance == instanceID {
			victims = append(victims, c)
		}
	}
	h.mu.Unlock()
	for _, c := range victims {
		h.drop(c, websocket.CloseGoingAway, "disconnected")
	}
}

// Close refuses new connections (503), drops every connection and waits for
// all their goroutines to exit. It is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	all := make([]*hubConn, 0, len(h.conns))
	for c := range h.conns {
		all = append(all, c)
	}
	for _, l := range h.listeners {
		l.stop()
	}
	h.mu.Unlock()
	for _, c := range all {
		h.drop(c, websocket.CloseGoingAway, "server closing")
	}
	h.wg.Wait()
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// register adds c to the hub unless the hub is closed. It counts c's two
// goroutines under the lock, so that Close cannot miss them.
func (h *Hub) register(c *hubConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	return true
}

// drop removes c and its subscriptions and tells its writer to close it
// with code and text. It never blocks on the network and reports whether c
// was still connected.
func (h *Hub) drop(c *hubConn, code int, text string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.dropped {
		return false
	}
	c.dropped = true
	delete(h.conns, c)
	for ch := range c.channels {
		h.unsubscribeLocked(c, ch)
	}
	c.closeCode, c.closeText = code, text
	close(c.quit)
	return true
}

// dropSlow drops a client whose queue is full. Its writer may be stuck in a
// write, so the TCP connection is closed at once.
func (h *Hub) dropSlow(c *hubConn) {
	if h.drop(c, websocket.CloseTryAgainLater, "too slow") {
		h.log.Warn("pubsub: dropping slow connection", "instance", c.instance)
		_ = c.ws.Close()
	}
}

func (h *Hub) unsubscribeLocked(c *hubConn, ch string) {
	delete(c.channels, ch)
	if subs := h.subs[ch]; subs != nil {
		delete(subs, c)
		if len(subs) == 0 {
			delete(h.subs, ch)
		}
	}
}

// enqueue queues b for c without blocking; a full queue drops c.
func (h *Hub) enqueue(c *hubConn, b []byte) {
	select {
	case c.out <- outFrame{b: b}:
	default:
		h.dropSlow(c)
	}
}

// deliver queues a message frame for every subscriber of channel and hands
// the message to the channel's listener.
func (h *Hub) deliver(channel, message string) (int, error) {
	b, err := pubsub.EncodeFrame(pubsub.Frame{Op: pubsub.OpMessage, Channel: channel, Message: message})
	if err != nil {
		return 0, err
	}
	var n int
	var slow []*hubConn
	f := outFrame{b: b}
	if h.opts.Latency > 0 {
		f.due = time.Now().Add(h.opts.Latency)
	}
	h.mu.Lock()
	l := h.listeners[channel]
	for c := range h.subs[channel] {
		select {
		case c.out <- f:
			n++
		default:
			slow = append(slow, c)
		}
	}
	h.mu.Unlock()
	for _, c := range slow {
		h.dropSlow(c)
	}
	if l != nil {
		if l.q != nil {
			// The listener must not block its publisher: it hears the
			// message later, on a goroutine of its own, in order.
			l.later(h, message)
		} else {
			l.f(message)
		}
		n++
	}
	return n, nil
}

func (h *Hub) writeLoop(c *hubConn) {
	defer h.wg.Done()
	for {
		select {
		case f := <-c.out:
			if !f.due.IsZero() && !timing.WaitUntil(f.due, c.quit) {
				h.closeConn(c)
				return
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, f.b); err != nil {
				h.log.Debug("pubsub: write failed", "instance", c.instance, "err", err)
				h.drop(c, websocket.CloseAbnormalClosure, "")
				_ = c.ws.Close()
				return
			}
		case <-c.quit:
			h.closeConn(c)
			return
		}
	}
}

// closeConn sends the close frame and gives the client closeGrace to answer
// before it drops the TCP connection, which ends the read goroutine.
func (h *Hub) closeConn(c *hubConn) {
	msg := websocket.FormatCloseMessage(c.closeCode, c.closeText)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace))
	t := time.NewTimer(closeGrace)
	select {
	case <-c.readDone:
	case <-t.C:
	}
	t.Stop()
	_ = c.ws.Close()
}

func (h *Hub) readLoop(c *hubConn) {
	defer h.wg.Done()
	defer close(c.readDone)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				h.log.Warn("pubsub: closing connection that sent an oversized frame", "instance", c.instance)
			}
			h.drop(c, websocket.CloseNormalClosure, "")
			return
		}
		h.handle(c, b)
	}
}

// handle answers one frame from c.
func (h *Hub) handle(c *hubConn, b []byte) {
	f, err := pubsub.DecodeFrame(b)
	if err != nil {
		h.replyError(c, f.ID, CodeInvalidFrame, strings.TrimPrefix(err.Error(), "pubsub: "))
		return
	}
	switch f.Op {
	case pubsub.OpSubscribe:
		h.subscribe(c, f)
	case pubsub.OpUnsubscribe:
		h.unsubscribe(c, f)
	case pubsub.OpPublish:
		h.publishFrom(c, f)
	case pubsub.OpPing:
		h.reply(c, pubsub.Frame{Op: pubsub.OpPong, ID: f.ID})
	default:
		h.replyError(c, f.ID, CodeInvalidFrame, fmt.Sprintf("op %q is not sent by clients", f.Op))
	}
}

func (h *Hub) subscribe(c *hubConn, f pubsub.Frame) {
	for _, ch := range f.Channels {
		if h.rule(ch).Owner != c.instance {
			h.replyError(c, f.ID, CodeForbidden, fmt.Sprintf(
				"subscribe to %s refused: an instance subscribes only to its own broadcast and signal channels", ch))
			return
		}
	}
	h.mu.Lock()
	if !c.dropped {
		for _, ch := range f.Channels {
			c.channels[ch] = struct{}{}
			if h.subs[ch] == nil {
				h.subs[ch] = make(map[*hubConn]struct{})
			}
			h.subs[ch][c] = struct{}{}
		}
	}
	h.mu.Unlock()
	h.ack(c, f.ID)
}

func (h *Hub) unsubscribe(c *hubConn, f pubsub.Frame) {
	h.mu.Lock()
	for _, ch := range f.Channels {
		h.unsubscribeLocked(c, ch)
	}
	h.mu.Unlock()
	h.ack(c, f.ID)
}

func (h *Hub) publishFrom(c *hubConn, f pubsub.Frame) {
	if h.rule(f.Channel).ServerOnly {
		h.replyError(c, f.ID, CodeForbidden, fmt.Sprintf(
			"publish to %s refused: only the server publishes to broadcast channels", f.Channel))
		return
	}
	if _, err := h.deliver(f.Channel, f.Message); err != nil {
		h.replyError(c, f.ID, CodeInvalidFrame, strings.TrimPrefix(err.Error(), "pubsub: "))
		return
	}
	h.ack(c, f.ID)
}

// rule asks HubOptions.Channel what channel is.
func (h *Hub) rule(channel string) ChannelRule {
	if h.opts.Channel == nil {
		return ChannelRule{}
	}
	return h.opts.Channel(channel)
}

// ack acknowledges request id; subscribe and unsubscribe frames without an
// id are not acknowledged.
func (h *Hub) ack(c *hubConn, id uint64) {
	if id != 0 {
		h.reply(c, pubsub.Frame{Op: pubsub.OpAck, ID: id})
	}
}

func (h *Hub) replyError(c *hubConn, id uint64, code int, msg string) {
	h.reply(c, pubsub.Frame{Op: pubsub.OpError, ID: id, Code: code, Message: msg})
}

func (h *Hub) reply(c *hubConn, f pubsub.Frame) {
	b, err := pubsub.EncodeFrame(f)
	if err != nil {
		h.log.Error("pubsub: cannot encode reply", "op", f.Op, "err", err)
		return
	}
	h.enqueue(c, b)
}

package pubsub

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// ErrClosed is wrapped by every error of a Conn whose connection is gone,
// whether Close ended it or the network or the server did.
var ErrClosed = errors.New("pubsub: connection closed")

// ServerError is an error frame the server answered a request with.
type ServerError struct {
	Code    int // Ocra error code, e.g. CodeForbidden
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("pubsub: server error %d: %s", e.Code, e.Message)
}

// Handler receives the messages of subscribed channels. It is called on the
// connection's read goroutine, in the order the server sent them, and must
// not block: acks of pending requests are read by the same goroutine.
type Handler func(channel, message string)

// DialOptions configure Dial.
type DialOptions struct {
	Header           http.Header   // the instance-signed upgrade headers
	Handler          Handler       // nil drops incoming messages
	TLSConfig        *tls.Config   // for wss URLs; nil uses Transport's, else the system defaults
	HandshakeTimeout time.Duration // default 10 s
	RequestTimeout   time.Duration // default for acks and pongs, 10 s
	Logger           *slog.Logger  // nil discards logs
	// Transport, when set, is the application's HTTP transport: the
	// connection is dialled with its Proxy, DialContext, DialTLSContext and
	// TLSClientConfig, as its HTTP requests are. nil: the environment's
	// proxy (HTTP_PROXY, ...), the system's dialer and TLS roots.
	Transport *http.Transport
}

const (
	defaultHandshakeTimeout = 10 * time.Second
	defaultRequestTimeout   = 10 * time.Second
	// closeGrace bounds how long a closing side waits for the peer's close
	// frame before it drops the TCP connection.
	closeGrace = time.Second
	// maxErrorBody bounds how much of a refused handshake's body is parsed.
	maxErrorBody = 4 << 10
	// maxHandshakeResponse bounds the bytes read from the connection until
	// the upgrade completes: status line, headers and a refusal's body
	// (through a proxy, its CONNECT answer too). A real answer is well
	// under 1 KiB; without a bound, a server answering with an endless
	// header line would make the client buffer all of it.
	maxHandshakeResponse = 64 << 10
)

// errHandshakeTooLarge fails a handshake whose response passes
// maxHandshakeResponse.
var errHandshakeTooLarge = errors.New("the server's handshake response is over 64 KiB: it is not a WebSocket server")

// WSConn is a client connection to the WebSocket pub/sub server. It is safe for
// concurrent use and implements PubSub.
type WSConn struct {
	ws      *websocket.Conn
	handler Handler
	timeout time.Duration
	log     *slog.Logger

	nextID atomic.Uint64
	wsem   chan struct{} // held while writing: gorilla allows one writer

	mu      sync.Mutex
	pending map[uint64]chan Frame // by request id; nil once closed
	err     error
	done    chan struct{}

	readDone  chan struct{}
	closeOnce sync.Once
}

var _ PubSub = (*WSConn)(nil)

// Dial opens a connection to url (ws:// or wss://). ctx and
// opts.HandshakeTimeout bound the handshake only. When the server refuses
// the upgrade, the error is the server's *ocra.APIError with its HTTP status.
func Dial(ctx context.Context, url string, opts DialOptions) (*WSConn, error) {
	var limited *handshakeLimitConn // the TCP connection, once dialled
	limit := func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			limited = newHandshakeLimitConn(conn, maxHandshakeResponse)
			return limited, nil
		}
	}
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: cmp.Or(opts.HandshakeTimeout, defaultHandshakeTimeout),
		TLSClientConfig:  opts.TLSConfig,
		NetDialContext:   limit((&net.Dialer{}).DialContext),
	}
	if t := opts.Transport; t != nil {
		d.Proxy = t.Proxy // nil: no proxy, as for the transport's requests
		if t.DialContext != nil {
			d.NetDialContext = limit(t.DialContext)
		}
		if t.Proxy == nil && t.DialTLSContext != nil {
			// As http.Transport: DialTLSContext is for connections
			// that do not go through a proxy.
			d.NetDialTLSContext = limit(t.DialTLSContext)
		}
		if d.TLSClientConfig == nil {
			d.TLSClientConfig = t.TLSClientConfig
		}
	}
	ws, resp, err := d.DialContext(ctx, url, opts.Header)
	if err == nil && limited != nil {
		limited.lift() // frames are bounded by the read limit below
	}
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, handshakeError(resp)
		}
		return nil, fmt.Errorf("pubsub: dial: %w", err)
	}
	ws.SetReadLimit(MaxFrameSize)
	c := &WSConn{
		ws:       ws,
		handler:  opts.Handler,
		timeout:  cmp.Or(opts.RequestTimeout, defaultRequestTimeout),
		log:      cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		wsem:     make(chan struct{}, 1),
		pending:  make(map[uint64]chan Frame),
		done:     make(chan struct{}),
		readDone: make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// handshakeLimitConn fails reads once the handshake has read its limit,
// until lift. Reads are not concurrent: the handshake reads, and the read
// loop starts after lift.
type handshakeLimitConn struct {
	net.Conn
	left atomic.Int64 // bytes the handshake may still read; -1 once lifted
}

func newHandshakeLimitConn(conn net.Conn, limit int64) *handshakeLimitConn {
	c := &handshakeLimitConn{Conn: conn}
	c.left.Store(limit)
	return c
}

func (c *handshakeLimitConn) Read(p []byte) (int, error) {
	left := c.left.Load()
	switch {
	case left < 0:
		return c.Conn.Read(p)
	case left == 0:
		return 0, errHandshakeTooLarge
	case int64(len(p)) > left:
		p = p[:left]
	}
	n, err := c.Conn.Read(p)
	c.left.Add(-int64(n))
	return n, err
}

// lift removes the limit once the handshake is done.
func (c *handshakeLimitConn) lift() { c.left.Store(-1) }

// handshakeError turns a refused upgrade into the server's APIError. A body
// that is not Ocra's error JSON gives code = status*100.
func handshakeError(resp *http.Response) *ocra.APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &ocra.APIError{}
	if json.Unmarshal(body, e) != nil || e.Code == 0 {
		e = &ocra.APIError{
			Code:    resp.StatusCode * 100,
			Message: "pubsub handshake refused: " + resp.Status,
		}
	}
	e.Status = resp.StatusCode
	return e
}

// Subscribe subscribes to channels and returns once the server acknowledged.
func (c *WSConn) Subscribe(ctx context.Context, channels ...string) error {
	return c.request(ctx, Frame{Op: OpSubscribe, Channels: channels})
}

// Unsubscribe unsubscribes from channels and returns once the server
// acknowledged.
func (c *WSConn) Unsubscribe(ctx context.Context, channels ...string) error {
	return c.request(ctx, Frame{Op: OpUnsubscribe, Channels: channels})
}

// Publish sends message to channel and returns once the server acknowledged
// it. An ack means the server accepted the message, not that anyone
// received it.
func (c *WSConn) Publish(ctx context.Context, channel, message string) error {
	return c.request(ctx, Frame{Op: OpPublish, Channel: channel, Message: message})
}

// Ping asks the server for a pong and returns when it arrives.
func (c *WSConn) Ping(ctx context.Context) error {
	return c.request(ctx, Frame{Op: OpPing})
}

// Done is closed when the connection is gone.
func (c *WSConn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection is up, then an error wrapping
// ErrClosed and the cause.
func (c *WSConn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close sends a close frame, waits for the read goroutine to exit and fails
// pending requests. It is idempotent and always returns nil. It must not be
// called from the Handler.
func (c *WSConn) Close() error {
	c.closeOnce.Do(func() {
		if c.setErr(ErrClosed) {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace))
			t := time.NewTimer(closeGrace)
			select {
			case <-c.readDone: // the server answered the close frame
			case <-t.C:
			}
			t.Stop()
		}
		_ = c.ws.Close()
		<-c.readDone
	})
	return nil
}

// request sends f with a fresh id and waits for the server's answer.
func (c *WSConn) request(ctx context.Context, f Frame) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	f.ID = c.nextID.Add(1)
	b, err := EncodeFrame(f)
	if err != nil {
		return err
	}
	reply, err := c.register(f.ID)
	if err != nil {
		return err
	}
	if err := c.write(ctx, b); err != nil {
		c.unregister(f.ID)
		return err
	}
	select {
	case r := <-reply:
		return replyError(r)
	case <-c.done:
		select {
		case r := <-reply: // answered just before the connection went
			return replyError(r)
		default:
			return c.Err()
		}
	case <-ctx.Done():
		c.unregister(f.ID)
		return fmt.Errorf("pubsub: no answer to %s %d: %w", f.Op, f.ID, ctx.Err())
	}
}

func replyError(r Frame) error {
	if r.Op == OpError {
		return &ServerError{Code: r.Code, Message: r.Message}
	}
	return nil
}

func (c *WSConn) register(id uint64) (chan Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	ch := make(chan Frame, 1)
	c.pending[id] = ch
	return ch, nil
}

func (c *WSConn) unregister(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// write sends one text frame; ctx bounds the wait for the writer slot and
// the write itself. A failed write ends the connection.
func (c *WSConn) write(ctx context.Context, b []byte) error {
	select {
	case c.wsem <- struct{}{}:
	case <-c.done:
		return c.Err()
	case <-ctx.Done():
		return fmt.Errorf("pubsub: waiting to write: %w", ctx.Err())
	}
	defer func() { <-c.wsem }()
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.ws.SetWriteDeadline(deadline)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.fail(fmt.Errorf("write: %w", err))
		return c.Err()
	}
	return nil
}

func (c *WSConn) readLoop() {
	defer close(c.readDone)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.fail(err)
			return
		}
		f, err := DecodeFrame(b)
		if err != nil {
			c.log.Warn("pubsub: dropping invalid frame from server", "err", err)
			continue
		}
		c.dispatch(f)
	}
}

func (c *WSConn) dispatch(f Frame) {
	switch f.Op {
	case OpMessage:
		if c.handler != nil {
			c.handler(f.Channel, f.Message)
		}
	case OpAck, OpPong, OpError:
		if c.resolve(f) {
			return
		}
		if f.Op == OpError {
			c.log.Warn("pubsub: server error", "id", f.ID, "code", f.Code, "message", f.Message)
		} else {
			c.log.Debug("pubsub: answer to no pending request", "op", f.Op, "id", f.ID)
		}
	default:
		c.log.Warn("pubsub: unexpected op from server", "op", f.Op)
	}
}

// resolve hands f to the request waiting for its id, if any.
func (c *WSConn) resolve(f Frame) bool {
	c.mu.Lock()
	ch, ok := c.pending[f.ID]
	delete(c.pending, f.ID)
	c.mu.Unlock()
	if ok {
		ch <- f // buffered, receives exactly one answer
	}
	return ok
}

// fail ends the connection because of cause and unblocks the read goroutine.
func (c *WSConn) fail(cause error) {
	c.setErr(fmt.Errorf("%w: %w", ErrClosed, cause))
	_ = c.ws.Close()
}

// setErr records why the connection ended, fails pending requests and
// closes Done. Only the first call has an effect; it reports whether it was
// the first.
func (c *WSConn) setErr(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	c.pending = nil
	close(c.done)
	return true
}

var _ Conn = (*WSConn)(nil)

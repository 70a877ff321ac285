package pubsub

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Defaults of PubNubOptions.
const (
	defaultPollTimeout = 320 * time.Second
	// retryFirst and retryMax bound the backoff between two attempts of a
	// failing long poll: the first retry is immediate, then about
	// retryFirst, doubling up to retryMax, each jittered by up to half.
	retryFirst = 50 * time.Millisecond
	retryMax   = time.Second
	// emptyPollPace is the least time between two polls whose replies
	// were empty (PubNub holds an empty poll for minutes).
	emptyPollPace = 20 * time.Millisecond
	// maxIdlePublishConns is how many idle connections the conn's own
	// transport keeps for publishes: a call publishes the frames of its
	// messages at once (an Ack and a Join, two frames each).
	maxIdlePublishConns = 4
)

// PubNubConn is the realtime channel over PubNub's REST protocol
// (real-wire.md section 1): two long polls, one per network, and publish
// and time requests. It is safe for concurrent use and implements Conn.
//
// A poll that fails in a way that may pass (the connection dropped, a
// timeout, a 5xx answer, a reply that does not decode) is tried again from
// the same cursor, at once and then with a short jittered backoff, so that
// a message published meanwhile is delivered once, neither lost nor
// repeated. The connection is declared gone (Done closed, Err wrapping
// ErrClosed) only when polls keep failing for longer than RequestTimeout,
// or when the server refuses one with a 4xx (a bad key, say). The client
// then dials again with Resume set to Cursor().
type PubNubConn struct {
	o         PubNubOptions
	base      *url.URL
	rest      *http.Client // publish, time, the first subscribes
	poll      *http.Client // the long polls: no client timeout
	owned     *http.Transport
	log       *slog.Logger
	handlerMu sync.Mutex // serializes Handler calls of the two polls

	stop context.CancelFunc // ends the polls
	wg   sync.WaitGroup

	mu     sync.Mutex
	cursor Cursor
	err    error
	done   chan struct{}

	closeOnce sync.Once
}

var _ Conn = (*PubNubConn)(nil)

// network is one of the two subscriptions.
type network struct {
	name    string // "broadcast" or "signal", for logs and errors
	key     string // subscribe key
	channel string
	at      func(*Cursor) *Timetoken
}

func (c *PubNubConn) networks() [2]network {
	return [2]network{
		{"broadcast", c.o.BroadcastSubscribeKey, c.o.BroadcastChannel, func(x *Cursor) *Timetoken { return &x.Broadcast }},
		{"signal", c.o.SignalSubscribeKey, c.o.SignalChannel, func(x *Cursor) *Timetoken { return &x.Signal }},
	}
}

// DialPubNub subscribes to the broadcast and signal channels of o and
// returns once both subscriptions answered, within o.RequestTimeout. With
// o.Resume set, it delivers what was published on either channel since
// that cursor (as far as the server keeps it). The polls then run until
// Close, or until the connection is gone.
func DialPubNub(ctx context.Context, o PubNubOptions) (*PubNubConn, error) {
	base, err := parseOrigin(o.Origin)
	if err != nil {
		return nil, err
	}
	if err := checkPubNubOptions(&o); err != nil {
		return nil, err
	}
	o.RequestTimeout = cmp.Or(o.RequestTimeout, defaultRequestTimeout)
	o.UUID = cmp.Or(o.UUID, "sinch-go-"+crand.Text())
	o.PollTimeout = cmp.Or(o.PollTimeout, defaultPollTimeout)
	c := &PubNubConn{
		o:    o,
		base: base,
		log:  cmp.Or(o.Logger, slog.New(slog.DiscardHandler)),
		done: make(chan struct{}),
	}
	var rt http.RoundTripper
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		rt = o.HTTPClient.Transport
	} else {
		c.owned = http.DefaultTransport.(*http.Transport).Clone()
		c.owned.MaxIdleConnsPerHost = maxIdlePublishConns + 2
		rt = c.owned
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.rest = &http.Client{Transport: rt, CheckRedirect: noRedirect}
	c.poll = &http.Client{Transport: rt, CheckRedirect: noRedirect}

	if err := c.handshake(ctx); err != nil {
		c.closeIdle()
		return nil, err
	}
	pctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	for _, n := range c.networks() {
		c.wg.Add(1)
		go c.pollLoop(pctx, n)
	}
	return c, nil
}

func checkPubNubOptions(o *PubNubOptions) error {
	for _, f := range []struct{ name, v string }{
		{"BroadcastSubscribeKey", o.BroadcastSubscribeKey},
		{"BroadcastChannel", o.BroadcastChannel},
		{"SignalSubscribeKey", o.SignalSubscribeKey},
		{"SignalPublishKey", o.SignalPublishKey},
		{"SignalChannel", o.SignalChannel},
	} {
		if f.v == "" {
			return fmt.Errorf("pubsub: PubNub %s is empty: the configuration lacks it", f.name)
		}
	}
	for _, t := range []Timetoken{o.Resume.Broadcast, o.Resume.Signal} {
		if t.T != "" && !isTimetoken(t.T) {
			return fmt.Errorf("pubsub: Resume timetoken %q is not digits", truncate(t.T))
		}
	}
	return nil
}

// handshake makes the first subscribe of both networks (tt=0), which checks
// the keys and gives the current cursor. A network with a Resume cursor
// polls from there instead, so that nothing since is lost.
func (c *PubNubConn) handshake(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.o.RequestTimeout)
	defer cancel()
	nets := c.networks()
	errs := make([]error, len(nets))
	var wg sync.WaitGroup
	for i, n := range nets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.subscribe(ctx, c.rest, n, Timetoken{T: zeroTimetoken})
			if err != nil {
				errs[i] = err
				return
			}
			for _, m := range r.Messages { // a tt=0 reply carries none
				c.log.Debug("pubsub: dropping a message of a first subscribe", "network", n.name, "channel", m.Channel)
			}
			resume := *n.at(&c.o.Resume)
			c.mu.Lock()
			if resume.T != "" && resume.T != zeroTimetoken {
				*n.at(&c.cursor) = resume
			} else {
				*n.at(&c.cursor) = r.Cursor
			}
			c.mu.Unlock()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Cursor returns where both subscriptions stand: the cursor after the last
// messages handed to the Handler. Pass it as Resume to the next dial. Read
// it after Close (which waits for the polls) to get the exact point: a
// reply being handed to the Handler moves it once all its messages are.
func (c *PubNubConn) Cursor() Cursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cursor
}

// pollLoop long-polls network n until ctx ends or the connection is gone.
func (c *PubNubConn) pollLoop(ctx context.Context, n network) {
	defer c.wg.Done()
	var failingSince time.Time
	failures := 0
	for {
		c.mu.Lock()
		cur := *n.at(&c.cursor)
		c.mu.Unlock()
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, c.o.PollTimeout)
		r, err := c.subscribe(pctx, c.poll, n, cur)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failingSince, failures = time.Time{}, 0
			c.deliver(n, r)
			// An origin that answers empty polls at once would make this
			// loop spin: such replies are paced.
			if len(r.Messages) == 0 && time.Since(start) < emptyPollPace && !sleepCtx(ctx, emptyPollPace) {
				return
			}
			continue
		}
		if permanent(err) {
			c.fail(fmt.Errorf("%s subscription refused: %w", n.name, err))
			return
		}
		now := time.Now()
		if failingSince.IsZero() {
			failingSince = now
		}
		if now.Sub(failingSince) > c.o.RequestTimeout {
			c.fail(fmt.Errorf("%s subscription failing for over %v: %w", n.name, c.o.RequestTimeout, err))
			return
		}
		c.log.Debug("pubsub: long poll failed; polling again from the same cursor", "network", n.name, "err", err)
		if !sleepCtx(ctx, retryDelay(failures)) {
			return
		}
		failures++
	}
}

// retryDelay is the wait before retry number failures+1 of a poll: none
// for the first, then a jittered, doubling delay.
func retryDelay(failures int) time.Duration {
	if failures == 0 {
		return 0
	}
	d := min(retryFirst<<min(failures-1, 10), retryMax)
	return d/2 + rand.N(d/2+1)
}

// permanent reports whether a poll's failure cannot pass by trying again:
// the server refused it with a 4xx (other than 408 and 429).
func permanent(err error) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return false
	}
	s := se.api.Status
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

// deliver hands r's messages to the Handler, then moves the cursor past
// them. Messages that are not JSON strings of the subscribed channel are
// dropped.
func (c *PubNubConn) deliver(n network, r subscribeReply) {
	c.handlerMu.Lock()
	defer c.handlerMu.Unlock()
	for _, m := range r.Messages {
		text, ok := m.text()
		switch {
		case m.Channel != n.channel:
			c.log.Debug("pubsub: dropping a message of another channel", "network", n.name, "channel", truncate(m.Channel))
		case m.Type != 0:
			c.log.Debug("pubsub: dropping a message that is not a published message", "network", n.name, "type", m.Type)
		case !ok:
			c.log.Debug("pubsub: dropping a message that is not a JSON string", "network", n.name)
		case c.o.Handler != nil:
			c.o.Handler(m.Channel, text)
		}
	}
	c.mu.Lock()
	*n.at(&c.cursor) = r.Cursor
	c.mu.Unlock()
}

// subscribe makes one subscribe request of network n from cursor cur.
func (c *PubNubConn) subscribe(ctx context.Context, hc *http.Client, n network, cur Timetoken) (subscribeReply, error) {
	q := url.Values{"tt": {cmp.Or(cur.T, zeroTimetoken)}, "uuid": {c.o.UUID}}
	if cur.R != 0 {
		q.Set("tr", fmt.Sprint(cur.R))
	}
	u := c.url([]string{"v2", "subscribe", n.key, n.channel, "0"}, q)
	b, err := c.get(ctx, hc, "subscribe", u, maxSubscribeReply)
	if err != nil {
		return subscribeReply{}, err
	}
	return decodeSubscribe(b)
}

// Publish sends message as a JSON string on channel of the signal network
// and returns once the server answered [1,"Sent",timetoken], within
// RequestTimeout. A message over MaxPubNubMessage is refused before
// sending (ErrTooLarge).
//
// It publishes with GET, PubNub's default and what Sinch's own SDKs send,
// so that any PubNub origin serves it. Go's HTTP client may send a GET
// again once when a reused connection closes before any answer; a
// receiver may then see the message twice, which MXP tolerates.
func (c *PubNubConn) Publish(ctx context.Context, channel, message string) error {
	if err := c.Err(); err != nil {
		return err
	}
	if channel == "" {
		return errors.New("pubsub: publish without a channel")
	}
	enc := encodeMessage(message)
	if n := publishSize(channel, enc); n > MaxPubNubMessage {
		return fmt.Errorf("%w: %d bytes once escaped, channel included; split it", ErrTooLarge, n)
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.RequestTimeout)
	defer cancel()
	u := c.url([]string{"publish", c.o.SignalPublishKey, c.o.SignalSubscribeKey, "0", channel, "0", string(enc)},
		url.Values{"uuid": {c.o.UUID}})
	b, err := c.get(ctx, c.rest, "publish", u, maxSmallReply)
	if err != nil {
		return err
	}
	_, err = decodePublish(b)
	return err
}

// Ping asks the origin for its time, within RequestTimeout.
func (c *PubNubConn) Ping(ctx context.Context) error {
	if err := c.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.RequestTimeout)
	defer cancel()
	b, err := c.get(ctx, c.rest, "time", c.url([]string{"time", "0"}, nil), maxSmallReply)
	if err != nil {
		return err
	}
	_, err = decodeTime(b)
	return err
}

// url builds a request URL from path segments, each escaped. The URL is
// built, not parsed from a string: a publish's path holds the whole
// message, which parsing would unescape and escape again.
func (c *PubNubConn) url(segments []string, q url.Values) *url.URL {
	u := *c.base
	var raw, plain strings.Builder
	n := 0
	for _, s := range segments {
		n += 1 + len(s)
	}
	plain.Grow(n)
	for _, s := range segments {
		raw.WriteByte('/')
		raw.WriteString(escapeSegment(s))
		plain.WriteByte('/')
		plain.WriteString(s)
	}
	u.Path, u.RawPath = plain.String(), raw.String()
	u.RawQuery = q.Encode()
	return &u
}

// statusError is a request the server answered with an error status.
type statusError struct{ api *ocra.APIError }

func (e *statusError) Error() string { return e.api.Error() }
func (e *statusError) Unwrap() error { return e.api }

// get makes one GET and returns the 200 reply's body, read up to limit.
// Errors never quote the URL: it carries the keys.
func (c *PubNubConn) get(ctx context.Context, hc *http.Client, op string, u *url.URL, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("pubsub: PubNub %s: cannot build the request", op)
	}
	req.URL = u
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("pubsub: PubNub %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxSmallReply))
		api := pubNubError(op, resp.StatusCode, body)
		return nil, &statusError{api: api}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("pubsub: PubNub %s: reading the reply: %w", op, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("pubsub: PubNub %s reply is over %d bytes", op, limit)
	}
	return body, nil
}

// Done is closed when the connection is gone.
func (c *PubNubConn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up, then an error wrapping ErrClosed
// and the cause.
func (c *PubNubConn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail declares the connection gone because of cause and stops both polls.
func (c *PubNubConn) fail(cause error) {
	if c.setErr(fmt.Errorf("%w: %w", ErrClosed, cause)) {
		c.log.Info("pubsub: PubNub subscription lost", "err", cause)
	}
	c.stop()
}

func (c *PubNubConn) setErr(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	close(c.done)
	return true
}

// Close stops both polls and waits for their goroutines. It is idempotent
// and returns nil. It must not be called from the Handler.
func (c *PubNubConn) Close() error {
	c.closeOnce.Do(func() {
		c.setErr(ErrClosed)
		c.stop()
		c.wg.Wait()
		c.closeIdle()
	})
	return nil
}

// closeIdle closes the idle connections of the transport the conn made
// for itself; an application's transport is left alone.
func (c *PubNubConn) closeIdle() {
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	}
}

// sleepCtx waits d and reports whether it did, rather than ctx ending.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

package wshub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/pubsub"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instanceHeader carries the instance id in tests; authorizeByHeader trusts it.
const instanceHeader = "X-Test-Instance"

func authorizeByHeader(r *http.Request) (string, *ocra.APIError) {
	if id := r.Header.Get(instanceHeader); id != "" {
		return id, nil
	}
	return "", &ocra.APIError{Status: http.StatusUnauthorized, Code: ocra.CodeMissingAuth, Message: "Missing Authorization"}
}

type testHub struct {
	*Hub
	srv *httptest.Server
	url string
}

// rulesByName is the channel rules of the tests: "b.X" is instance X's
// broadcast channel and "s.X" its signal channel. A server keeps such
// records in maps (names are opaque to the Hub); a function of the name is
// the shortest map for tests.
func rulesByName(ch string) ChannelRule {
	switch {
	case strings.HasPrefix(ch, "b."):
		return ChannelRule{Owner: ch[2:], ServerOnly: true}
	case strings.HasPrefix(ch, "s."):
		return ChannelRule{Owner: ch[2:]}
	}
	return ChannelRule{}
}

// startHub serves a Hub on 127.0.0.1 until the test ends.
func startHub(t testing.TB, opts HubOptions) *testHub {
	t.Helper()
	if opts.Authorize == nil {
		opts.Authorize = authorizeByHeader
	}
	if opts.Channel == nil {
		opts.Channel = rulesByName
	}
	h := NewHub(opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &testHub{Hub: h, srv: srv, url: wsURL(srv)}
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func header(instance string) http.Header {
	return http.Header{instanceHeader: {instance}}
}

// dial connects instance to url with opts and closes the Conn when the test ends.
func dial(t testing.TB, url, instance string, opts pubsub.DialOptions) *pubsub.WSConn {
	t.Helper()
	opts.Header = header(instance)
	c, err := pubsub.Dial(context.Background(), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type received struct{ channel, message string }

// collector returns a Handler that forwards to a channel, and that channel.
func collector(size int) (pubsub.Handler, <-chan received) {
	ch := make(chan received, size)
	return func(channel, message string) { ch <- received{channel, message} }, ch
}

func serverCode(t *testing.T, err error) int {
	t.Helper()
	var se *pubsub.ServerError
	require.ErrorAs(t, err, &se)
	return se.Code
}

// closeCode returns the code of the close frame err wraps.
func closeCode(t *testing.T, err error) int {
	t.Helper()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	return ce.Code
}

// rawDial opens a plain gorilla connection to speak frames by hand.
func rawDial(t *testing.T, url, instance string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, header(instance))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func readFrame(t *testing.T, ws *websocket.Conn) pubsub.Frame {
	t.Helper()
	_, b, err := ws.ReadMessage()
	require.NoError(t, err)
	f, err := pubsub.DecodeFrame(b)
	require.NoError(t, err)
	return f
}

func TestPublishBetweenClientsInOrder(t *testing.T) {
	h := startHub(t, HubOptions{})
	handler, got := collector(1000)
	a := dial(t, h.url, "A", pubsub.DialOptions{Handler: handler})
	b := dial(t, h.url, "B", pubsub.DialOptions{})
	ctx := context.Background()

	require.NoError(t, a.Subscribe(ctx, "b.A", "s.A"))
	assert.True(t, h.Subscribed("s.A"))
	assert.True(t, h.Subscribed("b.A"))

	const n = 1000
	for i := range n {
		require.NoError(t, b.Publish(ctx, "s.A", strconv.Itoa(i)))
	}
	for i := range n {
		r := <-got
		require.Equal(t, received{"s.A", strconv.Itoa(i)}, r)
	}
}

func TestHubPublishReachesEverySubscriber(t *testing.T) {
	h := startHub(t, HubOptions{})
	h1, got1 := collector(1)
	h2, got2 := collector(1)
	ctx := context.Background()
	require.NoError(t, dial(t, h.url, "A", pubsub.DialOptions{Handler: h1}).Subscribe(ctx, "b.A"))
	require.NoError(t, dial(t, h.url, "A", pubsub.DialOptions{Handler: h2}).Subscribe(ctx, "b.A"))

	assert.Equal(t, 2, h.Publish("b.A", "invite"))
	assert.Equal(t, received{"b.A", "invite"}, <-got1)
	assert.Equal(t, received{"b.A", "invite"}, <-got2)
	assert.Equal(t, 0, h.Publish("b.nobody", "x"))
	assert.Equal(t, 0, h.Publish("bad channel", "x"))
}

func TestPublishWithoutSubscriberIsAcked(t *testing.T) {
	h := startHub(t, HubOptions{})
	c := dial(t, h.url, "A", pubsub.DialOptions{})
	require.NoError(t, c.Publish(context.Background(), "s.nobody", "lost"))
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	h := startHub(t, HubOptions{})
	c := dial(t, h.url, "A", pubsub.DialOptions{})
	ctx := context.Background()
	require.NoError(t, c.Subscribe(ctx, "s.A"))
	require.NoError(t, c.Unsubscribe(ctx, "s.A"))
	assert.False(t, h.Subscribed("s.A"))
	assert.Equal(t, 0, h.Publish("s.A", "x"))
}

func TestChannelRulesComeFromTheServersRecords(t *testing.T) {
	// Opaque names: nothing in them says whose they are.
	rules := map[string]ChannelRule{
		"f3a1B": {Owner: "A", ServerOnly: true},
		"9c0eS": {Owner: "A"},
	}
	h := startHub(t, HubOptions{Channel: func(ch string) ChannelRule { return rules[ch] }})
	handler, got := collector(2)
	a := dial(t, h.url, "A", pubsub.DialOptions{Handler: handler})
	b := dial(t, h.url, "B", pubsub.DialOptions{})
	ctx := context.Background()

	require.NoError(t, a.Subscribe(ctx, "f3a1B", "9c0eS"))
	assert.Equal(t, CodeForbidden, serverCode(t, b.Subscribe(ctx, "9c0eS")), "B does not own A's channel")
	assert.Equal(t, CodeForbidden, serverCode(t, b.Subscribe(ctx, "unknown")), "nobody owns an unknown channel")
	assert.Equal(t, CodeForbidden, serverCode(t, b.Publish(ctx, "f3a1B", "x")), "broadcast: server only")
	require.NoError(t, b.Publish(ctx, "9c0eS", "to A"))
	assert.Equal(t, received{"9c0eS", "to A"}, <-got)
	assert.Equal(t, 1, h.Publish("f3a1B", "invite"))
	assert.Equal(t, received{"f3a1B", "invite"}, <-got)
}

func TestRulesViolations(t *testing.T) {
	h := startHub(t, HubOptions{})
	c := dial(t, h.url, "A", pubsub.DialOptions{})
	ctx := context.Background()

	for _, ch := range []string{"s.B", "b.B", "call-1"} {
		err := c.Subscribe(ctx, ch)
		assert.Equal(t, CodeForbidden, serverCode(t, err), ch)
		assert.False(t, h.Subscribed(ch))
	}
	// One forbidden channel refuses the whole subscribe.
	assert.Equal(t, CodeForbidden, serverCode(t, c.Subscribe(ctx, "s.A", "s.B")))
	assert.False(t, h.Subscribed("s.A"))

	for _, ch := range []string{"b.A", "b.B"} {
		err := c.Publish(ctx, ch, "x")
		assert.Equal(t, CodeForbidden, serverCode(t, err), ch)
		assert.ErrorContains(t, err, "only the server publishes")
	}
	require.NoError(t, c.Ping(ctx), "the connection survives refusals")
}

func TestClientRefusesInvalidRequestsLocally(t *testing.T) {
	h := startHub(t, HubOptions{})
	c := dial(t, h.url, "A", pubsub.DialOptions{})
	ctx := context.Background()
	assert.ErrorContains(t, c.Subscribe(ctx), "without channels")
	assert.ErrorContains(t, c.Publish(ctx, "x A", "m"), "invalid character")
	assert.ErrorContains(t, c.Publish(ctx, "s.A", ""), "without message")
	assert.ErrorContains(t, c.Publish(ctx, "s.A", strings.Repeat("x", pubsub.MaxFrameSize)), "exceeds")
	require.NoError(t, c.Ping(ctx))
}

func TestMalformedFrameKeepsConnection(t *testing.T) {
	h := startHub(t, HubOptions{})
	ws := rawDial(t, h.url, "A")
	send := func(s string) {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(s)))
	}

	send(`{"op":"publish","id":7,"channel":"s.A"}`)
	f := readFrame(t, ws)
	assert.Equal(t, pubsub.Frame{Op: pubsub.OpError, ID: 7, Code: CodeInvalidFrame, Message: "publish frame without message"}, f)

	send(`not json`)
	f = readFrame(t, ws)
	assert.Equal(t, pubsub.OpError, f.Op)
	assert.Equal(t, CodeInvalidFrame, f.Code)

	send(`{"op":"ack","id":8}`)
	f = readFrame(t, ws)
	assert.Equal(t, pubsub.Frame{Op: pubsub.OpError, ID: 8, Code: CodeInvalidFrame, Message: `op "ack" is not sent by clients`}, f)

	send(`{"op":"subscribe","channels":["s.A"]}`) // no id: no ack
	send(`{"op":"ping","id":9}`)
	assert.Equal(t, pubsub.Frame{Op: pubsub.OpPong, ID: 9}, readFrame(t, ws))
	assert.True(t, h.Subscribed("s.A"))
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	h := startHub(t, HubOptions{})
	ws := rawDial(t, h.url, "A")
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, make([]byte, pubsub.MaxFrameSize+1)))
	_, _, err := ws.ReadMessage()
	assert.Equal(t, websocket.CloseMessageTooBig, closeCode(t, err))
}

// rawServer serves one WebSocket per request with serve, then closes it.
func rawServer(t *testing.T, serve func(ws *websocket.Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		serve(ws)
	}))
	t.Cleanup(srv.Close)
	return wsURL(srv)
}

func TestPendingRequestsFailWhenServerCloses(t *testing.T) {
	const pending = 3
	url := rawServer(t, func(ws *websocket.Conn) {
		for range pending { // read the requests, answer none
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	})
	c := dial(t, url, "A", pubsub.DialOptions{RequestTimeout: time.Hour})

	errs := make(chan error, pending)
	for i := range pending {
		go func() { errs <- c.Publish(context.Background(), "s.B", fmt.Sprint(i)) }()
	}
	for range pending {
		err := <-errs
		assert.ErrorIs(t, err, pubsub.ErrClosed)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
	}
	<-c.Done()
	assert.Equal(t, websocket.CloseGoingAway, closeCode(t, c.Err()))
	assert.ErrorIs(t, c.Ping(context.Background()), pubsub.ErrClosed)
}

func TestOversizedFrameFromServerEndsConn(t *testing.T) {
	url := rawServer(t, func(ws *websocket.Conn) {
		big := `{"op":"message","channel":"s.A","message":"` + strings.Repeat("x", pubsub.MaxFrameSize) + `"}`
		_ = ws.WriteMessage(websocket.TextMessage, []byte(big))
		_, _, _ = ws.ReadMessage() // until the client goes
	})
	handler, got := collector(1)
	c := dial(t, url, "A", pubsub.DialOptions{Handler: handler})
	<-c.Done()
	assert.ErrorIs(t, c.Err(), pubsub.ErrClosed)
	assert.ErrorIs(t, c.Err(), websocket.ErrReadLimit)
	assert.Empty(t, got)
}

func TestRequestTimeout(t *testing.T) {
	url := rawServer(t, func(ws *websocket.Conn) {
		for { // never answer
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
	c := dial(t, url, "A", pubsub.DialOptions{RequestTimeout: 20 * time.Millisecond})
	assert.ErrorIs(t, c.Ping(context.Background()), context.DeadlineExceeded)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, c.Ping(ctx), context.Canceled)
	assert.NoError(t, c.Err(), "a timeout leaves the connection up")
}

func TestCloseIsIdempotent(t *testing.T) {
	h := startHub(t, HubOptions{})
	c := dial(t, h.url, "A", pubsub.DialOptions{})
	require.NoError(t, c.Subscribe(context.Background(), "s.A"))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	<-c.Done()
	assert.Equal(t, pubsub.ErrClosed, c.Err())
	assert.ErrorIs(t, c.Publish(context.Background(), "s.A", "x"), pubsub.ErrClosed)
}

func TestDisconnect(t *testing.T) {
	h := startHub(t, HubOptions{})
	ctx := context.Background()
	a := dial(t, h.url, "A", pubsub.DialOptions{})
	b := dial(t, h.url, "B", pubsub.DialOptions{})
	require.NoError(t, a.Subscribe(ctx, "s.A"))
	require.NoError(t, b.Subscribe(ctx, "s.B"))

	h.Disconnect("A")
	assert.False(t, h.Subscribed("s.A"))
	<-a.Done()
	assert.Equal(t, websocket.CloseGoingAway, closeCode(t, a.Err()))

	require.NoError(t, b.Ping(ctx))
	assert.True(t, h.Subscribed("s.B"))
}

func TestSlowConsumerIsDropped(t *testing.T) {
	h := startHub(t, HubOptions{})
	ctx := context.Background()
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	slow := dial(t, h.url, "S", pubsub.DialOptions{Handler: func(string, string) { <-release }})
	require.NoError(t, slow.Subscribe(ctx, "s.S"))
	fastHandler, fastGot := collector(1)
	fast := dial(t, h.url, "F", pubsub.DialOptions{Handler: fastHandler})
	require.NoError(t, fast.Subscribe(ctx, "s.F"))

	// Publish never blocks: it fills the slow client's socket and queue,
	// then drops it.
	big := strings.Repeat("x", 32<<10)
	for i := 0; h.Subscribed("s.S"); i++ {
		require.Less(t, i, 100_000, "slow consumer never dropped")
		h.Publish("s.S", big)
	}
	require.NoError(t, fast.Publish(ctx, "s.F", "still here"))
	assert.Equal(t, received{"s.F", "still here"}, <-fastGot)

	unblock()
	<-slow.Done()
	assert.ErrorIs(t, slow.Err(), pubsub.ErrClosed)
}

func TestHubCloseEndsEverything(t *testing.T) {
	h := NewHub(HubOptions{Authorize: authorizeByHeader, Channel: rulesByName})
	srv := httptest.NewServer(h)
	url := wsURL(srv)
	ctx := context.Background()
	var conns []*pubsub.WSConn
	for _, id := range []string{"A", "B", "B"} {
		c, err := pubsub.Dial(ctx, url, pubsub.DialOptions{Header: header(id)})
		require.NoError(t, err)
		require.NoError(t, c.Subscribe(ctx, "s."+id))
		conns = append(conns, c)
	}

	h.Close()
	h.Close()
	for _, c := range conns {
		<-c.Done()
		assert.ErrorIs(t, c.Err(), pubsub.ErrClosed)
		require.NoError(t, c.Close())
	}
	assert.False(t, h.Subscribed("s.A"))
	_, err := pubsub.Dial(ctx, url, pubsub.DialOptions{Header: header("A")})
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, ocra.CodeServiceUnavailable, apiErr.Code)

	srv.Close()
	goleak.VerifyNone(t)
}

func TestDialRejected(t *testing.T) {
	h := startHub(t, HubOptions{Authorize: func(*http.Request) (string, *ocra.APIError) {
		return "", &ocra.APIError{Status: http.StatusUnauthorized, Code: ocra.CodeInvalidSignature,
			Message: "Invalid Signature", Reference: "ref-1"}
	}})
	_, err := pubsub.Dial(context.Background(), h.url, pubsub.DialOptions{})
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, ocra.APIError{Status: http.StatusUnauthorized, Code: ocra.CodeInvalidSignature,
		Message: "Invalid Signature", Reference: "ref-1"}, *apiErr)
}

func TestDialRejectedWithoutErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	defer srv.Close()
	_, err := pubsub.Dial(context.Background(), wsURL(srv), pubsub.DialOptions{})
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status)
	assert.Equal(t, 40300, apiErr.Code)
}

func TestDialCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := startHub(t, HubOptions{})
	_, err := pubsub.Dial(ctx, h.url, pubsub.DialOptions{Header: header("A")})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

func BenchmarkPublishAck(b *testing.B) {
	h := startHub(b, HubOptions{})
	ctx := context.Background()
	sub := dial(b, h.url, "A", pubsub.DialOptions{Handler: func(string, string) {}})
	require.NoError(b, sub.Subscribe(ctx, "s.A"))
	pub := dial(b, h.url, "B", pubsub.DialOptions{})
	msg := strings.Repeat("x", 1400) // one MXP part
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Publish(ctx, "s.A", msg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.True(b, h.Subscribed("s.A"), "subscriber dropped during the benchmark")
}

package pubsub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// These tests script a PubNub origin by hand, to give the client every
// answer a hostile or broken server could. The fake server of ocratest
// (ocratest/internal/pubnub) runs the client against real semantics.

// pnRequest is one subscribe a scripted origin received.
type pnRequest struct {
	key, channel, tt, tr, uuid string
}

// pnOrigin is a scripted PubNub origin. subscribe answers each subscribe;
// it may block until the request's context ends (a held poll).
type pnOrigin struct {
	srv        *httptest.Server
	mu         sync.Mutex
	requests   []pnRequest
	published  []string // channel + " " + decoded message
	subscribe  func(r *http.Request, req pnRequest) (int, string)
	publish    func(channel, message string) (int, string)
	timeStatus int
}

const (
	testBKey, testSKey, testPKey = "sub-b", "sub-s", "pub-s"
	testBCh, testSCh             = "bcastB", "signalS"
)

func startOrigin(t *testing.T) *pnOrigin {
	t.Helper()
	o := &pnOrigin{}
	o.subscribe = func(r *http.Request, req pnRequest) (int, string) {
		if req.tt == "0" {
			return 200, `{"t":{"t":"100","r":7},"m":[]}`
		}
		<-r.Context().Done()
		return 0, ""
	}
	o.publish = func(string, string) (int, string) { return 200, `[1,"Sent","17000000000000001"]` }
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *pnOrigin) serve(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, s := range seg {
		seg[i], _ = url.PathUnescape(s)
	}
	switch {
	case len(seg) == 5 && seg[0] == "v2" && seg[1] == "subscribe" && seg[4] == "0":
		q := r.URL.Query()
		req := pnRequest{key: seg[2], channel: seg[3], tt: q.Get("tt"), tr: q.Get("tr"), uuid: q.Get("uuid")}
		o.mu.Lock()
		o.requests = append(o.requests, req)
		f := o.subscribe
		o.mu.Unlock()
		status, body := f(r, req)
		if status == 0 {
			panic(http.ErrAbortHandler) // a dropped connection
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	case len(seg) == 7 && seg[0] == "publish":
		o.mu.Lock()
		o.published = append(o.published, seg[4]+" "+seg[6])
		f := o.publish
		o.mu.Unlock()
		status, body := f(seg[4], seg[6])
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	case r.URL.Path == "/time/0":
		o.mu.Lock()
		status := o.timeStatus
		o.mu.Unlock()
		w.WriteHeader(cmp.Or(status, 200))
		_, _ = w.Write([]byte(`[17000000000000000]`))
	default:
		http.NotFound(w, r)
	}
}

func (o *pnOrigin) setSubscribe(f func(r *http.Request, req pnRequest) (int, string)) {
	o.mu.Lock()
	o.subscribe = f
	o.mu.Unlock()
}

func (o *pnOrigin) subscribes() []pnRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]pnRequest(nil), o.requests...)
}

// options are the options of a client of o, with a transport of the test's
// own (closed at the end, for goleak).
func (o *pnOrigin) options(t *testing.T, h Handler) PubNubOptions {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return PubNubOptions{
		Origin:                o.srv.URL,
		BroadcastSubscribeKey: testBKey, BroadcastChannel: testBCh,
		SignalSubscribeKey: testSKey, SignalPublishKey: testPKey, SignalChannel: testSCh,
		UUID:           "client-1",
		Handler:        h,
		HTTPClient:     &http.Client{Transport: tr},
		RequestTimeout: 2 * time.Second,
	}
}

func dialPubNub(t *testing.T, o PubNubOptions) *PubNubConn {
	t.Helper()
	c, err := DialPubNub(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// reply is a subscribe reply of channel at timetoken tt carrying payloads
// (raw JSON values).
func reply(tt, channel string, payloads ...string) string {
	var m []string
	for _, p := range payloads {
		m = append(m, fmt.Sprintf(`{"a":"1","f":0,"i":"x","p":{"t":"%s","r":7},"k":"k","c":%q,"d":%s}`, tt, channel, p))
	}
	return fmt.Sprintf(`{"t":{"t":"%s","r":7},"m":[%s]}`, tt, strings.Join(m, ","))
}

func TestPubNubDialSubscribesBothNetworksAndDelivers(t *testing.T) {
	o := startOrigin(t)
	var once sync.Once
	sent := make(chan struct{})
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		switch {
		case req.tt == "0":
			return 200, `{"t":{"t":"100","r":7},"m":[]}`
		case req.key == testSKey && req.tt == "100":
			first := false
			once.Do(func() { first = true })
			if first {
				return 200, reply("105", testSCh, `"one"`, `"two"`, `{"not":"a string"}`, `"three"`)
			}
		}
		select {
		case <-r.Context().Done():
		case <-sent:
		}
		return 0, ""
	})
	handler, got := collector(8)
	c := dialPubNub(t, o.options(t, handler))
	for _, want := range []string{"one", "two", "three"} {
		assert.Equal(t, received{testSCh, want}, <-got)
	}
	require.Eventually(t, func() bool { return c.Cursor().Signal == Timetoken{T: "105", R: 7} }, 5*time.Second, time.Millisecond)
	assert.Equal(t, Timetoken{T: "100", R: 7}, c.Cursor().Broadcast)

	reqs := o.subscribes()
	keys := map[string]string{}
	for _, r := range reqs {
		keys[r.key] = r.channel
		assert.Equal(t, "client-1", r.uuid)
		if r.tt != "0" {
			assert.Equal(t, "7", r.tr, "the region of the last reply goes back")
		}
	}
	assert.Equal(t, map[string]string{testBKey: testBCh, testSKey: testSCh}, keys)
	assert.Empty(t, got, "the object payload was dropped")
	close(sent)
}

func TestPubNubResumeStartsFromTheGivenCursor(t *testing.T) {
	o := startOrigin(t)
	o2 := o.options(t, nil)
	o2.Resume = Cursor{Broadcast: Timetoken{T: "42", R: 1}, Signal: Timetoken{T: "43", R: 2}}
	c := dialPubNub(t, o2)
	assert.Equal(t, o2.Resume, c.Cursor(), "both cursors resume where the last connection stood")
	require.Eventually(t, func() bool {
		var b, s bool
		for _, r := range o.subscribes() {
			b = b || (r.key == testBKey && r.tt == "42" && r.tr == "1")
			s = s || (r.key == testSKey && r.tt == "43" && r.tr == "2")
		}
		return b && s
	}, 5*time.Second, time.Millisecond)
}

func TestPubNubDroppedPollResumesFromTheSameCursor(t *testing.T) {
	o := startOrigin(t)
	var mu sync.Mutex
	polls := 0
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		if req.tt == "0" {
			return 200, `{"t":{"t":"100","r":7},"m":[]}`
		}
		if req.key != testSKey {
			<-r.Context().Done()
			return 0, ""
		}
		mu.Lock()
		polls++
		n := polls
		mu.Unlock()
		switch {
		case n == 1:
			return 0, "" // dropped
		case n == 2:
			return 503, `{"message":"busy"}`
		case n == 3:
			return 200, `not json`
		case n == 4 && req.tt == "100":
			return 200, reply("101", testSCh, `"after the outage"`)
		}
		<-r.Context().Done()
		return 0, ""
	})
	handler, got := collector(4)
	c := dialPubNub(t, o.options(t, handler))
	assert.Equal(t, received{testSCh, "after the outage"}, <-got)
	require.NoError(t, c.Err(), "transient failures do not end the connection")
	var tts []string
	require.Eventually(t, func() bool {
		tts = nil
		for _, r := range o.subscribes() {
			if r.key == testSKey {
				tts = append(tts, r.tt)
			}
		}
		return len(tts) >= 6
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"0", "100", "100", "100", "100", "101"}, tts[:6], "every retry from the same cursor")
}

func TestPubNubGivesUpAfterFailingLongerThanRequestTimeout(t *testing.T) {
	o := startOrigin(t)
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		if req.tt == "0" {
			return 200, `{"t":{"t":"100","r":0}}`
		}
		return 503, `{"code":50300,"message":"Service unavailable"}`
	})
	opts := o.options(t, nil)
	opts.RequestTimeout = 300 * time.Millisecond
	c := dialPubNub(t, opts)
	<-c.Done()
	assert.ErrorIs(t, c.Err(), ErrClosed)
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Err(), &apiErr)
	assert.Equal(t, 50300, apiErr.Code, "an Ocra error body keeps its code")
	assert.ErrorContains(t, c.Err(), "failing for over 300ms")
	assert.Less(t, len(o.subscribes()), 100, "retries are paced")
	assert.ErrorIs(t, c.Publish(context.Background(), testSCh, "x"), ErrClosed)
	assert.ErrorIs(t, c.Ping(context.Background()), ErrClosed)
}

func TestPubNub4xxEndsTheConnectionAtOnce(t *testing.T) {
	o := startOrigin(t)
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		if req.tt == "0" {
			return 200, `{"t":{"t":"100","r":0},"m":[]}`
		}
		return 403, `{"status":403,"error":true,"service":"Access Manager","message":"Forbidden"}`
	})
	opts := o.options(t, nil)
	opts.RequestTimeout = time.Hour
	c := dialPubNub(t, opts)
	<-c.Done()
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Err(), &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status)
	assert.Equal(t, 40300, apiErr.Code)
	assert.Contains(t, apiErr.Message, "Forbidden")
}

func TestPubNubDialFailsOnABadKeyWithoutQuotingIt(t *testing.T) {
	o := startOrigin(t)
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		return 403, `{"status":403,"error":true,"message":"Invalid Subscribe Key"}`
	})
	_, err := DialPubNub(context.Background(), o.options(t, nil))
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.Status)
	assert.Contains(t, err.Error(), "Invalid Subscribe Key")
	for _, secret := range []string{testBKey, testSKey, testPKey} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestPubNubDialErrorsNeverQuoteTheURL(t *testing.T) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.Listener.Addr().String()
	ln.Close() // nothing listens there now
	_, err := DialPubNub(context.Background(), PubNubOptions{
		Origin:                "http://" + addr,
		BroadcastSubscribeKey: "secret-b", BroadcastChannel: "b",
		SignalSubscribeKey: "secret-s", SignalPublishKey: "secret-p", SignalChannel: "s",
		HTTPClient: &http.Client{Transport: tr}, RequestTimeout: time.Second,
	})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
	assert.Contains(t, err.Error(), "PubNub subscribe")
}

func TestPubNubDialIsBoundedByRequestTimeout(t *testing.T) {
	o := startOrigin(t)
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		<-r.Context().Done() // even tt=0 is held
		return 0, ""
	})
	opts := o.options(t, nil)
	opts.RequestTimeout = 100 * time.Millisecond
	_, err := DialPubNub(context.Background(), opts)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestPubNubHostileRepliesAreBounded(t *testing.T) {
	huge := `{"t":{"t":"101","r":0},"m":[{"c":"signalS","d":"` + strings.Repeat("x", maxSubscribeReply) + `"}]}`
	for name, body := range map[string]string{
		"huge":                    huge,
		"not json":                "<html>",
		"timetoken a number":      `{"t":{"t":101,"r":0},"m":[]}`,
		"timetoken not digits":    `{"t":{"t":"1e5","r":0},"m":[]}`,
		"timetoken too long":      `{"t":{"t":"` + strings.Repeat("1", 21) + `","r":0},"m":[]}`,
		"no timetoken":            `{"m":[]}`,
		"region a string":         `{"t":{"t":"101","r":"x"},"m":[]}`,
		"messages not an array":   `{"t":{"t":"101"},"m":{}}`,
		"array instead of object": `[1,2,3]`,
	} {
		t.Run(name, func(t *testing.T) {
			o := startOrigin(t)
			o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
				if req.tt == "0" {
					return 200, `{"t":{"t":"100","r":0},"m":[]}`
				}
				if req.key == testSKey {
					return 200, body
				}
				<-r.Context().Done()
				return 0, ""
			})
			handler, got := collector(1)
			opts := o.options(t, handler)
			opts.RequestTimeout = 200 * time.Millisecond
			c := dialPubNub(t, opts)
			<-c.Done() // a reply that never decodes is a failing poll
			assert.ErrorIs(t, c.Err(), ErrClosed)
			assert.Empty(t, got)
			assert.Equal(t, "100", c.Cursor().Signal.T, "the cursor never moved")
		})
	}
}

func TestPubNubDropsMessagesItCannotUse(t *testing.T) {
	o := startOrigin(t)
	var once sync.Once
	o.setSubscribe(func(r *http.Request, req pnRequest) (int, string) {
		if req.tt == "0" {
			return 200, `{"t":{"t":"100","r":0},"m":[]}`
		}
		first := false
		if req.key == testSKey {
			once.Do(func() { first = true })
		}
		if first {
			return 200, `{"t":{"t":"101","r":0},"m":[` +
				`{"c":"signalS","d":1},` +
				`{"c":"signalS","d":null},` +
				`{"c":"signalS"},` +
				`{"c":"other","d":"wrong channel"},` +
				`{"c":"signalS","e":1,"d":"a PubNub signal"},` +
				`{"c":7,"d":"channel a number"},` +
				`"not an object",` +
				`{"c":"signalS","d":"kept \u00e9 \"quoted\""}]}`
		}
		<-r.Context().Done()
		return 0, ""
	})
	handler, got := collector(8)
	c := dialPubNub(t, o.options(t, handler))
	assert.Equal(t, received{testSCh, `kept é "quoted"`}, <-got)
	require.Eventually(t, func() bool { return c.Cursor().Signal.T == "101" }, 5*time.Second, time.Millisecond)
	assert.Empty(t, got)
	require.NoError(t, c.Err())
}

func TestPubNubPublish(t *testing.T) {
	o := startOrigin(t)
	c := dialPubNub(t, o.options(t, nil))
	ctx := context.Background()
	msg := `10 call-1 - 0 1 a+b/c= "q" ,:&?#%`
	require.NoError(t, c.Publish(ctx, "peer,S", msg))
	o.mu.Lock()
	got := o.published[len(o.published)-1]
	o.mu.Unlock()
	assert.Equal(t, `peer,S "10 call-1 - 0 1 a+b/c= \"q\" ,:&?#%"`, got, "the JSON string of the message, on its channel")

	for answer, want := range map[string]string{
		`[0,"Message Too Large","17000000000000001"]`: `publish refused: "[0,\"Message Too Large\"`,
		`{"oops":1}`:                   "not [1,\"Sent\",timetoken]",
		`[1,"Sent",17000000000000001]`: "timetoken is not a string",
		strings.Repeat("[", 3000):      "not [1,\"Sent\",timetoken]",
		strings.Repeat(" ", 5000):      "reply is over 4096 bytes",
	} {
		o.mu.Lock()
		o.publish = func(string, string) (int, string) { return 200, answer }
		o.mu.Unlock()
		err := c.Publish(ctx, testSCh, "x")
		require.Error(t, err, answer)
		assert.Contains(t, err.Error(), want)
		assert.Less(t, len(err.Error()), 300, "the server's answer is quoted, bounded")
	}
	o.mu.Lock()
	o.publish = func(string, string) (int, string) { return 400, `[0,"Invalid Key","17000000000000001"]` }
	o.mu.Unlock()
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Publish(ctx, testSCh, "x"), &apiErr)
	assert.Equal(t, 400, apiErr.Status)
	assert.Contains(t, apiErr.Message, "Invalid Key")
	require.NoError(t, c.Err(), "a refused publish leaves the subscriptions up")
}

func TestPubNubRefusesMessagesOver32KiBBeforeSending(t *testing.T) {
	o := startOrigin(t)
	c := dialPubNub(t, o.options(t, nil))
	ctx := context.Background()
	// The escaped JSON string ("..." -> %22...%22) plus the channel.
	fits := strings.Repeat("x", MaxPubNubMessage-6-len(testSCh))
	require.NoError(t, c.Publish(ctx, testSCh, fits))
	err := c.Publish(ctx, testSCh, fits+"x")
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "32769 bytes")
	// Escaping counts: a space is three bytes.
	require.ErrorIs(t, c.Publish(ctx, testSCh, strings.Repeat(" ", MaxPubNubMessage/3)), ErrTooLarge)
	o.mu.Lock()
	n := len(o.published)
	o.mu.Unlock()
	assert.Equal(t, 1, n, "refused messages never reached the server")
}

func TestPubNubPing(t *testing.T) {
	o := startOrigin(t)
	c := dialPubNub(t, o.options(t, nil))
	require.NoError(t, c.Ping(context.Background()))
	o.mu.Lock()
	o.timeStatus = 500
	o.mu.Unlock()
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Ping(context.Background()), &apiErr)
	assert.Equal(t, 500, apiErr.Status)
}

func TestPubNubNeverFollowsRedirects(t *testing.T) {
	var hits sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		_, _ = w.Write([]byte(`{"t":{"t":"1","r":0},"m":[]}`))
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	_, err := DialPubNub(context.Background(), PubNubOptions{
		Origin:                redirector.URL,
		BroadcastSubscribeKey: "b", BroadcastChannel: "b", SignalSubscribeKey: "s", SignalPublishKey: "p", SignalChannel: "s",
		HTTPClient: &http.Client{Transport: tr},
	})
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.Status)
	n := 0
	hits.Range(func(any, any) bool { n++; return true })
	assert.Zero(t, n, "the redirect target was never asked")
}

// countingTransport counts the requests of a wrapped RoundTripper.
type countingTransport struct {
	http.RoundTripper
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.RoundTripper.RoundTrip(r)
}

func TestPubNubUsesTheApplicationsTransport(t *testing.T) {
	o := startOrigin(t)
	opts := o.options(t, nil)
	ct := &countingTransport{RoundTripper: opts.HTTPClient.Transport}
	opts.HTTPClient = &http.Client{Transport: ct, Timeout: time.Millisecond} // the client Timeout is not used
	c := dialPubNub(t, opts)
	require.NoError(t, c.Ping(context.Background()))
	require.NoError(t, c.Publish(context.Background(), testSCh, "x"))
	ct.mu.Lock()
	defer ct.mu.Unlock()
	assert.GreaterOrEqual(t, ct.n, 4, "both subscribes, the ping and the publish")
}

func TestPubNubCloseStopsThePolls(t *testing.T) {
	o := startOrigin(t)
	c := dialPubNub(t, o.options(t, nil))
	require.Eventually(t, func() bool { return len(o.subscribes()) >= 4 }, 5*time.Second, time.Millisecond,
		"both long polls are out")
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	<-c.Done()
	assert.Equal(t, ErrClosed, c.Err())
	// goleak (TestMain) checks that no goroutine is left.
}

func TestPubNubOptionsAreChecked(t *testing.T) {
	base := PubNubOptions{Origin: "pn.example", BroadcastSubscribeKey: "b", BroadcastChannel: "b",
		SignalSubscribeKey: "s", SignalPublishKey: "p", SignalChannel: "s"}
	for name, tc := range map[string]struct {
		mod  func(o *PubNubOptions)
		want string
	}{
		"no origin":      {func(o *PubNubOptions) { o.Origin = "" }, "origin is empty"},
		"ftp origin":     {func(o *PubNubOptions) { o.Origin = "ftp://x" }, "not host[:port]"},
		"origin path":    {func(o *PubNubOptions) { o.Origin = "https://x/y" }, "not host[:port]"},
		"origin query":   {func(o *PubNubOptions) { o.Origin = "https://x?a=b" }, "not host[:port]"},
		"origin user":    {func(o *PubNubOptions) { o.Origin = "https://u:p@x" }, "not host[:port]"},
		"no channel":     {func(o *PubNubOptions) { o.SignalChannel = "" }, "SignalChannel is empty"},
		"no publish key": {func(o *PubNubOptions) { o.SignalPublishKey = "" }, "SignalPublishKey is empty"},
		"bad resume":     {func(o *PubNubOptions) { o.Resume.Signal.T = "12ab" }, "not digits"},
	} {
		o := base
		tc.mod(&o)
		_, err := DialPubNub(context.Background(), o)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"ps.pndsn.com":          "https://ps.pndsn.com",
		"127.0.0.1:8443":        "https://127.0.0.1:8443",
		"https://ps.pndsn.com/": "https://ps.pndsn.com",
		"http://127.0.0.1:80":   "http://127.0.0.1:80",
		"[::1]:443":             "https://[::1]:443",
	} {
		u, err := parseOrigin(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, u.String(), in)
	}
}

func TestPubNubOrigin(t *testing.T) {
	for _, tc := range []struct {
		host string
		port int
		want string
	}{
		{"127.0.0.1", 4321, "127.0.0.1:4321"},
		{"http://127.0.0.1", 4321, "http://127.0.0.1:4321"},
		{"https://pn.example/", 0, "https://pn.example"},
		{"pn.example:99", 443, "pn.example:99"},
		{"::1", 8080, "[::1]:8080"},
	} {
		assert.Equal(t, tc.want, PubNubOrigin(tc.host, tc.port), "%s %d", tc.host, tc.port)
	}
}

func TestPubNubURLEscapesEverySegment(t *testing.T) {
	base, err := parseOrigin("http://h")
	require.NoError(t, err)
	c := &PubNubConn{base: base}
	u := c.url([]string{"publish", "k", "ch/1,2", `"a+b c"`}, url.Values{"uuid": {"u 1"}}).String()
	assert.Equal(t, "http://h/publish/k/ch%2F1%2C2/%22a%2Bb%20c%22?uuid=u+1", u)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, `/publish/k/ch/1,2/"a+b c"`, parsed.Path)
}

func TestRetryDelayIsJitteredAndBounded(t *testing.T) {
	assert.Zero(t, retryDelay(0), "the first retry is immediate")
	for f := 1; f < 40; f++ {
		d := retryDelay(f)
		assert.Positive(t, d)
		assert.LessOrEqual(t, d, retryMax)
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[retryDelay(3)] = true
	}
	assert.Greater(t, len(seen), 1, "jittered")
}

func TestPermanentFailures(t *testing.T) {
	for status, want := range map[int]bool{400: true, 403: true, 404: true, 408: false, 429: false, 500: false, 503: false} {
		err := fmt.Errorf("wrapped: %w", &statusError{api: &ocra.APIError{Status: status}})
		assert.Equal(t, want, permanent(err), status)
	}
	assert.False(t, permanent(errors.New("connection reset")))
	assert.False(t, permanent(context.DeadlineExceeded))
}

package pubnub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type testServer struct {
	*Server
	http *httptest.Server
	tr   *http.Transport // the clients' transport
}

func start(t testing.TB, o Options) *testServer {
	t.Helper()
	s := New(o)
	hs := httptest.NewServer(s)
	tr := &http.Transport{}
	t.Cleanup(func() {
		s.Close()
		hs.Close()
		tr.CloseIdleConnections()
	})
	return &testServer{Server: s, http: hs, tr: tr}
}

type received struct{ channel, message string }

// dial subscribes a Go client to the channels bch (broadcast) and sch
// (signal); it closes at the end of the test.
func (ts *testServer) dial(t testing.TB, bch, sch string, resume pubsub.Cursor) (*pubsub.PubNubConn, <-chan received) {
	t.Helper()
	got := make(chan received, 10_000)
	k := ts.Keys()
	c, err := pubsub.DialPubNub(context.Background(), pubsub.PubNubOptions{
		Origin:                ts.http.URL,
		BroadcastSubscribeKey: k.BroadcastSubscribe, BroadcastChannel: bch,
		SignalSubscribeKey: k.SignalSubscribe, SignalPublishKey: k.SignalPublish, SignalChannel: sch,
		Handler:    func(ch, m string) { got <- received{ch, m} },
		HTTPClient: &http.Client{Transport: ts.tr},
		Resume:     resume,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, got
}

func next(t testing.TB, got <-chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10 s")
		return received{}
	}
}

// get makes a raw request and returns status and body.
func (ts *testServer) get(t testing.TB, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: ts.tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestMessagesBothWaysInOrder(t *testing.T) {
	ts := start(t, Options{})
	a, gotA := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	b, gotB := ts.dial(t, "bB", "bS", pubsub.Cursor{})
	ctx := context.Background()
	const n = 200
	for i := range n {
		require.NoError(t, b.Publish(ctx, "aS", "to a "+strconv.Itoa(i)))
		require.NoError(t, a.Publish(ctx, "bS", "to b "+strconv.Itoa(i)))
	}
	require.NoError(t, ts.PublishBroadcast("aB", "invite"))
	// Order holds per channel; a's two channels are two polls, so the
	// invite may come before the last of aS (a reply holds at most
	// maxPerReply messages).
	var onAS []received
	sawInvite := false
	for range n + 1 {
		r := next(t, gotA)
		if r == (received{"aB", "invite"}) && !sawInvite {
			sawInvite = true
			continue
		}
		onAS = append(onAS, r)
	}
	require.True(t, sawInvite, "the invite arrived")
	for i := range n {
		require.Equal(t, received{"aS", "to a " + strconv.Itoa(i)}, onAS[i])
		require.Equal(t, received{"bS", "to b " + strconv.Itoa(i)}, next(t, gotB))
	}
	assert.True(t, ts.Subscribed("aB"))
	assert.True(t, ts.Subscribed("bS"))
	assert.False(t, ts.Subscribed("nobody"))
}

// TestNothingLostOrRepeatedAcrossDroppedPolls publishes without pause while
// the subscriber's polls are dropped again and again, and short holds make
// them cycle: every message arrives once, in order.
func TestNothingLostOrRepeatedAcrossDroppedPolls(t *testing.T) {
	ts := start(t, Options{Hold: 20 * time.Millisecond})
	_, got := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	pub, _ := ts.dial(t, "pB", "pS", pubsub.Cursor{})
	const n = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if i%3 == 0 {
				ts.Drop("aS", "aB")
			}
			time.Sleep(time.Millisecond)
		}
	}()
	ctx := context.Background()
	for i := range n {
		require.NoError(t, pub.Publish(ctx, "aS", strconv.Itoa(i)))
		if i%50 == 0 {
			require.NoError(t, ts.PublishBroadcast("aB", "b"+strconv.Itoa(i)))
		}
	}
	var signal, bcast []string
	for len(signal) < n || len(bcast) < n/50 {
		r := next(t, got)
		if r.channel == "aS" {
			signal = append(signal, r.message)
		} else {
			bcast = append(bcast, r.message)
		}
	}
	done <- struct{}{}
	<-done
	ts.mu.Lock()
	dropped := ts.dropped
	ts.mu.Unlock()
	require.Positive(t, dropped, "polls were dropped while messages flowed")
	t.Logf("%d polls dropped", dropped)
	for i, m := range signal {
		require.Equal(t, strconv.Itoa(i), m)
	}
	for i, m := range bcast {
		require.Equal(t, "b"+strconv.Itoa(i*50), m)
	}
	select {
	case r := <-got:
		t.Fatalf("a message arrived twice: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestResumeDeliversWhatWasPublishedWhileAway(t *testing.T) {
	ts := start(t, Options{})
	a, got := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	require.NoError(t, ts.PublishSignal("aS", "before"))
	require.Equal(t, "before", next(t, got).message)
	require.NoError(t, a.Close())
	cur := a.Cursor() // after Close: past everything handed to the Handler

	require.NoError(t, ts.PublishSignal("aS", "while away 1"))
	require.NoError(t, ts.PublishBroadcast("aB", "invite while away"))
	require.NoError(t, ts.PublishSignal("aS", "while away 2"))

	_, got2 := ts.dial(t, "aB", "aS", cur)
	var all []received
	for range 3 {
		all = append(all, next(t, got2))
	}
	assert.ElementsMatch(t, []received{{"aS", "while away 1"}, {"aB", "invite while away"}, {"aS", "while away 2"}}, all)
	assert.Less(t, indexOf(all, "while away 1"), indexOf(all, "while away 2"), "order per channel")
	select {
	case r := <-got2:
		t.Fatalf("unexpected %+v (\"before\" must not come again)", r)
	case <-time.After(100 * time.Millisecond):
	}
}

func indexOf(rs []received, m string) int {
	for i, r := range rs {
		if r.message == m {
			return i
		}
	}
	return -1
}

func TestHeldPollIsAnsweredWithTheSameCursor(t *testing.T) {
	ts := start(t, Options{Hold: 50 * time.Millisecond})
	k := ts.Keys()
	status, body := ts.get(t, "GET", "/v2/subscribe/"+k.SignalSubscribe+"/x/0?tt=0&uuid=u", "")
	require.Equal(t, 200, status)
	var first struct {
		T struct{ T string } `json:"t"`
	}
	require.NoError(t, jsonUnmarshal(body, &first))
	require.Len(t, first.T.T, 17, "a 17-digit timetoken")

	start := time.Now()
	status, body = ts.get(t, "GET", "/v2/subscribe/"+k.SignalSubscribe+"/x/0?tt="+first.T.T+"&tr=1", "")
	require.Equal(t, 200, status)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "held for the hold time")
	assert.JSONEq(t, `{"t":{"t":"`+first.T.T+`","r":1},"m":[]}`, body)
}

func TestTimetokensStrictlyIncrease(t *testing.T) {
	ts := start(t, Options{})
	var last uint64
	for range 1000 {
		ts.mu.Lock()
		tt := ts.tick(time.Now())
		ts.mu.Unlock()
		require.Greater(t, tt, last)
		require.Len(t, strconv.FormatUint(tt, 10), 17)
		last = tt
	}
	status, body := ts.get(t, "GET", "/time/0", "")
	require.Equal(t, 200, status)
	var v []uint64
	require.NoError(t, jsonUnmarshal(body, &v))
	require.Len(t, v, 1)
	assert.Greater(t, v[0], last)
}

func TestBacklogIsBoundedInCountAndAge(t *testing.T) {
	ts := start(t, Options{Backlog: 5, BacklogAge: 200 * time.Millisecond})
	a, _ := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	require.NoError(t, a.Close())
	cur := a.Cursor()
	for i := range 8 {
		require.NoError(t, ts.PublishSignal("aS", strconv.Itoa(i)))
	}
	_, got := ts.dial(t, "aB", "aS", cur)
	for i := 3; i < 8; i++ {
		assert.Equal(t, strconv.Itoa(i), next(t, got).message, "the 5 newest are kept")
	}

	b, _ := ts.dial(t, "bB", "bS", pubsub.Cursor{})
	require.NoError(t, b.Close())
	cur = b.Cursor()
	require.NoError(t, ts.PublishSignal("bS", "too old"))
	time.Sleep(300 * time.Millisecond) // older than BacklogAge
	require.NoError(t, ts.PublishSignal("bS", "fresh"))
	_, got = ts.dial(t, "bB", "bS", cur)
	assert.Equal(t, "fresh", next(t, got).message)
}

func TestKeyRules(t *testing.T) {
	ts := start(t, Options{})
	k := ts.Keys()
	msg := url.PathEscape(`"x"`)
	for name, path := range map[string]string{
		"publish on the broadcast keyspace": "/publish/" + k.SignalPublish + "/" + k.BroadcastSubscribe + "/0/aB/0/" + msg,
		"unknown publish key":               "/publish/pub-c-nope/" + k.SignalSubscribe + "/0/aS/0/" + msg,
		"subscribe key as publish key":      "/publish/" + k.SignalSubscribe + "/" + k.SignalSubscribe + "/0/aS/0/" + msg,
		"unknown subscribe key":             "/v2/subscribe/sub-c-nope/aS/0?tt=0",
		"presence with unknown key":         "/v2/presence/sub-key/sub-c-nope/channel/aS/heartbeat",
	} {
		status, body := ts.get(t, "GET", path, "")
		assert.Equal(t, http.StatusForbidden, status, name)
		assert.Contains(t, body, `"error":true`, name)
		assert.NotContains(t, body, "sub-c-", name)
	}
	status, body := ts.get(t, "GET", "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/aS/0/"+msg, "")
	assert.Equal(t, 200, status)
	assert.Regexp(t, `^\[1,"Sent","\d{17}"\]$`, body)
	status, _ = ts.get(t, "POST", "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/aS/0", `"posted"`)
	assert.Equal(t, 200, status)

	// A Go client with the broadcast key as its signal key cannot publish.
	c, err := pubsub.DialPubNub(context.Background(), pubsub.PubNubOptions{
		Origin:                ts.http.URL,
		BroadcastSubscribeKey: k.BroadcastSubscribe, BroadcastChannel: "aB",
		SignalSubscribeKey: k.BroadcastSubscribe, SignalPublishKey: k.SignalPublish, SignalChannel: "aB",
		HTTPClient: &http.Client{Transport: ts.tr},
	})
	require.NoError(t, err)
	defer c.Close()
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Publish(context.Background(), "aB", "fake invite"), &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status)
}

func TestMessageSizeLimit(t *testing.T) {
	ts := start(t, Options{})
	k := ts.Keys()
	path := "/publish/" + k.SignalPublish + "/" + k.SignalSubscribe + "/0/aS/0/"
	fits := `"` + strings.Repeat("x", MaxMessage-6-2) + `"` // %22...%22 + "aS"
	status, _ := ts.get(t, "GET", path+url.PathEscape(fits), "")
	assert.Equal(t, 200, status)
	status, body := ts.get(t, "POST", path[:len(path)-1], `"`+strings.Repeat("x", MaxMessage-6-1)+`"`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "Message Too Large")

	assert.ErrorIs(t, ts.PublishBroadcast("aB", strings.Repeat(" ", MaxMessage/3)), ErrTooLarge)

	// The Go client counts the same way: what it refuses, the server would.
	c, _ := ts.dial(t, "cB", "cS", pubsub.Cursor{})
	assert.ErrorIs(t, c.Publish(context.Background(), "aS", strings.Repeat("x", MaxMessage-6-1)), pubsub.ErrTooLarge)
	assert.NoError(t, c.Publish(context.Background(), "aS", strings.Repeat("x", MaxMessage-6-2)))
}

func TestHostileRequestsAreBounded(t *testing.T) {
	ts := start(t, Options{Hold: 10 * time.Millisecond})
	k := ts.Keys()
	pub := "/publish/" + k.SignalPublish + "/" + k.SignalSubscribe + "/0/aS/0"
	sub := "/v2/subscribe/" + k.SignalSubscribe + "/"
	many := strings.TrimSuffix(strings.Repeat("c,", maxPollChannels+1), ",")
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", pub, strings.Repeat("x", maxBody+1), http.StatusRequestEntityTooLarge},
		{"POST", pub, `not json`, http.StatusBadRequest},
		{"GET", pub + "/%7Bnot", "", http.StatusBadRequest},
		{"GET", "/publish/x", "", http.StatusNotFound},
		{"GET", "/", "", http.StatusNotFound},
		{"GET", "/v2/subscribe", "", http.StatusNotFound},
		{"DELETE", "/time/0", "", http.StatusNotFound},
		{"GET", sub + "aS/0?tt=abc", "", http.StatusBadRequest},
		{"GET", sub + "aS/0?tt=-1", "", http.StatusBadRequest},
		{"GET", sub + "aS/0?tt=99999999999999999999999", "", http.StatusBadRequest},
		{"GET", sub + many + "/0?tt=0", "", http.StatusBadRequest},
		{"GET", sub + strings.Repeat("c", MaxChannelLen+1) + "/0?tt=0", "", http.StatusBadRequest},
		{"GET", sub + "a%20b/0?tt=0", "", http.StatusBadRequest},
		{"GET", sub + "a,,b/0?tt=0", "", http.StatusBadRequest},
	} {
		status, body := ts.get(t, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %.80s: %s", tc.method, tc.path, body)
	}
	status, _ := ts.get(t, "GET", sub+"aS,bS/0?tt=1", "")
	assert.Equal(t, 200, status, "two channels in one poll")
}

func TestPresenceAndCORS(t *testing.T) {
	ts := start(t, Options{})
	k := ts.Keys()
	status, body := ts.get(t, "GET", "/v2/presence/sub-key/"+k.SignalSubscribe+"/channel/aS/heartbeat?heartbeat=300&uuid=u", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"status":200,"message":"OK","service":"Presence"}`, body)
	status, body = ts.get(t, "GET", "/v2/presence/sub-key/"+k.SignalSubscribe+"/channel/aS,bS/leave?uuid=u", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"status":200,"message":"OK","action":"leave","service":"Presence"}`, body)

	req, err := http.NewRequest(http.MethodOptions, ts.http.URL+"/publish/a/b/0/c/0", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://127.0.0.1:9")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := (&http.Client{Transport: ts.tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type")
}

func TestListen(t *testing.T) {
	ts := start(t, Options{})
	heard := make(chan string, 4)
	stop := ts.Listen("callS", func(m string) { heard <- m })
	c, _ := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	require.NoError(t, c.Publish(context.Background(), "callS", "from a client"))
	assert.Equal(t, "from a client", <-heard, "the listener runs before the publish is answered")
	require.NoError(t, ts.PublishSignal("callS", "from the server"))
	assert.Equal(t, "from the server", <-heard)
	k := ts.Keys()
	status, _ := ts.get(t, "POST", "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/callS/0", `{"not":"a string"}`)
	require.Equal(t, 200, status)
	stop()
	stop()
	require.NoError(t, ts.PublishSignal("callS", "after stop"))
	assert.Empty(t, heard)
}

func TestLatencyDelaysEveryDelivery(t *testing.T) {
	const latency = 80 * time.Millisecond
	ts := start(t, Options{Latency: latency})
	heard := make(chan time.Time, 1)
	ts.Listen("callS", func(string) { heard <- time.Now() })
	_, got := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	for range 3 {
		sent := time.Now()
		require.NoError(t, ts.PublishSignal("aS", "x"))
		next(t, got)
		assert.GreaterOrEqual(t, time.Since(sent), latency)
	}
	sent := time.Now()
	require.NoError(t, ts.PublishSignal("callS", "x"))
	assert.GreaterOrEqual(t, (<-heard).Sub(sent), latency)
}

func TestSubscribedFollowsThePolls(t *testing.T) {
	ts := start(t, Options{})
	c, got := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	require.Eventually(t, func() bool { return ts.Subscribed("aB") && ts.Subscribed("aS") }, 5*time.Second, time.Millisecond)
	ts.Drop("aB", "aS")
	assert.False(t, ts.Subscribed("aS"), "a dropped poll no longer counts")
	require.Eventually(t, func() bool { return ts.Subscribed("aS") }, 5*time.Second, time.Millisecond, "the client polls again")
	require.NoError(t, ts.PublishSignal("aS", "still here"))
	assert.Equal(t, "still here", next(t, got).message)
	require.NoError(t, c.Err(), "a dropped poll is not a lost connection")
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool { return !ts.Subscribed("aS") }, 5*time.Second, 10*time.Millisecond,
		"gone SubscribedGrace after the client left")
}

func TestRevokeEndsTheClientsConnection(t *testing.T) {
	ts := start(t, Options{})
	c, _ := ts.dial(t, "aB", "aS", pubsub.Cursor{})
	ts.Revoke("aB", "aS")
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not see the revocation")
	}
	var apiErr *ocra.APIError
	require.ErrorAs(t, c.Err(), &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status)
	assert.False(t, ts.Subscribed("aS"))
	k := ts.Keys()
	status, _ := ts.get(t, "GET", "/v2/subscribe/"+k.SignalSubscribe+"/aS/0?tt=0", "")
	assert.Equal(t, http.StatusForbidden, status, "even a first subscribe")
}

func TestCloseEndsHeldPolls(t *testing.T) {
	s := New(Options{})
	hs := httptest.NewServer(s)
	tr := &http.Transport{}
	k := s.Keys()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := (&http.Client{Transport: tr}).Get(fmt.Sprintf("%s/v2/subscribe/%s/c%d/0?tt=1", hs.URL, k.SignalSubscribe, i))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.polls == 5
	}, 5*time.Second, time.Millisecond)
	s.Close()
	s.Close()
	wg.Wait()
	status, _ := (&testServer{Server: s, http: hs, tr: tr}).get(t, "GET", "/time/0", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	hs.Close()
	tr.CloseIdleConnections()
	goleak.VerifyNone(t)
}

func BenchmarkPublishToDelivery(b *testing.B) {
	ts := start(b, Options{})
	_, got := ts.dial(b, "aB", "aS", pubsub.Cursor{})
	pub, _ := ts.dial(b, "pB", "pS", pubsub.Cursor{})
	msg := strings.Repeat("x", 1400) // one MXP part
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Publish(ctx, "aS", msg); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestSubscribeV1 is pubnub 3.x's wire, which Sinch's 1.x SDK uses
// (docs/sinch-rtc-1x.md section 5): tt in the path, an array reply naming
// each message's channel, nothing lost between polls, v1 publish and the
// sub_key form of leave.
func TestSubscribeV1(t *testing.T) {
	ts := start(t, Options{Hold: 200 * time.Millisecond})
	k := ts.Keys()
	chs := url.PathEscape("a,b")
	status, body := ts.get(t, http.MethodGet, "/subscribe/"+k.SignalSubscribe+"/"+chs+"/0/0?uuid=u", "")
	require.Equal(t, http.StatusOK, status, body)
	var first []any
	require.NoError(t, jsonUnmarshal(body, &first))
	require.Len(t, first, 2, body)
	assert.Equal(t, []any{}, first[0])
	tt := first[1].(string)

	for i, ch := range []string{"b", "a"} {
		v, _ := json.Marshal(fmt.Sprintf("10 call - 0 1 m%d", i))
		status, body = ts.get(t, http.MethodGet, "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/"+ch+"/0/"+url.PathEscape(string(v)), "")
		require.Equal(t, http.StatusOK, status, body)
		assert.True(t, strings.HasPrefix(body, `[1,"Sent","`), body)
	}
	status, body = ts.get(t, http.MethodGet, "/subscribe/"+k.SignalSubscribe+"/"+chs+"/0/"+tt, "")
	require.Equal(t, http.StatusOK, status, body)
	var got []any
	require.NoError(t, jsonUnmarshal(body, &got))
	require.Len(t, got, 3, body)
	assert.Equal(t, []any{"10 call - 0 1 m0", "10 call - 0 1 m1"}, got[0])
	assert.Equal(t, "b,a", got[2])

	// The hold ends with the same cursor and no messages.
	status, body = ts.get(t, http.MethodGet, "/subscribe/"+k.SignalSubscribe+"/"+chs+"/0/"+got[1].(string), "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, `[[],"`+got[1].(string)+`"]`, strings.TrimSpace(body))

	status, body = ts.get(t, http.MethodGet, "/v2/presence/sub_key/"+k.SignalSubscribe+"/channel/a,b/leave", "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"action":"leave"`)
	status, _ = ts.get(t, http.MethodGet, "/subscribe/"+k.SignalSubscribe+"/a/0/x1", "")
	assert.Equal(t, http.StatusBadRequest, status)
}

// TestPollReplyIsTheEnvelopesJSON: the subscribe reply, built by hand, is
// the JSON that encoding/json makes of the same envelopes, whatever the
// strings in them.
func TestPollReplyIsTheEnvelopesJSON(t *testing.T) {
	env := []envelope{
		{A: "1", I: `pub "x" <&> é`, P: publishTT{T: "17000000000000001", R: region}, K: "sub-c-k", C: "ch", D: json.RawMessage(`"10|a|1|1|QUJD+/="`)},
		{A: "1", P: publishTT{T: "17000000000000002", R: region}, K: "sub-c-k", C: "ch\u2028", D: json.RawMessage(`{"x":[1,"<b>"]}`)},
	}
	for _, tc := range []struct {
		tt  uint64
		env []envelope
	}{{17000000000000000, nil}, {17000000000000002, env}} {
		got := appendPollReply(nil, tc.tt, tc.env)
		require.True(t, json.Valid(got), "%s", got)
		want := map[string]any{
			"t": map[string]any{"t": strconv.FormatUint(tc.tt, 10), "r": region},
			"m": tc.env,
		}
		if tc.env == nil {
			want["m"] = []envelope{}
		}
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		var g, w any
		require.NoError(t, json.Unmarshal(got, &g))
		require.NoError(t, json.Unmarshal(wantJSON, &w))
		assert.Equal(t, w, g)
	}
}

// TestPublishedJSONIsCompacted: a published value is stored and delivered
// without insignificant white space; what is not one JSON value is refused.
func TestPublishedJSONIsCompacted(t *testing.T) {
	ts := start(t, Options{})
	k := ts.Keys()
	_, body := ts.get(t, http.MethodGet, "/time/0", "")
	tt0 := strings.Trim(body, "[]")
	status, body := ts.get(t, http.MethodGet, "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/cS/0/"+
		url.PathEscape(` { "a" : [ 1 , "b c" ] } `), "")
	require.Equal(t, http.StatusOK, status, body)
	status, body = ts.get(t, http.MethodGet, "/v2/subscribe/"+k.SignalSubscribe+"/cS/0?tt="+tt0, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"c":"cS","d":{"a":[1,"b c"]}}`)
	for _, bad := range []string{`{"a":`, `1 2`, ` `} {
		status, body = ts.get(t, http.MethodGet, "/publish/"+k.SignalPublish+"/"+k.SignalSubscribe+"/0/cS/0/"+url.PathEscape(bad), "")
		assert.Equal(t, http.StatusBadRequest, status, "%q: %s", bad, body)
	}
}

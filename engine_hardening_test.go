package sinch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// Issue 13.1: a server whose clock is 20 minutes behind gives instances 10
// minutes of life. Judged on the local clock they had expired before they
// were made, and every extension asked for the next at once. Judged on the
// server's clock (the offset its Date header taught the signing clock), the
// instance is extended only near its end.
func TestExtensionIsJudgedOnTheServersClock(t *testing.T) {
	behind := func() time.Time { return time.Now().Add(-20 * time.Minute) }
	srv := ocratest.NewServer(ocratest.WithClock(behind),
		ocratest.WithInstanceTTL(10*time.Minute), ocratest.WithTTLWindow(time.Minute))
	defer srv.Close()
	tp := newTamper(nil)
	p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
	observe(2 * time.Second)
	require.Zero(t, tp.count("PUT /ttl"), "no extension in the instance's first minutes")
	require.Empty(t, p.credentials, "no token asked for")
	require.True(t, p.IsStarted())
}

// Issue 13.1: configuration values that make no sense are replaced by the
// documented fallbacks instead of starting an extension storm.
func TestAbsurdExpiryValuesDoNotStormExtensions(t *testing.T) {
	for name, tamperWith := range map[string]func(body map[string]any){
		"window of 1e300 days": func(b map[string]any) { field(b, "config")["updateInstanceTtlWindowDays"] = 1e300 },
		"negative window":      func(b map[string]any) { field(b, "config")["updateInstanceTtlWindowDays"] = -1 },
		"no expireAt":          func(b map[string]any) { delete(field(b, "instance"), "expireAt") },
		"expireAt in the past": func(b map[string]any) { field(b, "instance")["expireAt"] = "2001-01-01T00:00:00Z" },
	} {
		t.Run(name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			tp := newTamper(nil)
			tp.onAnswer("POST /instances", tamperWith)
			p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
			observe(1500 * time.Millisecond)
			require.Zero(t, tp.count("PUT /ttl"), "the fallback schedules no extension for hours")
			require.True(t, p.IsStarted())
		})
	}
}

// Issue 13.1: a server whose every answer gives the instance 50 ms more
// life is met with at least a second between extensions, doubling while
// it lasts, not with twenty extensions a second.
func TestExtensionRateIsBounded(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	tp := newTamper(nil)
	soon := func() string { return time.Now().Add(50 * time.Millisecond).UTC().Format(time.RFC3339Nano) }
	tp.onAnswer("POST /instances", func(b map[string]any) { field(b, "instance")["expireAt"] = soon() })
	tp.onAnswer("PUT /ttl", func(b map[string]any) { b["expireAt"] = soon() })
	p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
	observe(3500 * time.Millisecond)
	n := tp.count("PUT /ttl")
	t.Logf("%d extensions in 3.5 s", n)
	require.LessOrEqual(t, n, 3, "extensions 1 s, then 2 s apart")
	require.GreaterOrEqual(t, n, 1, "it still extends")
	require.True(t, p.IsStarted())
}

// heldTokens is a listener that answers the first OnCredentialsRequired and
// hands the later ones to the test.
type heldTokens struct {
	sinch.ClientListenerFuncs
	asked chan sinch.ClientRegistration
}

func newHeldTokens(srv *ocratest.Server, user string) *heldTokens {
	h := &heldTokens{asked: make(chan sinch.ClientRegistration, 16)}
	first := true
	h.OnCredentialsRequiredFunc = func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
		if first {
			first = false
			reg.Register(srv.Token(user))
			return
		}
		h.asked <- reg
	}
	return h
}

// Issue 13.3: while the application takes its time to hand over the token
// of an extension, the client still notices a lost channel and reconnects.
func TestSlowTokenAtExtensionKeepsTheClientListening(t *testing.T) {
	// The WebSocket: Disconnect makes it reconnect (PubNub polls again).
	srv := ocratest.NewServer(ocratest.WithWebSocket(), ocratest.WithInstanceTTL(6*time.Second), ocratest.WithTTLWindow(time.Second))
	defer srv.Close()
	lst := newHeldTokens(srv, "alice")
	reconnected := make(chan struct{}, 4)
	lst.OnClientReconnectedFunc = func(*sinch.SinchClient) { reconnected <- struct{}{} }
	c := buildClient(t, srv, "alice", func(b *sinch.SinchClientBuilder) { b.CredentialsTimeout(time.Minute) })
	c.AddListener(lst)
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	first := srv.Instances("alice")[0].ExpireAt

	reg := waitFor(t, lst.asked, 10*time.Second, "the extension's OnCredentialsRequired")
	start := time.Now()
	srv.Disconnect("alice")
	waitFor(t, reconnected, 10*time.Second, "OnClientReconnected while the token is awaited")
	t.Logf("reconnected %v after the drop, while the token was awaited", time.Since(start).Round(time.Millisecond))
	reg.Register(srv.Token("alice"))
	require.Eventually(t, func() bool {
		insts := srv.Instances("alice")
		return len(insts) == 1 && insts[0].ExpireAt.After(first)
	}, 10*time.Second, 10*time.Millisecond, "the instance extended with the late token")
	require.True(t, c.IsStarted())
}

// Issue 13.3: an extension that gets no token within CredentialsTimeout,
// while the instance is still valid, asks again later instead of failing
// the client.
func TestExtensionWithoutATokenAsksAgain(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithInstanceTTL(6*time.Second), ocratest.WithTTLWindow(time.Second))
	defer srv.Close()
	lst := newHeldTokens(srv, "alice")
	var failed error
	var mu sync.Mutex
	lst.OnClientFailedFunc = func(_ *sinch.SinchClient, err error) { mu.Lock(); failed = err; mu.Unlock() }
	c := buildClient(t, srv, "alice", func(b *sinch.SinchClientBuilder) { b.CredentialsTimeout(500 * time.Millisecond) })
	c.AddListener(lst)
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	first := srv.Instances("alice")[0].ExpireAt

	waitFor(t, lst.asked, 10*time.Second, "the extension's OnCredentialsRequired") // left unanswered
	start := time.Now()
	reg := waitFor(t, lst.asked, 10*time.Second, "OnCredentialsRequired asked again")
	reg.Register(srv.Token("alice"))
	require.Eventually(t, func() bool {
		insts := srv.Instances("alice")
		return len(insts) == 1 && insts[0].ExpireAt.After(first)
	}, 10*time.Second, 10*time.Millisecond, "the instance extended with the second token")
	t.Logf("extended %v after the unanswered request (CredentialsTimeout 500ms)", time.Since(start).Round(time.Millisecond))
	require.True(t, c.IsStarted())
	mu.Lock()
	defer mu.Unlock()
	require.NoError(t, failed)
}

// buildClient builds a client of user against srv with the peers' fast
// settings, not started; it terminates at the end of the test.
func buildClient(t *testing.T, srv *ocratest.Server, user string, opts ...peerOption) *sinch.SinchClient {
	t.Helper()
	c, err := sinchtest.Builder(srv, user, append([]sinchtest.Option{fastPeer}, opts...)...).Build()
	require.NoError(t, err)
	t.Cleanup(c.Terminate)
	return c
}

// Issue 13.4: a server that accepts realtime connections and drops them at
// once meets a growing reconnect delay, not a reconnect storm: the backoff
// is reset only by a connection that answered a ping.
func TestFlappingServerMeetsAGrowingBackoff(t *testing.T) {
	// The WebSocket: over PubNub a dropped poll is made again from its
	// cursor, not a reconnect, so drops cannot make a reconnect storm.
	srv := ocratest.NewServer(ocratest.WithWebSocket())
	defer srv.Close()
	var mu sync.Mutex
	var attempts []int
	alice := newPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.ReconnectDelay(func(attempt int) time.Duration {
			mu.Lock()
			attempts = append(attempts, attempt)
			mu.Unlock()
			return 20 * time.Millisecond << min(attempt-1, 5)
		})
	})
	events := countEvents(alice)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		srv.Disconnect("alice")
		time.Sleep(time.Millisecond) // the flapping's pace, not a synchronisation
	}
	calm := time.Now()
	require.Eventually(t, func() bool {
		return events.get("reconnected") == events.get("reconnecting") && srv.Instances("alice")[0].Online
	}, 10*time.Second, time.Millisecond, "reconnected for good once the flapping stopped")
	t.Logf("reconnected for good %v after the flapping stopped", time.Since(calm).Round(time.Millisecond))
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d reconnects in 2 s of flapping; delays asked for attempts %v", events.get("reconnected"), attempts)
	require.LessOrEqual(t, events.get("reconnected"), 15, "reconnects in 2 s of flapping")
	require.GreaterOrEqual(t, slices.Max(append(attempts, 0)), 4, "the delay grew: %v", attempts)
	require.True(t, alice.IsStarted())
}

// publisher is a raw realtime connection of another user, which publishes
// whatever a test wants on signal channels.
func publisher(t *testing.T, srv *ocratest.Server, user string) *pubsub.WSConn {
	t.Helper()
	rest, err := ocra.NewClient(srv.URL(), srv.Client())
	require.NoError(t, err)
	ctx := waitCtx(t)
	resp, err := rest.CreateInstance(ctx, srv.Token(user), ocra.CreateInstanceRequest{UserID: user, DeviceID: "raw"})
	require.NoError(t, err)
	secret, err := ocra.DecodeSecret(resp.Instance.Secret)
	require.NoError(t, err)
	creds := ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret}
	conn, err := pubsub.Dial(ctx, rest.PubSubURL(), pubsub.DialOptions{Header: rest.PubSubHeader(creds)})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// flood publishes n MXP frames of unknown calls to channel.
func flood(t *testing.T, conn *pubsub.WSConn, channel string, n int) {
	t.Helper()
	for i := range n {
		f := mxp.Frame{SessionID: "call-" + strconv.Itoa(i%20), MsgID: "-", Total: 1, Data: "QUFBQQ=="}
		require.NoError(t, conn.Publish(waitCtx(t), channel, f.String()))
	}
}

// Issue 13.6: when a started client fails, its realtime connection is
// closed, and its deliveries to the call engine stopped, before the
// failure is published. Here the old connection is slow to close (the
// server's bytes to it are held), and a Start right after the failure
// must not run a second connection into the call engine beside the old
// one (the race detector watches the call engine's state).
func TestFailedClientRestartsWithoutTheOldChannel(t *testing.T) {
	// The WebSocket: the hold proxy holds WebSocket connections.
	srv := ocratest.NewServer(ocratest.WithWebSocket(), ocratest.WithConfigRefreshInterval(time.Second))
	defer srv.Close()
	hp := newHoldProxy(t, srv.URL())
	alice := newPeer(t, srv, hp.URL(), "alice", func(b *sinch.SinchClientBuilder) { b.PingInterval(time.Hour) })
	old := srv.Instances("alice")[0].ID
	oldSignal := srv.Instances("alice")[0].SignalChannel
	mallory := publisher(t, srv, "mallory")

	hp.Hold()
	flood(t, mallory, oldSignal, 100) // waits in the proxy
	srv.InjectFault(ocratest.Fault{Method: http.MethodGet, Path: "/instances/" + old + "/config", Status: http.StatusForbidden, Times: 1})
	require.Eventually(t, func() bool { return !alice.IsStarted() }, 10*time.Second, time.Millisecond, "the refresh fails the client")
	require.ErrorContains(t, alice.WaitStarted(waitCtx(t)), "refreshing the configuration")
	for _, in := range srv.Instances("alice") {
		require.NotEqual(t, old, in.ID, "the old instance is gone before the failure is published")
	}

	restart := time.Now()
	require.NoError(t, alice.Start())
	require.NoError(t, alice.WaitStarted(waitCtx(t)))
	t.Logf("started again in %v", time.Since(restart).Round(time.Millisecond))
	var current string
	for _, in := range srv.Instances("alice") {
		if in.ID != old {
			current = in.SignalChannel
		}
	}
	require.NotEmpty(t, current, "the new instance")
	var wg sync.WaitGroup
	wg.Go(func() { flood(t, mallory, current, 100) })
	hp.Release() // whatever the old connection still had
	wg.Wait()
	require.True(t, alice.IsStarted())
}

// Issue 13.9: an HTTPClient whose Transport is a middleware (here one that
// counts requests) around the transport that trusts the server's CA: the
// realtime channel (wss) trusts it too.
func TestRealtimeChannelUsesTheWrappedTransportsTLS(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithTLS())
	defer srv.Close()
	tp := newTamper(srv.Client().Transport)
	p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
	require.True(t, srv.Instances("alice")[0].Online, "the realtime channel is up")
	require.Positive(t, tp.count("POST /instances"), "REST went through the middleware")
	require.True(t, p.IsStarted())
}

// Issue 13.9: the realtime channel goes through the proxy of the
// HTTPClient's transport, inside a middleware, as REST does: the WebSocket
// tunnelled, PubNub's requests forwarded like REST's.
func TestRealtimeChannelGoesThroughTheTransportsProxy(t *testing.T) {
	forEachTransport(t, func(t *testing.T, trp transport) {
		srv := trp.server(t)
		fp := newForwardProxy(t)
		tr := &http.Transport{Proxy: http.ProxyURL(fp.url)}
		defer tr.CloseIdleConnections()
		p := startedPeer(t, srv, srv.URL(), "alice", withTamper(newTamper(tr)))
		forwarded, tunnels := fp.counts()
		require.Positive(t, forwarded, "REST requests through the proxy")
		if trp.polls {
			require.True(t, fp.sawPubNub(), "PubNub's subscribes forwarded by the proxy")
		} else {
			require.Equal(t, 1, tunnels, "the realtime channel tunnelled through the proxy")
		}
		require.True(t, srv.Instances("alice")[0].Online)
		p.Terminate() // its polls end before the proxy closes
	})
}

// opaque is a middleware that does not say what it wraps.
type opaque struct{ next http.RoundTripper }

func (o opaque) RoundTrip(r *http.Request) (*http.Response, error) { return o.next.RoundTrip(r) }

// Issue 13.9, the rule: a middleware without Unwrap hides the transport's
// settings from the WebSocket, and the error says so. PubNub sends its
// requests with the middleware itself: it starts.
func TestMiddlewareWithoutUnwrapIsNamedInTheError(t *testing.T) {
	pn := ocratest.NewServer(ocratest.WithTLS())
	defer pn.Close()
	startedPeer(t, pn, pn.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.HTTPClient(&http.Client{Transport: opaque{pn.Client().Transport}})
	})
	require.True(t, pn.Instances("alice")[0].Online, "PubNub through the opaque middleware")

	srv := ocratest.NewServer(ocratest.WithWebSocket(), ocratest.WithTLS())
	defer srv.Close()
	p := buildPeer(t, srv, srv.URL(), "alice", func(b *sinch.SinchClientBuilder) {
		b.HTTPClient(&http.Client{Transport: opaque{srv.Client().Transport}})
	})
	require.NoError(t, p.Start())
	err := p.WaitStarted(waitCtx(t))
	require.ErrorContains(t, err, "certificate signed by unknown authority")
	require.ErrorContains(t, err, "sinch_test.opaque is not an *http.Transport and has no Unwrap() http.RoundTripper method")
	require.Empty(t, srv.Instances("alice"), "the instance is deleted again")
}

// slowAnswer delays the server's answers to route by d, and loses them
// when the request is cancelled meanwhile: the server has created what
// the request asked for, but the SDK never hears of it.
func slowAnswer(tp *tamper, route string, d func() time.Duration, arrived chan<- struct{}) {
	tp.afterAnswer(route, func(r *http.Request) error {
		if arrived != nil {
			arrived <- struct{}{}
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(d()):
			return nil
		}
	})
}

// Issue 13.10: Terminate while POST /instances is in flight (the server has
// created the instance, its answer is on the way) leaves no instance.
func TestTerminateDuringRegistrationLeavesNoInstance(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	tp := newTamper(nil)
	created := make(chan struct{}, 1)
	slowAnswer(tp, "POST /instances", func() time.Duration { return 300 * time.Millisecond }, created)
	p := buildPeer(t, srv, srv.URL(), "alice", withTamper(tp))
	require.NoError(t, p.Start())
	waitFor(t, created, 10*time.Second, "the instance created")
	start := time.Now()
	p.Terminate()
	t.Logf("Terminate took %v (the answer was 300 ms late)", time.Since(start).Round(time.Millisecond))
	require.Empty(t, srv.Instances("alice"))
	require.ErrorIs(t, p.WaitStarted(waitCtx(t)), sinch.ErrClientTerminated)
}

// Issue 13.10: Terminate at any point of a Start leaves no instance on
// the server (100 rounds, each Terminate after a random delay; the
// server's answer to POST /instances takes up to 10 ms).
func TestStartTerminateLoopLeavesNoInstance(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	tp := newTamper(nil)
	slowAnswer(tp, "POST /instances", func() time.Duration { return rand.N(10 * time.Millisecond) }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	defer func() { t.Logf("100 rounds in %v", time.Since(start).Round(time.Millisecond)) }()
	for round := range 100 {
		user := fmt.Sprintf("loop%d", round)
		p := buildPeer(t, srv, srv.URL(), user, withTamper(tp))
		require.NoError(t, p.Start())
		time.Sleep(rand.N(15 * time.Millisecond)) // where Terminate strikes, not a synchronisation
		p.Terminate()
		require.Empty(t, srv.Instances(user), "round %d", round)
		require.NoError(t, ctx.Err(), "the loop is bounded in time")
	}
}

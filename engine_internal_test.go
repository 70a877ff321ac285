package sinch

import (
	"context"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestTTLWindowIgnoresValuesThatMakeNoSense(t *testing.T) {
	for _, days := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, -1e-9, 365.5, 1e300} {
		_, ok := ttlWindow(days)
		require.False(t, ok, "%v days", days)
	}
	for days, want := range map[float64]time.Duration{0: 0, 0.5: 12 * time.Hour, 7: 7 * 24 * time.Hour, 365: 365 * 24 * time.Hour} {
		w, ok := ttlWindow(days)
		require.True(t, ok, "%v days", days)
		require.Equal(t, want, w, "%v days", days)
	}
}

func TestExtendInJudgesTheRemainingLife(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for name, tc := range map[string]struct {
		life       time.Duration
		windowDays float64
		want       time.Duration
	}{
		"window before two thirds":   {30 * day, 7, 20 * day},
		"window after two thirds":    {30 * day, 1, 20 * day},
		"window near the end":        {30 * day, 12, 18 * day},
		"window as long as the life": {3 * day, 3, 2 * day},
		"NaN window":                 {30 * day, math.NaN(), 20 * day},
		"past: a day assumed":        {-time.Hour, 1, 16 * time.Hour},
		"unknown: a day assumed":     {0, 1, 16 * time.Hour},
		"far future saturates":       {math.MaxInt64, 1, math.MaxInt64 / 3 * 2},
	} {
		inst := &instance{expireAt: now.Add(tc.life), config: ocra.Config{UpdateInstanceTTLWindowDays: tc.windowDays}}
		if tc.life == 0 {
			inst.expireAt = time.Time{}
		}
		got, _ := inst.extendIn(now)
		require.Equal(t, tc.want, got, name)
	}
}

func TestRefreshIntervalIsBounded(t *testing.T) {
	for ms, want := range map[int64]time.Duration{
		0: 24 * time.Hour, -5: 24 * time.Hour, 10: time.Second, 60_000: time.Minute,
		math.MaxInt64: 24 * time.Hour, // would overflow a Duration
	} {
		inst := &instance{config: ocra.Config{ConfigRefreshIntervalMs: ms}}
		require.Equal(t, want, inst.refreshInterval(), "%d ms", ms)
	}
}

type wrapper struct{ next http.RoundTripper }

func (w wrapper) RoundTrip(r *http.Request) (*http.Response, error) { return w.next.RoundTrip(r) }
func (w wrapper) Unwrap() http.RoundTripper                         { return w.next }

type hidden struct{ http.RoundTripper }

func TestFindTransportLooksThroughMiddleware(t *testing.T) {
	tr := &http.Transport{}
	require.Same(t, tr, findTransport(tr))
	require.Same(t, tr, findTransport(wrapper{wrapper{tr}}))
	require.Nil(t, findTransport(hidden{tr}), "no Unwrap")
	require.Nil(t, findTransport(wrapper{hidden{tr}}))
	var deep http.RoundTripper = tr
	for range maxUnwrap + 1 {
		deep = wrapper{deep}
	}
	require.Nil(t, findTransport(deep), "bounded")
	require.Nil(t, findTransport(wrapper{nil}))

	require.Equal(t, http.DefaultTransport, newRealtimeOptions(nil).transport)
	require.Equal(t, http.DefaultTransport, newRealtimeOptions(&http.Client{}).transport)
	require.Equal(t, "sinch.hidden", newRealtimeOptions(&http.Client{Transport: hidden{tr}}).notFound)
}

// withCursor is a connection with a cursor of its own.
type withCursor struct {
	pubsub.Conn
	cur pubsub.Cursor
}

func (c withCursor) Cursor() pubsub.Cursor { return c.cur }

// A reconnect of the same instance resumes where the lost connection's
// cursor stood; a new instance starts afresh.
func TestReconnectResumesTheLostConnectionsCursor(t *testing.T) {
	// The WebSocket, because Disconnect makes it reconnect (PubNub polls
	// again); the cursors are the test's own.
	srv := ocratest.NewServer(ocratest.WithWebSocket())
	defer srv.Close()
	c, err := GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).EnvironmentHost(srv.URL()).
		UserID("alice").ReconnectDelay(func(int) time.Duration { return 10 * time.Millisecond }).Build()
	require.NoError(t, err)
	defer c.Terminate()

	var mu sync.Mutex
	var resumes []*pubsub.Cursor
	dials := 0
	e := c.reg
	e.dial = func(ctx context.Context, inst *instance, deliver pubsub.Handler, resume *pubsub.Cursor) (pubsub.Conn, error) {
		conn, err := e.dialRealtime(ctx, inst, deliver, resume)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		dials++
		resumes = append(resumes, resume)
		return withCursor{conn, pubsub.Cursor{Signal: pubsub.Timetoken{T: inst.creds.InstanceID, R: dials}}}, nil
	}
	reconnected := make(chan struct{}, 4)
	c.AddListener(&ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *SinchClient, reg ClientRegistration) { reg.Register(srv.Token("alice")) },
		OnClientReconnectedFunc:   func(*SinchClient) { reconnected <- struct{}{} },
	})
	require.NoError(t, c.Start())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.WaitStarted(ctx))
	id := srv.Instances("alice")[0].ID

	srv.Disconnect("alice")
	<-reconnected
	srv.Restart(ocratest.ForgetInstances())
	<-reconnected

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, resumes, 3)
	require.Nil(t, resumes[0], "the first connection starts now")
	require.Equal(t, &pubsub.Cursor{Signal: pubsub.Timetoken{T: id, R: 1}}, resumes[1], "the same instance resumes")
	require.Nil(t, resumes[2], "a new instance starts now")
}

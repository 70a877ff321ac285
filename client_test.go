package sinch_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a listener that records events in order and answers
// OnCredentialsRequired with token().
type recorder struct {
	token func() string // "" answers RegisterFailed

	mu     sync.Mutex
	events []string
	err    error
	creds  chan struct{}
}

func newRecorder(token func() string) *recorder {
	return &recorder{token: token, creds: make(chan struct{}, 16)}
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) Events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) OnClientStarted(*sinch.SinchClient) { r.add("started") }

func (r *recorder) OnClientFailed(_ *sinch.SinchClient, err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
	r.add("failed")
}

func (r *recorder) OnCredentialsRequired(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
	r.add("credentials")
	if jwt := r.token(); jwt != "" {
		reg.Register(jwt)
	} else {
		reg.RegisterFailed()
	}
	r.creds <- struct{}{}
}

func newTestClient(t *testing.T, srv *ocratest.Server, user string) *sinch.SinchClient {
	t.Helper()
	// Not sinchtest.Build: these tests answer OnCredentialsRequired themselves.
	c, err := sinchtest.Builder(srv, user, func(b *sinch.SinchClientBuilder) { b.RequestTimeout(3 * time.Second) }).Build()
	require.NoError(t, err)
	t.Cleanup(c.Terminate)
	return c
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartRegistersAndTerminateUnregisters(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	rec := newRecorder(func() string { return srv.Token("alice") })
	c.AddListener(rec)

	require.NoError(t, c.Start())
	require.ErrorIs(t, c.Start(), sinch.ErrAlreadyStarted)
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	require.True(t, c.IsStarted())
	require.Eventually(t, func() bool { return len(rec.Events()) == 2 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"credentials", "started"}, rec.Events())

	insts := srv.Instances("alice")
	require.Len(t, insts, 1)
	require.True(t, insts[0].Online, "subscribed to its broadcast channel")

	c.Terminate()
	c.Terminate() // idempotent
	require.False(t, c.IsStarted())
	require.Empty(t, srv.Instances("alice"), "Terminate deletes the instance")
}

func TestStartFailsWithTheServersCode(t *testing.T) {
	const user = "alice"
	otherSecret := "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1hcHBzLXNlY3JldA=="
	for _, tc := range []struct {
		name    string
		setup   func(srv *ocratest.Server) (token func() string)
		code    int
		domain  sinch.ErrorType
		message string
	}{
		{
			name: "token signed with another secret",
			setup: func(srv *ocratest.Server) func() string {
				return func() string { return mustToken(t, srv.ApplicationKey(), otherSecret, user) }
			},
			code: 40103, domain: sinch.ErrorTypeAPI, message: "check the application secret",
		},
		{
			name: "expired token",
			setup: func(srv *ocratest.Server) func() string {
				past := func() time.Time { return time.Now().Add(-time.Hour) }
				return func() string {
					return mustToken(t, srv.ApplicationKey(), srv.ApplicationSecret(), user, auth.WithClock(past))
				}
			},
			code: 40103, domain: sinch.ErrorTypeAPI, message: "expired",
		},
		{
			name: "token of another user",
			setup: func(srv *ocratest.Server) func() string {
				return func() string { return srv.Token("mallory") }
			},
			code: 40103, domain: sinch.ErrorTypeAPI, message: "whose sub is this user id",
		},
		{
			name: "server answers 503",
			setup: func(srv *ocratest.Server) func() string {
				srv.InjectFault(ocratest.Fault{Path: "/instances", Status: 503})
				return func() string { return srv.Token(user) }
			},
			code: 50300, domain: sinch.ErrorTypeAPI, message: "try again later",
		},
		{
			name: "server down",
			setup: func(srv *ocratest.Server) func() string {
				srv.Close()
				return func() string { return "a.b.c" }
			},
			domain: sinch.ErrorTypeNetwork, message: "cannot reach Ocra",
		},
		{
			name: "register failed",
			setup: func(srv *ocratest.Server) func() string {
				return func() string { return "" }
			},
			domain: sinch.ErrorTypeGeneric, message: "RegisterFailed",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			rec := newRecorder(tc.setup(srv))
			c := newTestClient(t, srv, user)
			c.AddListener(rec)
			require.NoError(t, c.Start())

			err := c.WaitStarted(waitCtx(t))
			var serr *sinch.SinchError
			require.ErrorAs(t, err, &serr)
			require.Equal(t, tc.code, serr.Code, "%v", err)
			require.Equal(t, tc.domain, serr.Domain, "%v", err)
			require.Contains(t, err.Error(), tc.message)
			require.NotContains(t, err.Error(), srv.ApplicationSecret())
			require.False(t, c.IsStarted())

			require.Eventually(t, func() bool { return len(rec.Events()) == 2 }, 5*time.Second, time.Millisecond)
			require.Equal(t, []string{"credentials", "failed"}, rec.Events())
			require.Same(t, serr, rec.err)
		})
	}
}

func mustToken(t *testing.T, key, secret, user string, opts ...auth.Option) string {
	token, err := auth.NewRegistrationToken(key, secret, user, opts...)
	require.NoError(t, err)
	return token
}

func TestReplayedTokenIsRefused(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	token := srv.Token("alice")
	first := newTestClient(t, srv, "alice")
	first.AddListener(newRecorder(func() string { return token }))
	require.NoError(t, first.Start())
	require.NoError(t, first.WaitStarted(waitCtx(t)))

	second := newTestClient(t, srv, "alice")
	second.AddListener(newRecorder(func() string { return token }))
	require.NoError(t, second.Start())
	var serr *sinch.SinchError
	require.ErrorAs(t, second.WaitStarted(waitCtx(t)), &serr)
	require.Equal(t, 40103, serr.Code)
	require.Contains(t, serr.Error(), "nonce")
	require.NotContains(t, serr.Error(), token)
}

func TestStartWithoutListenerFails(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	require.NoError(t, c.Start())
	err := c.WaitStarted(waitCtx(t))
	require.ErrorContains(t, err, "AddListener before Start")
}

func TestUnansweredCredentialsTimeOut(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c, err := sinch.GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).UserID("alice").CredentialsTimeout(50 * time.Millisecond).Build()
	require.NoError(t, err)
	defer c.Terminate()
	c.AddListener(&sinch.ClientListenerFuncs{}) // never answers
	require.NoError(t, c.Start())
	require.ErrorContains(t, c.WaitStarted(waitCtx(t)), "no answer to OnCredentialsRequired within 50ms")
}

func TestFailedClientCanStartAgainFromItsCallback(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	remove := srv.InjectFault(ocratest.Fault{Path: "/instances", Status: 503, Times: 1})
	defer remove()
	c := newTestClient(t, srv, "alice")
	started := make(chan struct{})
	var failures int
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token("alice")) },
		OnClientFailedFunc: func(c *sinch.SinchClient, err error) {
			failures++
			require.NoError(t, c.Start(), "Start from inside OnClientFailed")
		},
		OnClientStartedFunc: func(*sinch.SinchClient) { close(started) },
	})
	require.NoError(t, c.Start())
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the second Start did not start the client")
	}
	require.Equal(t, 1, failures)
}

func TestTerminateFromInsideCallbacks(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()

	t.Run("OnClientStarted", func(t *testing.T) {
		c := newTestClient(t, srv, "alice")
		terminated := make(chan struct{})
		c.AddListener(&sinch.ClientListenerFuncs{
			OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token("alice")) },
			OnClientStartedFunc: func(c *sinch.SinchClient) {
				c.Terminate()
				close(terminated)
			},
		})
		require.NoError(t, c.Start())
		select {
		case <-terminated:
		case <-time.After(10 * time.Second):
			t.Fatal("Terminate inside OnClientStarted deadlocked")
		}
		require.ErrorIs(t, c.WaitStarted(waitCtx(t)), sinch.ErrClientTerminated)
		require.Empty(t, srv.Instances("alice"))
	})

	t.Run("OnCredentialsRequired", func(t *testing.T) {
		c := newTestClient(t, srv, "bob")
		c.AddListener(&sinch.ClientListenerFuncs{
			OnCredentialsRequiredFunc: func(c *sinch.SinchClient, reg sinch.ClientRegistration) {
				c.Terminate()
				reg.Register(srv.Token("bob")) // too late: ignored
			},
		})
		require.NoError(t, c.Start())
		require.ErrorIs(t, c.WaitStarted(waitCtx(t)), sinch.ErrClientTerminated)
		require.Empty(t, srv.Instances("bob"))
	})
}

func TestEveryMethodAfterTerminate(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	c.AddListener(newRecorder(func() string { return srv.Token("alice") }))
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	calls, audio, video := c.CallController(), c.AudioController(), c.VideoController()
	c.Terminate()

	require.ErrorIs(t, c.Start(), sinch.ErrClientTerminated)
	require.ErrorIs(t, c.WaitStarted(waitCtx(t)), sinch.ErrClientTerminated)
	require.ErrorIs(t, c.SetDisplayName("Alice"), sinch.ErrClientTerminated)
	require.False(t, c.IsStarted())
	c.AddListener(newRecorder(func() string { return "" }))
	c.RemoveListener(nil)
	require.Same(t, calls, c.CallController(), "the same controller after Terminate")

	for name, f := range map[string]func() error{
		"CallUser":         func() error { _, err := calls.CallUser("bob", nil); return err },
		"CallUserVideo":    func() error { _, err := calls.CallUserVideo("bob", nil); return err },
		"CallPhoneNumber":  func() error { _, err := calls.CallPhoneNumber("+46700000000", nil); return err },
		"CallSip":          func() error { _, err := calls.CallSip("bob@example.com", nil); return err },
		"CallConference":   func() error { _, err := calls.CallConference("room", nil); return err },
		"Mute":             audio.Mute,
		"Unmute":           audio.Unmute,
		"SetSourceFactory": func() error { return audio.SetSourceFactory(nil) },
		"SetSinkFactory":   func() error { return audio.SetSinkFactory(nil) },
		"Video source":     func() error { return video.SetSourceFactory(nil) },
		"Video sink":       func() error { return video.SetSinkFactory(nil) },
	} {
		require.ErrorIs(t, f(), sinch.ErrClientTerminated, name)
	}
	require.Nil(t, calls.GetCall("any"))
	require.False(t, audio.IsMuted())
}

func TestInstanceIsExtendedBeforeItExpires(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithInstanceTTL(3*time.Second), ocratest.WithTTLWindow(time.Second))
	defer srv.Close()
	c := newTestClient(t, srv, "alice")
	rec := newRecorder(func() string { return srv.Token("alice") })
	c.AddListener(rec)
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(waitCtx(t)))
	first := srv.Instances("alice")[0].ExpireAt

	<-rec.creds // the start
	select {
	case <-rec.creds: // the extension asks for a fresh token
	case <-time.After(10 * time.Second):
		t.Fatal("no fresh token was asked for before the instance expired")
	}
	require.Eventually(t, func() bool {
		insts := srv.Instances("alice")
		return len(insts) == 1 && insts[0].ExpireAt.After(first)
	}, 5*time.Second, 10*time.Millisecond, "the instance's lifetime was extended")
	require.True(t, c.IsStarted())
	require.Equal(t, []string{"credentials", "started", "credentials"}, rec.Events()[:3])
}

func TestErrorsKeepCauses(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	srv.InjectFault(ocratest.Fault{Path: "/instances", Status: 401, Code: 40103})
	c := newTestClient(t, srv, "alice")
	c.AddListener(newRecorder(func() string { return srv.Token("alice") }))
	require.NoError(t, c.Start())
	err := c.WaitStarted(waitCtx(t))
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	require.True(t, serr.Fatal)
	require.NotNil(t, errors.Unwrap(serr))
	require.True(t, strings.HasPrefix(err.Error(), `sinch: creating the instance failed with 40103 (`), err.Error())
}

// TestTypedNilListenerIsIgnored: a nil *ClientListenerFuncs passed as a
// listener is ignored like a nil one; the start then fails for want of a
// listener instead of crashing the process on the callback goroutine.
func TestTypedNilListenerIsIgnored(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	c, err := sinch.GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).UserID("alice").LoopbackOnly().Build()
	require.NoError(t, err)
	defer c.Terminate()
	var l *sinch.ClientListenerFuncs
	c.AddListener(l)
	require.NoError(t, c.Start())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = c.WaitStarted(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "no listener")
}

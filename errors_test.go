package sinch_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// TestStartFailureMessages: a start that fails tells the user, in one
// sentence, the step, the server's code and message (or why the server
// could not be reached) and what to do, without saying it twice and
// without the token or the secret.
func TestStartFailureMessages(t *testing.T) {
	const otherKey = "11111111-2222-4333-8444-555555555555"
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		return addr
	}()
	const newToken = ": register a new token, made with this application's key and secret, whose sub is this user id"
	for _, tc := range []struct {
		name   string
		appKey func(srv *ocratest.Server) string
		host   func(srv *ocratest.Server) string
		token  func(t *testing.T, srv *ocratest.Server) string
		code   int
		want   string
	}{
		{
			name:  "garbage token",
			token: func(*testing.T, *ocratest.Server) string { return "garbage-token-4711" },
			code:  40103,
			want:  `sinch: creating the instance failed with 40103 (invalid registration token: it is not a JWT)` + newToken,
		},
		{
			name: "wrong secret",
			token: func(t *testing.T, srv *ocratest.Server) string {
				tok, err := auth.NewRegistrationToken(srv.ApplicationKey(), "bm90LXRoZS1zZWNyZXQtYXQtYWxsLXJlYWxseQ==", "alice")
				require.NoError(t, err)
				return tok
			},
			code: 40103,
			want: `sinch: creating the instance failed with 40103 (token signature invalid: check the application secret)` + newToken,
		},
		{
			name: "expired token",
			token: func(t *testing.T, srv *ocratest.Server) string {
				yesterday := func() time.Time { return time.Now().Add(-48 * time.Hour) }
				tok, err := auth.NewRegistrationToken(srv.ApplicationKey(), srv.ApplicationSecret(), "alice", auth.WithClock(yesterday))
				require.NoError(t, err)
				return tok
			},
			code: 40103,
			want: `sinch: creating the instance failed with 40103 (token expired: get a fresh token just before registering)` + newToken,
		},
		{
			name:   "unknown application key",
			appKey: func(*ocratest.Server) string { return otherKey },
			token: func(t *testing.T, srv *ocratest.Server) string {
				tok, err := auth.NewRegistrationToken(otherKey, srv.ApplicationSecret(), "alice")
				require.NoError(t, err)
				return tok
			},
			code: 40103,
			want: `sinch: creating the instance failed with 40103 (token is for another application: check the application key)` + newToken,
		},
		{
			name:  "server unreachable",
			host:  func(*ocratest.Server) string { return "http://" + refused },
			token: func(_ *testing.T, srv *ocratest.Server) string { return srv.Token("alice") },
			want: "sinch: creating the instance failed: cannot reach Ocra (dial tcp " + refused +
				": connect: connection refused): check EnvironmentHost and the network",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			appKey, host := srv.ApplicationKey(), srv.URL()
			if tc.appKey != nil {
				appKey = tc.appKey(srv)
			}
			if tc.host != nil {
				host = tc.host(srv)
			}
			token := tc.token(t, srv)
			c, err := sinch.GetSinchClientBuilder().ApplicationKey(appKey).EnvironmentHost(host).
				UserID("alice").LoopbackOnly().RequestTimeout(3 * time.Second).Build()
			require.NoError(t, err)
			defer c.Terminate()
			c.AddListener(newRecorder(func() string { return token }))
			require.NoError(t, c.Start())

			err = c.WaitStarted(waitCtx(t))
			require.EqualError(t, err, tc.want)
			var serr *sinch.SinchError
			require.ErrorAs(t, err, &serr)
			require.Equal(t, tc.code, serr.Code)
			require.Equal(t, tc.code != 0, serr.Fatal, "a refusal is fatal; an unreachable server may come back")
			require.NotNil(t, errors.Unwrap(serr), "the cause stays reachable")
			for i, part := range strings.Split(token, ".") {
				require.NotContains(t, err.Error(), part, "token part %d", i)
			}
			require.NotContains(t, err.Error(), srv.ApplicationSecret())
		})
	}
}

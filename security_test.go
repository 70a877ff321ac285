package sinch_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// secretTap is an http.RoundTripper that collects every secret that
// crosses the wire: registration tokens, instance secrets, MXP instance
// keys and call session keys.
type secretTap struct {
	next http.RoundTripper

	mu      sync.Mutex
	secrets map[string]string // value -> what it is
}

func (s *secretTap) add(what, value string) {
	if value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[value] = what
}

func (s *secretTap) RoundTrip(r *http.Request) (*http.Response, error) {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		s.add("registration token", token)
	}
	resp, err := s.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	var v struct {
		Instance struct {
			Secret string `json:"secret"`
		} `json:"instance"`
		Config struct {
			RTCProfile struct {
				Key string `json:"key"`
			} `json:"rtcProfile"`
		} `json:"config"`
		SessionKey string `json:"mxpEncryptionKey"`
	}
	if json.Unmarshal(body, &v) == nil {
		s.add("instance secret", v.Instance.Secret)
		s.add("MXP instance key", v.Config.RTCProfile.Key)
		s.add("call session key", v.SessionKey)
	}
	return resp, nil
}

// forms returns the ways a secret could show up in a log line: as sent,
// and its bytes in other encodings.
func forms(secret string) []string {
	out := []string{secret}
	if b, err := base64.StdEncoding.DecodeString(secret); err == nil {
		out = append(out, hex.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), fmt.Sprint(b))
	}
	return out
}

// lockedBuffer is a log sink shared by several loggers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoSecretInLogsOfAFullCall runs a call with every log at Debug level,
// both clients' and the server's, through a reconnect and a re-registration,
// and checks that no secret that crossed the wire appears in any of them.
func TestNoSecretInLogsOfAFullCall(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := ocratest.NewServer(ocratest.WithLogger(logger))
	defer srv.Close()
	tap := &secretTap{next: http.DefaultTransport, secrets: make(map[string]string)}
	tap.add("application secret", srv.ApplicationSecret())
	withLogs := func(b *sinch.SinchClientBuilder) {
		b.Logger(logger).HTTPClient(&http.Client{Transport: tap, Timeout: 5 * time.Second})
	}
	alice := newPeer(t, srv, srv.URL(), "alice", withLogs)
	bob := newPeer(t, srv, srv.URL(), "bob", withLogs)

	out, in := establish(t, alice, bob)
	srv.Restart(ocratest.ForgetInstances())
	waitFor(t, alice.reconnected, 30*time.Second, "alice reconnected")
	waitFor(t, bob.reconnected, 30*time.Second, "bob reconnected")
	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
	require.NotEqual(t, call.None, in.Details().EndCause)

	text := logs.String()
	require.Contains(t, text, "level=DEBUG", "the logs were captured at Debug level")
	tap.mu.Lock()
	defer tap.mu.Unlock()
	kinds := map[string]int{}
	for secret, what := range tap.secrets {
		kinds[what]++
		for _, form := range forms(secret) {
			require.NotContains(t, text, form, "a %s appears in the logs", what)
		}
	}
	for _, what := range []string{"application secret", "registration token", "instance secret", "MXP instance key", "call session key"} {
		require.NotZero(t, kinds[what], "the test saw no %s to look for", what)
	}
}

func TestTLSIsVerifiedByDefault(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithTLS())
	defer srv.Close()

	untrusting := buildPeer(t, srv, srv.URL(), "alice")
	require.NoError(t, untrusting.Start())
	err := untrusting.WaitStarted(waitCtx(t))
	var serr *sinch.SinchError
	require.ErrorAs(t, err, &serr)
	require.Contains(t, serr.Error(), "certificate signed by unknown authority")
	require.Empty(t, srv.Instances("alice"))

	trusting := newPeer(t, srv, srv.URL(), "bob", func(b *sinch.SinchClientBuilder) { b.HTTPClient(srv.Client()) })
	require.True(t, trusting.IsStarted())
	require.True(t, srv.Instances("bob")[0].Online, "the realtime channel (wss) trusts the same CA")
}

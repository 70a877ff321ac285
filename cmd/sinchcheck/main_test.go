package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// secretEnv is the environment variable the tests keep the secret in.
const secretEnv = "SINCHCHECK_TEST_SECRET"

// testKey is an application key for runs against the embedded server.
const testKey = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"

// watch is a transport under every HTTP client of a run: it keeps every
// secret that crosses the wire (tokens, request signatures, instance
// secrets, MXP keys, call session keys), so that the test can look for
// each in the run's output.
type watch struct {
	next http.RoundTripper
	fail error // when set, every request fails with it

	mu      sync.Mutex
	secrets map[string]string // value -> what it is
}

func newWatch(next http.RoundTripper) *watch {
	return &watch{next: next, secrets: map[string]string{}}
}

func (w *watch) add(what, value string) {
	if len(value) < 8 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets[value] = what
}

func (w *watch) RoundTrip(r *http.Request) (*http.Response, error) {
	if w.fail != nil {
		return nil, w.fail
	}
	authz := r.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(authz, "Bearer "); ok {
		w.add("token", token)
		parts := strings.Split(token, ".")
		if len(parts) == 3 {
			w.add("token claims", parts[1])
			w.add("token signature", parts[2])
		}
	} else if _, sig, ok := strings.Cut(authz, ":"); ok {
		w.add("request signature", sig)
	}
	resp, err := w.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var v any
	if json.Unmarshal(body, &v) == nil {
		w.walk(v)
	}
	return resp, nil
}

// secretFields are the JSON fields of Ocra's answers that hold secrets.
var secretFields = map[string]string{
	"secret":           "instance secret",
	"key":              "MXP key",
	"mxpEncryptionKey": "call session key",
	"password":         "TURN password",
}

func (w *watch) walk(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && secretFields[k] != "" {
				w.add(secretFields[k], s)
			}
			w.walk(x)
		}
	case []any:
		for _, x := range v {
			w.walk(x)
		}
	}
}

// kinds returns the kinds of secret seen, with their counts.
func (w *watch) kinds() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := map[string]int{}
	for _, what := range w.secrets {
		n[what]++
	}
	return n
}

// forms are the spellings of a secret to look for: as sent, without
// padding, and, when it is base64, its bytes in hex and URL-safe base64.
func forms(secret string) []string {
	out := []string{secret, strings.TrimRight(secret, "=")}
	if b, err := base64.StdEncoding.DecodeString(secret); err == nil && len(b) >= 8 {
		out = append(out, hex.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	}
	return out
}

// assertNoSecret fails when any secret seen, or the application secret,
// appears in the run's output.
func (w *watch) assertNoSecret(t *testing.T, appSecret string, outputs ...string) {
	t.Helper()
	w.mu.Lock()
	all := map[string]string{appSecret: "application secret"}
	for s, what := range w.secrets {
		all[s] = what
	}
	w.mu.Unlock()
	for secret, what := range all {
		for _, form := range forms(secret) {
			for _, out := range outputs {
				if strings.Contains(out, form) {
					t.Errorf("the output holds a %s", what)
				}
			}
		}
	}
}

// result is one run of the command.
type result struct {
	err            error
	stdout, stderr string
	watch          *watch
}

// runCheck runs the command with args, the secret in secretEnv, and a
// watch under its transports.
func runCheck(t *testing.T, secret string, fail error, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	var w *watch
	e := env{
		args:   args,
		getenv: func(name string) string { return map[string]string{secretEnv: secret}[name] },
		stdout: &stdout,
		stderr: &stderr,
		wrap: func(next http.RoundTripper) http.RoundTripper {
			w = newWatch(next)
			w.fail = fail
			return w
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	err := run(ctx, e)
	return result{err: err, stdout: stdout.String(), stderr: stderr.String(), watch: w}
}

// inOrder asserts that the lines of out contain each of want, in order.
func inOrder(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if !assert.GreaterOrEqual(t, i, 0, "%q missing or out of order in:\n%s", w, out) {
			return
		}
		rest = rest[i+len(w):]
	}
}

func randomSecret() string {
	return base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
}

// The embedded run with -call bob: registration, an established call that
// alice hangs up, unregistration; its output and its Debug logs hold none
// of the secrets that crossed the wire.
func TestEmbeddedCallUser(t *testing.T) {
	secret := randomSecret()
	r := runCheck(t, secret, nil, "-embedded", "-key", testKey, "-secret-env", secretEnv,
		"-call", "bob", "-hold", "300ms", "-debug")
	require.NoError(t, r.err, "%s\n%s", r.stdout, r.stderr)
	inOrder(t, r.stdout,
		"embedded: bob is registered and answers calls",
		"token      signed a registration token for user \"alice\" with the secret from $"+secretEnv,
		"register   POST /ocra/v1/instances -> 201 Created  [REST table row CreateInstance, designed path]",
		"register   event OnClientStarted",
		"call       CallUser(\"bob\")",
		"call       POST /ocra/v1/calls -> 200 OK",
		"call       event Progressing",
		"call       event Ringing",
		"call       event Answered",
		"call       event Established",
		"call       event Ended: HungUp",
		"terminate  DELETE /ocra/v1/instances/",
		"OK: every step passed",
	)
	assert.Contains(t, r.stdout, "embedded bob: incoming call from \"alice\": answering")
	assert.Contains(t, r.stderr, "level=DEBUG", "the SDK's Debug logs are part of what is checked")

	kinds := r.watch.kinds()
	assert.GreaterOrEqual(t, kinds["token"], 2, "alice's and bob's: %v", kinds)
	assert.GreaterOrEqual(t, kinds["instance secret"], 2, "%v", kinds)
	assert.GreaterOrEqual(t, kinds["MXP key"], 2, "%v", kinds)
	assert.GreaterOrEqual(t, kinds["call session key"], 1, "%v", kinds)
	assert.GreaterOrEqual(t, kinds["request signature"], 3, "%v", kinds)
	r.watch.assertNoSecret(t, secret, r.stdout, r.stderr)
}

// With a phone number, the embedded server's phone answers with a tone.
func TestEmbeddedCallPhone(t *testing.T) {
	secret := randomSecret()
	r := runCheck(t, secret, nil, "-embedded", "-key", testKey, "-secret-env", secretEnv,
		"-call", "+4612345678", "-hold", "300ms", "-debug")
	require.NoError(t, r.err, "%s\n%s", r.stdout, r.stderr)
	inOrder(t, r.stdout,
		"register   event OnClientStarted",
		"call       CallPhoneNumber(\"+4612345678\")",
		"call       event Progressing",
		"call       event Established",
		"call       event Ended: HungUp",
		"OK: every step passed",
	)
	r.watch.assertNoSecret(t, secret, r.stdout, r.stderr)
}

// Without -key and a secret, the embedded run makes its own.
func TestEmbeddedRegisterOnly(t *testing.T) {
	r := runCheck(t, "", nil, "-embedded")
	require.NoError(t, r.err, r.stdout)
	inOrder(t, r.stdout, "with the secret the embedded server made up", "event OnClientStarted", "OK: every step passed")
	assert.NotContains(t, r.stdout, "call ")
	assert.Empty(t, r.stderr, "no logs without -debug")
}

// A failing step ends the run with a line that says what to look at; the
// output holds no secret then either.
func TestFailuresSayWhatToLookAt(t *testing.T) {
	otherSecret := base64.StdEncoding.EncodeToString([]byte("not the application's secret!!!!"))
	type setup struct {
		host   string
		secret string
		fail   error
		args   []string
	}
	cases := []struct {
		name   string
		setup  func(t *testing.T, srv *ocratest.Server) setup
		failed string // the FAIL line holds it
		lookAt string // the look-at line holds it
	}{
		{
			name: "wrong secret",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				return setup{host: srv.URL(), secret: otherSecret}
			},
			failed: `register   FAIL: sinch: creating the instance failed with 40103 (token signature invalid`,
			lookAt: "check the application secret in $" + secretEnv + ", -key, and the user id in the token (-user alice)",
		},
		{
			name: "path not found",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				return setup{host: serve(t, http.NotFoundHandler()), secret: srv.ApplicationSecret()}
			},
			failed: "register   POST /ocra/v1/instances -> 404 Not Found  [REST table row CreateInstance, designed path]",
			lookAt: "the REST table row CreateInstance (POST /ocra/v1/instances) is designed, not known: capture the real path, see docs/realwire.md",
		},
		{
			name: "signature refused",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				srv.InjectFault(ocratest.Fault{Method: http.MethodPost, Path: "/instances", Code: 40102})
				return setup{host: srv.URL(), secret: srv.ApplicationSecret()}
			},
			failed: "POST /ocra/v1/instances -> 401 Unauthorized  [REST table row CreateInstance",
			lookAt: "a request signature was refused (40102): check this machine's clock",
		},
		{
			name: "clock off",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				srv.InjectFault(ocratest.Fault{Method: http.MethodPost, Path: "/instances", Code: 40101})
				return setup{host: srv.URL(), secret: srv.ApplicationSecret()}
			},
			failed: `failed with 40101 (`,
			lookAt: "this machine's clock is more than 15 minutes off",
		},
		{
			name: "DNS",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				return setup{host: "ocra.example.invalid", secret: srv.ApplicationSecret(),
					fail: &net.DNSError{Err: "no such host", Name: "ocra.example.invalid", IsNotFound: true}}
			},
			failed: "POST /ocra/v1/instances -> no answer: DNS: lookup ocra.example.invalid: no such host",
			lookAt: `the host: "ocra.example.invalid" does not resolve; check -host (ocra.example.invalid)`,
		},
		{
			name: "untrusted TLS",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
				tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
				tlsSrv.StartTLS()
				t.Cleanup(tlsSrv.Close)
				return setup{host: tlsSrv.URL, secret: srv.ApplicationSecret()}
			},
			failed: "no answer: TLS: tls: failed to verify certificate",
			lookAt: "the host's TLS certificate is not trusted",
		},
		{
			name: "plain HTTP where TLS was asked for",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				return setup{host: "https://" + strings.TrimPrefix(srv.URL(), "http://"), secret: srv.ApplicationSecret()}
			},
			failed: "no answer: TLS: the server does not speak TLS",
			lookAt: "the host does not speak TLS",
		},
		{
			name: "connection refused",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				addr := l.Addr().String()
				require.NoError(t, l.Close())
				return setup{host: "http://" + addr, secret: srv.ApplicationSecret()}
			},
			failed: "connection refused",
			lookAt: "the host cannot be reached (dial)",
		},
		{
			name: "redirect",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				return setup{host: serve(t, http.RedirectHandler("https://elsewhere.example/x?token=y", http.StatusFound)), secret: srv.ApplicationSecret()}
			},
			failed: "was redirected (HTTP 302 Found) to https://elsewhere.example;",
			lookAt: "the host redirected the request (named above): set -host to the host that answers",
		},
		{
			name: "not Ocra",
			setup: func(t *testing.T, srv *ocratest.Server) setup {
				return setup{host: serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					_, _ = io.WriteString(w, "<html>hello</html>")
				})), secret: srv.ApplicationSecret()}
			},
			failed: "bad answer to POST /ocra/v1/instances: HTTP 200 OK",
			lookAt: "the host answered REST table row CreateInstance (POST /ocra/v1/instances), but not as Ocra does",
		},
		{
			name: "callee unknown",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				return setup{host: srv.URL(), secret: srv.ApplicationSecret(), args: []string{"-call", "carol"}}
			},
			failed: "call       POST /ocra/v1/calls -> 404 Not Found",
			lookAt: `"carol" has no registered device (start an app as that user and run again), or REST table row CreateCall (POST /ocra/v1/calls)`,
		},
		{
			name: "no answer in time",
			setup: func(_ *testing.T, srv *ocratest.Server) setup {
				srv.InjectFault(ocratest.Fault{Path: "/instances", Stall: -1})
				return setup{host: srv.URL(), secret: srv.ApplicationSecret(), args: []string{"-timeout", "500ms"}}
			},
			failed: "FAIL:",
			lookAt: "raise -timeout",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			s := tc.setup(t, srv)
			args := append([]string{"-key", srv.ApplicationKey(), "-secret-env", secretEnv, "-host", s.host, "-debug"}, s.args...)
			r := runCheck(t, s.secret, s.fail, args...)
			require.ErrorIs(t, r.err, errFailed, r.stdout)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			last := lines[len(lines)-1]
			assert.True(t, strings.HasPrefix(last, "look at: "), "the last line says what to look at:\n%s", r.stdout)
			assert.Contains(t, r.stdout, tc.failed)
			assert.Contains(t, last, tc.lookAt)
			r.watch.assertNoSecret(t, s.secret, r.stdout, r.stderr)
			r.watch.assertNoSecret(t, srv.ApplicationSecret(), r.stdout, r.stderr)
			assert.NotContains(t, r.stdout, "token=y", "a redirect's query is never shown")
		})
	}
}

// serve starts an HTTP server of h for the test and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// The secret is read only from the environment; a flag that would carry
// it is refused, and a value of -secret-env that may be the secret itself
// is never echoed.
func TestSecretOnlyFromTheEnvironment(t *testing.T) {
	r := runCheck(t, "", nil, "-key", testKey, "-secret", "c2VjcmV0c2VjcmV0")
	assert.ErrorIs(t, r.err, errUsage)
	assert.Contains(t, r.stderr, "there is no -secret flag")
	assert.NotContains(t, r.stderr+r.stdout, "c2VjcmV0c2VjcmV0")

	r = runCheck(t, "", nil, "-key", testKey, "-secret-env="+secretEnv)
	assert.ErrorIs(t, r.err, errFailed)
	assert.Contains(t, r.stdout, "FAIL secret: $"+secretEnv+" is empty or unset")

	const mistaken = "Zm9vYmFyYmF6cXV4c2VjcmV0"
	r = runCheck(t, "", nil, "-key", testKey, "-secret-env", mistaken)
	assert.ErrorIs(t, r.err, errFailed)
	assert.Contains(t, r.stdout, "the environment variable that -secret-env names is empty")
	assert.NotContains(t, r.stdout+r.stderr, mistaken)

	r = runCheck(t, "not base64 at all!", nil, "-key", testKey, "-secret-env", secretEnv)
	assert.ErrorIs(t, r.err, errFailed)
	assert.Contains(t, r.stdout, "token      FAIL: auth: application secret is empty or not valid base64")
	assert.NotContains(t, r.stdout+r.stderr, "not base64 at all!")
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{},                             // no -key
		{"-key", testKey, "extra"},     // an argument
		{"-key", testKey, "-user", ""}, // no user
		{"-key", testKey, "-timeout", "0s"},
		{"-key", testKey, "-call", "+4612345678"}, // a phone call without -cli
		{"-nope"},
	} {
		r := runCheck(t, "", nil, args...)
		assert.ErrorIs(t, r.err, errUsage, "%q", args)
		assert.NotEmpty(t, r.stderr, "%q", args)
		assert.Empty(t, r.stdout, "%q", args)
	}
	r := runCheck(t, "", nil, "-h")
	assert.ErrorIs(t, r.err, flag.ErrHelp)
	assert.Contains(t, r.stderr, "usage: sinchcheck -key <appKey>")
}

// Paths that are not rows of the REST table show only their leading
// plain words: the realtime channel's carry keys and channel names.
func TestRedactPath(t *testing.T) {
	cases := map[string]string{
		"/v2/subscribe/sub-c-1234/chan1,chan2/0":           "/v2/subscribe/…",
		"/publish/pub-c-1/sub-c-2/0/channel/0/%22frame%22": "/publish/…",
		"/time/0":                       "/time/0",
		"/ocra/v1/instances/id/unknown": "/ocra/v1/instances/…",
		"/V2/Instance":                  "/…",
		"/":                             "/…",
		"/v2/presence/sub-key/sub-c-x/channel/ch/leave?auth=secret": "/v2/presence/…",
	}
	for in, want := range cases {
		assert.Equal(t, want, redactPath(in), in)
	}
}

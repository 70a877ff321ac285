package pubnub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/pubsub"
)

// The proof against code nobody here wrote: the official PubNub JavaScript
// SDK, run under Node, exchanges messages through this fake origin with the
// Go PubNubConn. .ci/run installs the SDK (npm pubnub) into .ci/node; the
// test skips when Node or the SDK is missing, unless SINCH_NODE_TESTS is
// "require". SINCH_PUBNUB_JS names another directory holding
// node_modules/pubnub.
const (
	envNodeTests = "SINCH_NODE_TESTS"
	envPubNubJS  = "SINCH_PUBNUB_JS"
)

// jsSDK returns the node executable and the SDK's package directory, or
// skips the test.
func jsSDK(t *testing.T) (node, module string) {
	t.Helper()
	skip := func(why string) {
		if os.Getenv(envNodeTests) == "require" {
			t.Fatalf("%s, and %s=require", why, envNodeTests)
		}
		t.Skip(why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed")
	}
	dir := os.Getenv(envPubNubJS)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".ci", "node")
	}
	module, err = filepath.Abs(filepath.Join(dir, "node_modules", "pubnub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(module, "package.json")); err != nil {
		skip("the PubNub JS SDK is not installed in " + dir + " (.ci/run installs it)")
	}
	return node, module
}

// requestLog records the endpoints and query parameters a client used,
// with keys, channels and payloads replaced by placeholders.
type requestLog struct {
	mu    sync.Mutex
	seen  map[string]bool
	pnsdk map[string]bool // the SDK's name and version, as it says
}

func (l *requestLog) wrap(h http.Handler, keys Keys, channels ...string) http.Handler {
	l.seen = make(map[string]bool)
	l.pnsdk = make(map[string]bool)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg, _ := segments(r.URL.EscapedPath())
		for i, s := range seg {
			switch {
			case s == keys.BroadcastSubscribe || s == keys.SignalSubscribe:
				seg[i] = "{subKey}"
			case s == keys.SignalPublish:
				seg[i] = "{pubKey}"
			case slices.Contains(channels, s) || strings.Contains(s, ","):
				seg[i] = "{channel}"
			case len(seg) == 7 && seg[0] == "publish" && i == 6:
				seg[i] = "{message}"
			}
		}
		var params []string
		for k := range r.URL.Query() {
			params = append(params, k)
		}
		slices.Sort(params)
		l.mu.Lock()
		l.seen[r.Method+" /"+strings.Join(seg, "/")+" ?"+strings.Join(params, "&")] = true
		if v := r.URL.Query().Get("pnsdk"); v != "" {
			l.pnsdk[v] = true
		}
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k := range l.seen {
		out = append(out, k)
	}
	slices.Sort(out)
	for k := range l.pnsdk {
		out = append(out, "pnsdk="+k)
	}
	return out
}

// TestOfficialJSSDKExchangesMessagesWithGo: the JS SDK subscribes to one
// channel and publishes on the Go client's; the Go client does the
// converse. Each side gets every message once, in order.
func TestOfficialJSSDKExchangesMessagesWithGo(t *testing.T) {
	node, module := jsSDK(t)
	version := sdkVersion(t, module)
	const n = 25
	s := New(Options{})
	keys := s.Keys()
	var log requestLog
	hs := httptest.NewServer(log.wrap(s, keys, "goB", "goS", "jsS"))
	tr := &http.Transport{}
	t.Cleanup(func() {
		s.Close()
		hs.Close()
		tr.CloseIdleConnections()
	})

	got := make(chan string, 2*n)
	goConn, err := pubsub.DialPubNub(context.Background(), pubsub.PubNubOptions{
		Origin:                hs.URL,
		BroadcastSubscribeKey: keys.BroadcastSubscribe, BroadcastChannel: "goB",
		SignalSubscribeKey: keys.SignalSubscribe, SignalPublishKey: keys.SignalPublish, SignalChannel: "goS",
		Handler: func(ch, m string) {
			if ch == "goS" {
				got <- m
			}
		},
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer goConn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "jssdk-peer.js"))
	cmd.Env = append(os.Environ(),
		"PN_MODULE="+module,
		"PN_ORIGIN="+strings.TrimPrefix(hs.URL, "http://"),
		"PN_SUB="+keys.SignalSubscribe,
		"PN_PUB="+keys.SignalPublish,
		"PN_LISTEN=jsS",
		"PN_SEND=goS",
		"PN_COUNT="+strconv.Itoa(n),
		"PN_USER=js-peer",
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	if !lines.Scan() || lines.Text() != "ready" {
		_ = cmd.Wait()
		t.Fatalf("the JS peer did not subscribe: %q; stderr: %s", lines.Text(), stderr.String())
	}

	// Go -> JS, while JS -> Go runs.
	for i := range n {
		if err := goConn.Publish(ctx, "jsS", fmt.Sprintf("go %d", i)); err != nil {
			t.Fatalf("Go publish %d: %v", i, err)
		}
	}
	for i := range n {
		select {
		case m := <-got:
			if want := fmt.Sprintf("js %d", i); m != want {
				t.Fatalf("Go received %q, want %q", m, want)
			}
		case <-ctx.Done():
			t.Fatalf("Go received %d of %d messages; JS stderr: %s", i, n, stderr.String())
		}
	}

	var result struct {
		Received []string `json:"received"`
	}
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "result ") {
		_ = cmd.Wait()
		t.Fatalf("the JS peer ended without a result: %q; stderr: %s", lines.Text(), stderr.String())
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines.Text(), "result ")), &result); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the JS peer failed: %v; stderr: %s", err, stderr.String())
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("go %d", i))
	}
	if !slices.Equal(result.Received, want) {
		t.Errorf("JS received %q, want %q (once each, in order)", result.Received, want)
	}
	select {
	case m := <-got:
		t.Errorf("Go received %q more than once", m)
	default:
	}
	t.Logf("PubNub JS SDK %s (Node %s) sent:\n%s", version, nodeVersion(t, node), strings.Join(log.lines(), "\n"))
}

func sdkVersion(t *testing.T, module string) string {
	b, err := os.ReadFile(filepath.Join(module, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Version
}

func nodeVersion(t *testing.T, node string) string {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

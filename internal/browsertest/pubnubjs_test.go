package browsertest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// The page reaches the realtime channel through the official PubNub
// JavaScript SDK (docs/browser.md). Its browser build is never committed:
// .ci/run installs the npm package pubnub into .ci/node (as for the Node
// proof in ocratest/internal/pubnub), and openPage injects the build into
// every tab before the page's own scripts run. SINCH_PUBNUB_JS names
// another directory holding node_modules/pubnub.
const envPubNubJS = "SINCH_PUBNUB_JS"

// pubnubJS is the SDK's browser build, read once.
var pubnubJS struct {
	once    sync.Once
	source  string
	version string
	err     error
}

func loadPubNubJS() {
	dir := os.Getenv(envPubNubJS)
	if dir == "" {
		dir = filepath.Join("..", "..", ".ci", "node")
	}
	module := filepath.Join(dir, "node_modules", "pubnub")
	b, err := os.ReadFile(filepath.Join(module, "dist", "web", "pubnub.min.js"))
	if err != nil {
		pubnubJS.err = fmt.Errorf("the PubNub JS SDK's browser build is not installed in %s "+
			"(npm install --prefix .ci/node pubnub@11.0.2, as .ci/run does): %v", dir, err)
		return
	}
	pubnubJS.source = string(b)
	var pkg struct{ Version string }
	if b, err := os.ReadFile(filepath.Join(module, "package.json")); err == nil && json.Unmarshal(b, &pkg) == nil {
		pubnubJS.version = pkg.Version
	}
}

// requirePubNubJS returns the SDK's browser build; it skips the test, or
// fails it when SINCH_BROWSER_TESTS is "require", when it is missing.
func requirePubNubJS(t *testing.T) string {
	t.Helper()
	pubnubJS.once.Do(loadPubNubJS)
	if pubnubJS.err != nil {
		if os.Getenv(envRequire) == "require" {
			t.Fatalf("%s=require, but %v", envRequire, pubnubJS.err)
		}
		t.Skip(pubnubJS.err)
	}
	return pubnubJS.source
}

// pageRequests records what the page sends to the PubNub origin: requests
// carrying the page's Origin header (a cross-origin fetch always does; the
// Go client's requests do not).
type pageRequests struct {
	origin string // the page's

	mu   sync.Mutex
	seen []*http.Request
}

// proxy returns a recording reverse proxy in front of upstream (host:port).
func (l *pageRequests) proxy(upstream string) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	rp.FlushInterval = -1
	// A long poll the closing tab or server cuts short is no error here.
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == l.origin && r.Method != http.MethodOptions {
			l.mu.Lock()
			l.seen = append(l.seen, r.Clone(r.Context()))
			l.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})
}

func (l *pageRequests) requests() []*http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen)
}

// TestBrowserRealtimeIsPubNub: the page's realtime channel is the official
// PubNub JS SDK talking to ocratest's PubNub origin: Go calls the page, it
// answers and hangs up, and what the SDK sent on the way shows that the
// origin speaks PubNub's protocol: subscribe v2 on each network with its
// own key and channel, publish of MXP frames as JSON strings with the
// signal keys.
func TestBrowserRealtimeIsPubNub(t *testing.T) {
	srv := ocratest.NewServer()
	log := &pageRequests{origin: srv.URL()}
	proxy := httptest.NewServer(log.proxy(srv.RealtimeAddr()))
	t.Cleanup(func() {
		proxy.CloseClientConnections()
		proxy.Close()
	})
	t.Cleanup(srv.Close)
	srv.SetRealtimeAddr(strings.TrimPrefix(proxy.URL, "http://"))
	p := openPage(t, srv)
	g := startGo(t, srv)
	p.start(srv, browserUser, browserTone, true)

	c, err := g.client.CallController().CallUser(browserUser, nil)
	require.NoError(t, err)
	ev := g.attach(c)
	wait(t, ev.established, "the Go side's call to be established")
	p.waitState(c.ID(), "established")
	p.do(fmt.Sprintf(`sinchPage.hangup(%s)`, js(c.ID())))
	wait(t, ev.ended, "the Go side's call to end")
	p.noPageErrors()

	var cfg struct {
		RTCConfig struct {
			PubSub struct {
				Hostname              string `json:"hostname"`
				BroadcastSubscribeKey string `json:"broadcastSubscribeKey"`
				SignalSubscribeKey    string `json:"signalSubscribeKey"`
				SignalPublishKey      string `json:"signalPublishKey"`
			} `json:"mxpPubSubConfig"`
		} `json:"rtcConfig"`
		RTCProfile struct {
			BroadcastChannel string `json:"broadcastChannel"`
			SignalChannel    string `json:"signalChannel"`
		} `json:"rtcProfile"`
	}
	require.NoError(t, json.Unmarshal([]byte(eval[string](p, `JSON.stringify(sinchPage.config)`)), &cfg))
	ps, prof := cfg.RTCConfig.PubSub, cfg.RTCProfile
	assert.True(t, strings.HasPrefix(ps.Hostname, "http://"), "ocratest's origin is plain HTTP, and says so")

	placeholders := map[string]string{
		ps.BroadcastSubscribeKey: "{broadcastSubKey}", ps.SignalSubscribeKey: "{signalSubKey}",
		ps.SignalPublishKey: "{signalPubKey}", prof.BroadcastChannel: "{broadcastChannel}",
		prof.SignalChannel: "{signalChannel}",
	}
	shapes := map[string]bool{}
	sdks := map[string]bool{}
	var frames []string
	for _, r := range log.requests() {
		seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
		for i, s := range seg {
			if ph, ok := placeholders[s]; ok {
				seg[i] = ph
			}
		}
		if len(seg) == 7 && seg[0] == "publish" {
			m, err := url.PathUnescape(seg[6])
			require.NoError(t, err)
			var frame string
			if assert.NoError(t, json.Unmarshal([]byte(m), &frame), "a published message should be a JSON string") {
				frames = append(frames, frame)
			}
			seg[6] = "{message}"
			if !strings.HasPrefix(seg[4], "{") {
				seg[4] = "{peerSignalChannel}" // the Go caller's
			}
		}
		var params []string
		for k := range r.URL.Query() {
			params = append(params, k)
		}
		slices.Sort(params)
		shapes[r.Method+" /"+strings.Join(seg, "/")+" ?"+strings.Join(params, "&")] = true
		sdks[r.URL.Query().Get("pnsdk")] = true
	}
	var lines []string
	for s := range shapes {
		lines = append(lines, s)
	}
	slices.Sort(lines)
	t.Logf("the page's PubNub JS SDK %s sent:\n%s\npnsdk: %v", pubnubJS.version, strings.Join(lines, "\n"), slices.Sorted(maps.Keys(sdks)))

	has := func(prefix string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	assert.True(t, has("GET /v2/subscribe/{broadcastSubKey}/{broadcastChannel}/0 "), "the broadcast network subscribes with its key to its channel")
	assert.True(t, has("GET /v2/subscribe/{signalSubKey}/{signalChannel}/0 "), "the signal network subscribes with its key to its channel")
	assert.True(t, has("GET /publish/{signalPubKey}/{signalSubKey}/0/{peerSignalChannel}/0/{message} "), "the page publishes with the signal keys")
	assert.False(t, has("GET /publish/{signalPubKey}/{signalSubKey}/0/{signalChannel}/"), "the page publishes to its peer's channel, not its own")
	for s := range sdks {
		assert.True(t, strings.HasPrefix(s, "PubNub-JS-Web/"), "pnsdk %q: the SDK's browser build", s)
	}
	require.NotEmpty(t, frames, "the page published nothing")
	for _, f := range frames {
		assert.True(t, strings.HasPrefix(f, "10 "), "published message %.40q should be an MXP v10 frame", f)
	}
	t.Logf("the page published %d MXP frames", len(frames))
}

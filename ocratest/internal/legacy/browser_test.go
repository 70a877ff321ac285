package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sinch-rtc-go/sinch/internal/chromiumtest"
)

// waitTimeout bounds every wait of the browser tests (the machine may be
// loaded).
const waitTimeout = 30 * time.Second

// pageHost is the page's host name; like every name, Chromium maps it to
// the facade.
const pageHost = "sdk1x.test"

// browser is the one Chromium of the test binary; each test opens tabs.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

// startBrowser launches headless Chromium with the flags of
// browser-interop.md, every host name mapped to addr.
func startBrowser(addr string) {
	if !chromiumtest.OnlyLoopback() {
		browser.err = errors.New("an interface other than loopback is up: refusing to start Chromium")
		return
	}
	dir, err := os.MkdirTemp("", "sdk1x-profile-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dir = dir
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumtest.Options(chromiumPath, dir,
		// api.sinch.com, callingapi.sinch.com, the PubNub origin and the
		// page: all to the facade. The certificate is httptest's.
		// A page may still reach another listener by its IP literal
		// (the facade of an ocratest server: interop_test.go).
		chromedp.Flag("host-resolver-rules", "MAP * "+addr+", EXCLUDE 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true),
	)...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	browser.ctx = ctx
	browser.cancel = func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil {
		browser.err = fmt.Errorf("starting %s: %w", chromiumPath, err)
	}
}

func closeBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
}

// The one facade of the browser tests: Chromium's host mapping names one
// port for the whole run. Each test uses users of its own.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// pageFiles serves the test page and the SDK bundle under /page/.
func pageFiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/page/sinch.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, bundlePath)
	})
	mux.Handle("/page/", http.StripPrefix("/page/", http.FileServer(http.Dir("testdata/page"))))
	return mux
}

// facadeForBrowser returns the shared facade, started with the browser.
func facadeForBrowser(t *testing.T) *Server {
	t.Helper()
	requireBrowser(t)
	shared.once.Do(func() {
		shared.srv, shared.err = NewServer(Config{AppKey: testAppKey, AppSecret: testAppSecret}, pageFiles())
		if shared.err == nil {
			browser.once.Do(func() { startBrowser(shared.srv.Addr()) })
			shared.err = browser.err
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// tab is a page of the SDK in the shared browser.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// openTab opens the test page in a new tab, closed when the test ends.
// Uncaught exceptions of the page fail the test.
func openTab(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	tb := &tab{t: t, name: name, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var exceptions []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exceptions {
			t.Errorf("%s: page exception: %s", name, e)
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("https://"+pageHost+"/page/index.html")); err != nil {
		t.Fatalf("%s: opening the page: %v", name, err)
	}
	return tb
}

// eval evaluates expr in the tab, awaiting a promise, and decodes its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: evaluating %s: %v; events: %s", tb.name, expr, err, tb.events())
	}
	return v
}

func (tb *tab) do(expr string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, expr)
}

func (tb *tab) events() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(peer.events)`))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return s
}

// waitFor waits until expr is truthy; what names it in the failure.
func (tb *tab) waitFor(expr, what string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v; events: %s", tb.name, what, err, tb.events())
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and numbers of the tests only
	}
	return string(b)
}

// start starts the SDK in the tab as user, sending toneHz in its calls, the
// ticket signed by the test as a backend would; it returns the instance id.
func (tb *tab) start(user string, toneHz float64) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`peer.start({appKey: %s, ticket: %s, toneHz: %s})`,
		js(testAppKey), js(Ticket(testAppKey, testSecret(tb.t), user, time.Now())), js(toneHz)))
}

// callStatus is what the page tells of a call.
type callStatus struct {
	State string  `json:"state"`
	Cause string  `json:"cause"`
	Hz    float64 `json:"hz"`
	DB    float64 `json:"db"`
}

func (tb *tab) status(id string) callStatus {
	tb.t.Helper()
	return eval[callStatus](tb, fmt.Sprintf(`peer.status(%s)`, js(id)))
}

func (tb *tab) waitEvent(kind, id string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf(`peer.has(%s, %s)`, js(kind), js(id)), kind+" "+id)
}

// waitTone waits until call id hears a tone within 15 Hz of hz, well above
// silence.
func (tb *tab) waitTone(id string, hz float64) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf(`((s) => s && Math.abs(s.hz - %s) <= 15 && s.db > -70)(peer.status(%s))`, js(hz), js(id)),
		fmt.Sprintf("a %v Hz tone", hz))
}

// TestSDK1xStarts: Sinch's JS SDK 1.4.12 starts against the facade, both
// with a ticket it signs itself (given the application secret) and with a
// ticket signed by a backend: instance created from the ticket, signed
// configuration fetched, broadcast subscription open.
func TestSDK1xStarts(t *testing.T) {
	s := facadeForBrowser(t)
	own := openTab(t, "start-own-ticket")
	id := eval[string](own, fmt.Sprintf(`peer.start({appKey: %s, secret: %s, user: "start-a", toneHz: 440})`,
		js(testAppKey), js(testAppSecret)))
	backend := openTab(t, "start-backend-ticket")
	id2 := backend.start("start-b", 440)
	for user, want := range map[string]string{"start-a": id, "start-b": id2} {
		ins := s.Memory().Instances(user)
		if len(ins) != 1 || ins[0].ID != want || want == "" {
			t.Errorf("%s: the page started instance %q; the backend has %+v", user, want, ins)
		}
	}
	own.waitEvent("started", "")
	if ev := own.events(); !json.Valid([]byte(ev)) {
		t.Fatalf("events %s", ev)
	}
}

// TestSDK1xCallsSDK1x: two 1.x clients call each other through the facade:
// the callee rings, answers, each hears the other's tone, the caller hangs
// up (both HUNG_UP) and both report the call.
func TestSDK1xCallsSDK1x(t *testing.T) {
	s := facadeForBrowser(t)
	alice, bob := openTab(t, "alice"), openTab(t, "bob")
	alice.start("call-alice", 660)
	bob.start("call-bob", 440)

	id := eval[string](alice, `peer.call("call-bob", {greeting: "hi"})`)
	bob.waitEvent("incoming", id)
	if from := eval[string](bob, fmt.Sprintf(`peer.events.find(e => e.kind === "incoming" && e.id === %s).from`, js(id))); from != "call-alice" {
		t.Errorf("bob sees the call from %q, want call-alice", from)
	}
	alice.waitEvent("progressing", id)
	bob.do(fmt.Sprintf(`peer.answer(%s)`, js(id)))
	alice.waitEvent("established", id)
	bob.waitEvent("established", id)
	alice.waitTone(id, 440)
	bob.waitTone(id, 660)
	placed := eval[float64](alice, fmt.Sprintf(`peer.at("placed", %s)`, js(id)))
	established := eval[float64](alice, fmt.Sprintf(`peer.at("established", %s)`, js(id)))
	t.Logf("caller: placed to established %.0f ms (including the callee's answer, sent after it rang)", established-placed)

	alice.do(fmt.Sprintf(`peer.hangup(%s)`, js(id)))
	alice.waitEvent("ended", id)
	bob.waitEvent("ended", id)
	for _, tb := range []*tab{alice, bob} {
		if st := tb.status(id); st.State != "ENDED" || st.Cause != "HUNG_UP" {
			t.Errorf("%s: call ended %+v, want HUNG_UP", tb.name, st)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for len(s.Memory().Reports(id)) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(s.Memory().Reports(id)); n != 2 {
		t.Errorf("%d call reports, want one from each side", n)
	}
}

// TestSDK1xEndsUnansweredCalls: the callee declines (both DENIED); the
// caller cancels after the callee rang (both CANCELED); a call to nobody
// fails with the facade's message.
func TestSDK1xEndsUnansweredCalls(t *testing.T) {
	facadeForBrowser(t)
	alice, bob := openTab(t, "alice"), openTab(t, "bob")
	alice.start("end-alice", 660)
	bob.start("end-bob", 440)

	declined := eval[string](alice, `peer.call("end-bob")`)
	bob.waitEvent("incoming", declined)
	alice.waitEvent("progressing", declined)
	bob.do(fmt.Sprintf(`peer.hangup(%s)`, js(declined)))
	alice.waitEvent("ended", declined)
	bob.waitEvent("ended", declined)
	for _, tb := range []*tab{alice, bob} {
		if st := tb.status(declined); st.Cause != "DENIED" {
			t.Errorf("%s: declined call ended %+v, want DENIED", tb.name, st)
		}
	}

	canceled := eval[string](bob, `peer.call("end-alice")`)
	alice.waitEvent("incoming", canceled)
	bob.waitEvent("progressing", canceled)
	bob.do(fmt.Sprintf(`peer.hangup(%s)`, js(canceled)))
	bob.waitEvent("ended", canceled)
	alice.waitEvent("ended", canceled)
	for _, tb := range []*tab{alice, bob} {
		if st := tb.status(canceled); st.Cause != "CANCELED" {
			t.Errorf("%s: canceled call ended %+v, want CANCELED", tb.name, st)
		}
	}

	nobody := eval[string](alice, `peer.call("end-nobody")`)
	alice.waitEvent("ended", nobody)
	ev := eval[map[string]any](alice, fmt.Sprintf(`peer.events.find(e => e.kind === "ended" && e.id === %s)`, js(nobody)))
	if ev["cause"] != "FAILURE" || ev["error"] != "destination user not found" {
		t.Errorf("call to nobody ended %v, want FAILURE with the facade's message", ev)
	}
}

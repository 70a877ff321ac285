package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sinch-rtc-go/sinch/internal/chromiumtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// waitTimeout bounds every wait of these tests: generous, as the machine
// may be loaded.
const waitTimeout = 30 * time.Second

// pagePath is where ocratest serves the browser client page.
const pagePath = "/ocra/v1/ocratest/web/index.html"

// chromiumPath is the Chromium executable, set by TestMain when the tests
// can run.
var chromiumPath string

// shared is the one Chromium process of the test binary; each test opens
// its own tab in it.
var shared struct {
	once        sync.Once
	ctx         context.Context // the browser's chromedp context
	cancel      func()
	userDataDir string
	version     string
	err         error
}

// startBrowser launches Chromium, headless, with the flags of
// browser-interop.md. It refuses to when an interface other than loopback
// is up.
func startBrowser() {
	if !chromiumtest.OnlyLoopback() {
		shared.err = errors.New("an interface other than loopback is up: refusing to start Chromium")
		return
	}
	dir, err := os.MkdirTemp("", "browsertest-profile-")
	if err != nil {
		shared.err = err
		return
	}
	shared.userDataDir = dir
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumtest.Options(chromiumPath, dir)...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	shared.ctx = ctx
	shared.cancel = func() {
		cancelCtx()
		cancelAlloc()
	}
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		shared.err = fmt.Errorf("starting %s: %w", chromiumPath, err)
		return
	}
	v, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, browser.GetVersion, cdp.Empty{})
	if err != nil {
		shared.err = fmt.Errorf("reading the browser version: %w", err)
		return
	}
	shared.version = v.Product
}

// closeBrowser stops Chromium, if it was started, and removes its profile.
func closeBrowser() {
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.userDataDir != "" {
		os.RemoveAll(shared.userDataDir)
	}
}

// page is a tab showing the browser client page of an ocratest server.
type page struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	exceptions []string
}

// openPage opens the client page of srv in a new tab, closed when the test
// ends, with the PubNub JS SDK injected before the page's scripts run.
// Uncaught exceptions of the page fail the test.
func openPage(t *testing.T, srv *ocratest.Server) *page {
	t.Helper()
	requireBrowser(t)
	sdk := requirePubNubJS(t)
	shared.once.Do(startBrowser)
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	t.Logf("browser: %s; PubNub JS SDK %s", shared.version, pubnubJS.version)
	ctx, cancel := chromedp.NewContext(shared.ctx)
	p := &page{t: t, ctx: ctx}
	t.Cleanup(cancel)
	inject := func(ctx context.Context, tab *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tab, cdppage.AddScriptToEvaluateOnNewDocument,
			cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: sdk})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, inject, chromedp.Navigate(srv.URL()+pagePath)); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	go p.watchConsole()
	t.Cleanup(p.checkExceptions)
	return p
}

// watchConsole records the page's uncaught exceptions until the tab closes.
func (p *page) watchConsole() {
	for m, err := range chromedp.Console(p.ctx) {
		if err != nil {
			return
		}
		if m.IsException() {
			p.mu.Lock()
			p.exceptions = append(p.exceptions, m.String())
			p.mu.Unlock()
		}
	}
}

func (p *page) checkExceptions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.exceptions {
		p.t.Errorf("page: %s", e)
	}
}

// eval evaluates a JavaScript expression in the page, awaiting a promise,
// and decodes its value into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// do evaluates a JavaScript expression for its effect.
func (p *page) do(expr string) {
	p.t.Helper()
	eval[chromedp.Void](p, expr)
}

// waitFor waits until a JavaScript expression is truthy; what names the
// condition in the failure.
func (p *page) waitFor(expr, what string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		p.t.Fatalf("page: waiting for %s: %v; page status: %s", what, err, p.statusJSON())
	}
}

func (p *page) statusJSON() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(sinchPage.status)`))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return s
}

// js quotes v as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings and numbers of the tests are quoted
	}
	return string(b)
}

// start registers user in the page with a token of srv; every call of the
// page sends a tone of toneHz; with autoAnswer the page answers its calls
// as soon as they ring.
func (p *page) start(srv *ocratest.Server, user string, toneHz float64, autoAnswer bool) {
	p.t.Helper()
	p.do(fmt.Sprintf(`sinchPage.start({userId: %s, token: %s, toneHz: %s, autoAnswer: %s})`,
		js(user), js(srv.Token(user)), js(toneHz), js(autoAnswer)))
}

// callStatus is what the page shows of a call (client.js, Call.status).
type callStatus struct {
	ID             string  `json:"id"`
	Direction      string  `json:"direction"`
	State          string  `json:"state"`
	EndCause       string  `json:"endCause"`
	SetupMs        float64 `json:"setupMs"`
	RxToneHz       float64 `json:"rxToneHz"`
	RxToneDb       float64 `json:"rxToneDb"`
	RxAudioPackets int     `json:"rxAudioPackets"`
	RxAudioCodec   string  `json:"rxAudioCodec"`
	RxVideoFrames  int     `json:"rxVideoFrames"`
	VideoWidth     int     `json:"videoWidth"`
	VideoHeight    int     `json:"videoHeight"`
}

// call returns the page's status of call id.
func (p *page) call(id string) callStatus {
	p.t.Helper()
	return eval[callStatus](p, callExpr(id))
}

// callExpr is the JavaScript expression of the status of call id.
func callExpr(id string) string {
	return fmt.Sprintf(`sinchPage.status.calls[%s]`, js(id))
}

// waitState waits until the page's call id is in state.
func (p *page) waitState(id, state string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`%s?.state === %s`, callExpr(id), js(state)), "call "+id+" "+state)
}

// waitIncoming waits for the page's next inbound call to ring and returns
// its id.
func (p *page) waitIncoming() string {
	p.t.Helper()
	p.waitFor(`Object.values(sinchPage.status.calls).some(c => c.direction === 'inbound' && c.state === 'ringing')`, "an incoming call")
	return eval[string](p, `Object.values(sinchPage.status.calls).find(c => c.direction === 'inbound' && c.state === 'ringing').id`)
}

// waitTone waits until the page hears a tone within 15 Hz of hz, well above
// silence.
func (p *page) waitTone(id string, hz float64) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`((c) => c && Math.abs(c.rxToneHz - %s) <= 15 && c.rxToneDb > -70)(%s)`, js(hz), callExpr(id)),
		fmt.Sprintf("a %v Hz tone", hz))
}

// noPageErrors fails the test when the page recorded errors.
func (p *page) noPageErrors() {
	p.t.Helper()
	if errs := eval[[]string](p, `sinchPage.status.errors`); len(errs) > 0 {
		p.t.Errorf("page errors: %s", strings.Join(errs, "; "))
	}
}

package legacy

import (
	"fmt"
	"testing"
	"time"
)

// What the tests of package legacy_test (interop_test.go: 1.x clients and
// SDK clients calling each other through ocratest, which imports this
// package) use of this package's browser harness.

// Tab is a page of the SDK in the shared browser.
type Tab = tab

// CallStatus is what the page tells of a call.
type CallStatus = callStatus

// WaitTimeout bounds every wait of the browser tests.
const WaitTimeout = waitTimeout

// BrowserFor returns the shared browser (with the shared facade serving
// the page) or skips the test (fails it with SINCH_SDK1X_TESTS=require).
func BrowserFor(t *testing.T) { facadeForBrowser(t) }

// OpenTab opens the test page in a new tab.
func OpenTab(t *testing.T, name string) *Tab { return openTab(t, name) }

// StartAt starts the SDK in the tab as user, against the 1.x API at api
// (https://127.0.0.1:<port>/v1/) of an application, with a ticket signed
// by the test; it returns the instance id.
func (tb *tab) StartAt(api, appKey string, appSecret []byte, user string, toneHz float64) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`peer.start({appKey: %s, ticket: %s, toneHz: %s, api: %s})`,
		js(appKey), js(Ticket(appKey, appSecret, user, time.Now())), js(toneHz), js(api)))
}

// EvalString evaluates expr in the tab, awaiting a promise.
func (tb *tab) EvalString(expr string) string { tb.t.Helper(); return eval[string](tb, expr) }

// EvalFloat evaluates expr in the tab, awaiting a promise.
func (tb *tab) EvalFloat(expr string) float64 { tb.t.Helper(); return eval[float64](tb, expr) }

// Do evaluates expr in the tab.
func (tb *tab) Do(expr string) { tb.t.Helper(); tb.do(expr) }

// WaitEvent waits for the page's event kind of call id.
func (tb *tab) WaitEvent(kind, id string) { tb.t.Helper(); tb.waitEvent(kind, id) }

// WaitTone waits until call id hears a tone within 15 Hz of hz.
func (tb *tab) WaitTone(id string, hz float64) { tb.t.Helper(); tb.waitTone(id, hz) }

// Status is what the page tells of call id.
func (tb *tab) Status(id string) CallStatus { tb.t.Helper(); return tb.status(id) }

// Events are the page's events, as JSON.
func (tb *tab) Events() string { return tb.events() }

// JS is v as a JavaScript literal.
func JS(v any) string { return js(v) }

package browsertest

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/chromiumtest"
)

// Environment variables of the package's tests.
const (
	// envRequire set to "require" makes the tests fail where they would skip.
	envRequire = "SINCH_BROWSER_TESTS"
	// envIsolated marks the test binary re-executed in a network namespace.
	envIsolated = "SINCH_BROWSERTEST_ISOLATED"
)

// unavailable says why the browser tests cannot run here; empty when they
// can.
var unavailable string

func TestMain(m *testing.M) {
	chromium, err := chromiumtest.Find()
	if err != nil {
		unavailable = err.Error()
	} else {
		var code int
		var ran bool
		if unavailable, code, ran = chromiumtest.Isolate(envIsolated); ran {
			os.Exit(code)
		}
		chromiumPath = chromium
	}
	goleak.VerifyTestMain(suite{m})
}

// suite closes the shared browser once the tests have run, before goleak
// looks for leaked goroutines.
type suite struct{ m *testing.M }

func (s suite) Run() int {
	defer closeBrowser()
	return s.m.Run()
}

// requireBrowser skips the test, or fails it when SINCH_BROWSER_TESTS is
// "require", when the browser tests cannot run here.
func requireBrowser(t *testing.T) {
	t.Helper()
	chromiumtest.Require(t, envRequire, unavailable)
}

package legacy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/internal/chromiumtest"
)

// Environment of the tests that run Sinch's JS SDK 1.x in Chromium.
const (
	// envRequire set to "require" makes them fail where they would skip.
	envRequire = "SINCH_SDK1X_TESTS"
	// envBundle names the SDK bundle that
	// internal/browsertest/sinchjs/bundle.sh made; default below.
	envBundle = "SINCH_SDK1X_BUNDLE"
	// envIsolated marks the test binary re-executed in a network namespace.
	envIsolated = "SINCH_SDK1X_ISOLATED"
)

// defaultBundle is bundle.sh's default output, from this package's folder.
var defaultBundle = filepath.Join("..", "..", "..", "internal", "browsertest", "sinchjs", "dist", "sinch-rtc-1.4.12.js")

// Set by TestMain: where Chromium and the bundle are, or why the browser
// tests cannot run.
var (
	chromiumPath string
	bundlePath   string
	unavailable  string
)

// TestMain runs the tests, in a network namespace that holds nothing but lo
// when the browser tests can run (Chromium installed, the bundle built),
// re-executing the test binary under unshare --net as internal/browsertest
// does (docs/browser.md). All the package's tests then run there; they use
// 127.0.0.1 only.
func TestMain(m *testing.M) {
	if unavailable = browserSetup(); unavailable == "" {
		var code int
		var ran bool
		if unavailable, code, ran = chromiumtest.Isolate(envIsolated); ran {
			os.Exit(code)
		}
	}
	goleak.VerifyTestMain(suite{m})
}

// browserSetup finds Chromium and the bundle; it returns why the browser
// tests cannot run, or "".
func browserSetup() string {
	p, err := chromiumtest.Find()
	if err != nil {
		return err.Error()
	}
	chromiumPath = p
	bundlePath = os.Getenv(envBundle)
	if bundlePath == "" {
		bundlePath = defaultBundle
	}
	if _, err := os.Stat(bundlePath); err != nil {
		return fmt.Sprintf("the bundle of Sinch's JS SDK 1.4.12 is missing (%s): run internal/browsertest/sinchjs/bundle.sh first (needs node, npm and the registry)", bundlePath)
	}
	abs, err := filepath.Abs(bundlePath)
	if err != nil {
		return err.Error()
	}
	bundlePath = abs
	return ""
}

// suite closes the shared browser and facade before goleak looks for
// leaks.
type suite struct{ m *testing.M }

func (s suite) Run() int {
	defer func() {
		closeBrowser()
		if shared.srv != nil {
			shared.srv.Close()
		}
	}()
	return s.m.Run()
}

// requireBrowser skips the test, or fails it when SINCH_SDK1X_TESTS is
// "require", when the browser tests cannot run here.
func requireBrowser(t *testing.T) {
	t.Helper()
	chromiumtest.Require(t, envRequire, unavailable)
}

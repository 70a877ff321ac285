package legacy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
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
	unavailable = browserSetup()
	if unavailable == "" && !onlyLoopback() {
		if os.Getenv(envIsolated) != "" {
			unavailable = "an interface other than loopback is up in the network namespace: refusing to start Chromium"
		} else if code, err := runIsolated(); err == nil {
			os.Exit(code)
		} else {
			unavailable = err.Error()
		}
	}
	goleak.VerifyTestMain(suite{m})
}

// browserSetup finds Chromium and the bundle; it returns why the browser
// tests cannot run, or "".
func browserSetup() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromiumPath = p
			break
		}
	}
	if chromiumPath == "" {
		return "chromium is not installed (apt-get install -y chromium): the SDK 1.x tests need it"
	}
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

// onlyLoopback reports whether every interface that is up is a loopback one.
func onlyLoopback() bool {
	ifaces, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, ifi := range ifaces {
		if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagLoopback == 0 {
			return false
		}
	}
	return true
}

// runIsolated runs this test binary again, with the same arguments, in a
// new network namespace holding only lo, and returns its exit code.
func runIsolated() (int, error) {
	args := []string{"--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	probe := exec.Command("unshare", append(args, "sh", "-c", "ip link set lo up")...)
	if out, err := probe.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("the tests cannot make a loopback-only network namespace (unshare --net and ip link, as root; %v: %s)", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	args = append(args, "sh", "-c", `ip link set lo up && exec "$0" "$@"`, self)
	cmd := exec.Command("unshare", append(args, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envIsolated+"=1")
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

// requireBrowser skips the test, or fails it when SINCH_SDK1X_TESTS is
// "require", when the browser tests cannot run here.
func requireBrowser(t *testing.T) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv(envRequire) == "require" {
		t.Fatalf("%s=require, but the SDK 1.x tests cannot run: %s", envRequire, unavailable)
	}
	t.Skip(unavailable)
}

package browsertest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

// Environment variables of the package's tests.
const (
	// envRequire set to "require" makes the tests fail where they would skip.
	envRequire = "SINCH_BROWSER_TESTS"
	// envIsolated marks the test binary re-executed in a network namespace.
	envIsolated = "SINCH_BROWSERTEST_ISOLATED"
)

// isolateScript brings lo up in the new namespace and runs the test binary
// ($0) with its arguments.
const isolateScript = `ip link set lo up && exec "$0" "$@"`

// unavailable says why the browser tests cannot run here; empty when they
// can.
var unavailable string

func TestMain(m *testing.M) {
	chromium, err := findChromium()
	switch {
	case err != nil:
		unavailable = err.Error()
	case onlyLoopback():
		chromiumPath = chromium
	case os.Getenv(envIsolated) != "":
		unavailable = "an interface other than loopback is up in the network namespace: refusing to start Chromium"
	default:
		if code, err := runIsolated(); err == nil {
			os.Exit(code)
		} else {
			unavailable = err.Error()
		}
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

// findChromium returns the path of the Chromium executable.
func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("chromium is not installed (apt-get install -y chromium): the browser interop tests need it")
}

// onlyLoopback reports whether every network interface that is up is a
// loopback one, so that a browser can reach nothing but 127.0.0.1.
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

// unshareArgs are the arguments of unshare that make a network namespace:
// root makes it directly, anyone else inside a user namespace.
func unshareArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--net"}
	}
	return []string{"--net", "--map-root-user"}
}

// runIsolated runs this test binary again, with the same arguments, in a
// new network namespace that holds only lo, and returns its exit code. It
// returns an error when no such namespace can be made here.
func runIsolated() (int, error) {
	probe := exec.Command("unshare", append(unshareArgs(), "sh", "-c", "ip link set lo up")...)
	if out, err := probe.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("chromium is installed, but the tests cannot make a loopback-only network namespace "+
			"(unshare --net and ip link, as root; %v: %s): run them as docs/browser.md shows", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("locating the test binary: %w", err)
	}
	args := append(unshareArgs(), "sh", "-c", isolateScript, self)
	cmd := exec.Command("unshare", append(args, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envIsolated+"=1")
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("running the tests in a network namespace: %w", err)
	}
	return 0, nil
}

// requireBrowser skips the test, or fails it when SINCH_BROWSER_TESTS is
// "require", when the browser tests cannot run here.
func requireBrowser(t *testing.T) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv(envRequire) == "require" {
		t.Fatalf("%s=require, but the browser tests cannot run: %s", envRequire, unavailable)
	}
	t.Skip(unavailable)
}

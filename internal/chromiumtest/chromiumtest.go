// Package chromiumtest runs headless Chromium for the project's browser
// tests (internal/browsertest, ocratest/internal/legacy) the one way
// docs/browser.md describes: only where nothing but loopback is up, so that
// every packet the browser sends stays on 127.0.0.1. A test binary that
// finds another interface up runs itself again in a network namespace
// holding only lo.
package chromiumtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Find returns the path of the Chromium executable.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("chromium is not installed (apt-get install -y chromium): the browser tests need it")
}

// OnlyLoopback reports whether every network interface that is up is a
// loopback one, so that a browser can reach nothing but 127.0.0.1.
func OnlyLoopback() bool {
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

// Isolate is a browser test binary's TestMain step, once it knows Chromium
// can run. Where only loopback is up it returns ("", 0, false): run the
// tests here. Otherwise it runs the test binary again, with the same
// arguments and envIsolated set, in a new network namespace holding only
// lo, and returns that run's exit code with ran set. It returns why the
// browser tests cannot run when no such namespace can be made, or when
// envIsolated shows this binary is already the re-executed one.
func Isolate(envIsolated string) (unavailable string, code int, ran bool) {
	if OnlyLoopback() {
		return "", 0, false
	}
	if os.Getenv(envIsolated) != "" {
		return "an interface other than loopback is up in the network namespace: refusing to start Chromium", 0, false
	}
	code, err := runIsolated(envIsolated)
	if err != nil {
		return err.Error(), 0, false
	}
	return "", code, true
}

// unshareArgs are the arguments of unshare that make a network namespace:
// root makes it directly, anyone else inside a user namespace.
func unshareArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--net"}
	}
	return []string{"--net", "--map-root-user"}
}

// isolateScript brings lo up in the new namespace and runs the test binary
// ($0) with its arguments.
const isolateScript = `ip link set lo up && exec "$0" "$@"`

func runIsolated(envIsolated string) (int, error) {
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

// Require skips t, or fails it when the environment variable envRequire is
// "require", when unavailable says the browser tests cannot run here.
func Require(t testing.TB, envRequire, unavailable string) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv(envRequire) == "require" {
		t.Fatalf("%s=require, but the browser tests cannot run: %s", envRequire, unavailable)
	}
	t.Skip(unavailable)
}

// Options are the flags of browser-interop.md for a headless Chromium at
// path with the profile userDataDir, followed by extra.
func Options(path, userDataDir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Loopback ICE candidates, with real addresses rather than mDNS names.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
	}, extra...)
}

// Package browsertest proves that the SDK interoperates with a browser's
// WebRTC stack (Chromium's libwebrtc): its tests drive headless Chromium with
// github.com/chromedp/chromedp through the browser client page that ocratest
// serves, and make calls between that page and Go clients in both
// directions, with tones, hangups and video.
//
// The package has only tests. They need Chromium (Debian's chromium
// package) and a network that holds nothing but loopback: a browser gathers
// ICE candidates on every interface it sees, and tests may reach only
// 127.0.0.1. When an interface other than loopback is up, the test binary
// re-executes itself in a new network namespace holding only lo
// (unshare --net, as root or with an unprivileged user namespace); it never
// starts Chromium while any other interface is up. Without Chromium, or
// where no namespace can be made, the tests skip with a message that says
// why, unless SINCH_BROWSER_TESTS=require (set by CI) turns the skip into a
// failure. docs/browser.md describes the page and the setup.
package browsertest

// Package timing holds what ocratest's realtime servers (the fake PubNub
// origin and the WebSocket hub) share to delay deliveries.
package timing

import "time"

// WaitUntil waits until t and reports whether it did, rather than quit
// closing first. A t in the past returns true at once.
func WaitUntil(t time.Time, quit <-chan struct{}) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-quit:
		return false
	}
}

package legacy

import (
	"strings"

	"github.com/sinch-rtc-go/sinch/ocratest/internal/pubnub"
)

// pubnubPrefixes are the path prefixes of the PubNub endpoints pubnub 3.16.5
// calls (docs/sinch-rtc-1x.md section 5); the facade passes them to its
// PubNub origin.
var pubnubPrefixes = []string{"/time/", "/subscribe/", "/publish/", "/v2/presence/"}

func isPubNubPath(p string) bool {
	for _, pre := range pubnubPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// PubNub returns the PubNub origin whose channels the facade's clients use:
// Config.PubNub, or the facade's own.
func (f *Facade) PubNub() *pubnub.Server { return f.pn }

// Deliver publishes message (an MXP frame) on the broadcast channel of a
// 1.x instance: how a backend invites a 1.x device. What clients publish
// needs no help: every client, 1.x or not, publishes on the PubNub origin
// itself.
func (f *Facade) Deliver(channel, message string) {
	if err := f.pn.PublishBroadcast(channel, message); err != nil {
		f.log.Debug("legacy: undeliverable message dropped", "channel", channel, "bytes", len(message), "err", err)
	}
}

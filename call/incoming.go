package call

import (
	"fmt"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// DefaultMaxIncomingCalls is how many inbound calls may ring at once when
// the client sets no bound (SinchClientBuilder.MaxIncomingCalls).
const DefaultMaxIncomingCalls = 16

// maxIncoming is the client's bound on inbound calls ringing at once (its
// default applied by the client's config).
func (c *Controller) maxIncoming() int { return c.s.MaxIncomingCalls() }

// admitLocked gives a new inbound call one of the MaxIncomingCalls ringing
// slots, or marks it over the limit: its actor then declines it before it
// builds anything (answerOffer). c.mu is held.
func (c *Controller) admitLocked(call *Call) {
	if call.dir != Inbound {
		return
	}
	if c.ringing >= c.maxIncoming() {
		call.overLimit = true
		return
	}
	c.ringing++
	call.ringSlot = true
}

// stopRingingLocked frees the call's ringing slot, if it holds one. c.mu is
// held.
func (c *Controller) stopRingingLocked(call *Call) {
	if call.ringSlot {
		call.ringSlot = false
		c.ringing--
	}
}

// stopRinging frees the slot of an inbound call that was answered.
func (c *Controller) stopRinging(call *Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopRingingLocked(call)
}

// errTooManyIncoming declines an inbound call over the limit.
func (c *Controller) errTooManyIncoming() error {
	return &errs.SinchError{Domain: errs.Generic, Message: fmt.Sprintf(
		"declined an incoming call: %d others are ringing (MaxIncomingCalls); answer or hang up one of them, or raise the bound",
		c.maxIncoming())}
}

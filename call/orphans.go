package call

import "time"

// Bounds of the messages kept for calls whose Invite has not arrived.
const (
	maxOrphanCalls    = 32
	maxOrphansPerCall = 16
	orphanTTL         = 30 * time.Second
)

// orphans keeps signal-channel messages of calls this client does not know
// yet. The server answers the caller's POST /calls before it publishes the
// Invite, so a caller's first candidates (or a Cancel) can overtake the
// Invite on the way to a callee; they are handed to the call when its
// Invite arrives. Bounded in calls, messages and age. Not safe for
// concurrent use: the realtime channel's read goroutine owns it.
type orphans struct {
	calls map[string]*orphanCall
}

type orphanCall struct {
	first    time.Time
	payloads []string
}

// keep stores payload for callID, dropping what is too old, and reports
// whether it was kept.
func (o *orphans) keep(callID, payload string, now time.Time) bool {
	for id, c := range o.calls {
		if now.Sub(c.first) > orphanTTL {
			delete(o.calls, id)
		}
	}
	c := o.calls[callID]
	if c == nil {
		if len(o.calls) >= maxOrphanCalls {
			return false
		}
		if o.calls == nil {
			o.calls = make(map[string]*orphanCall)
		}
		c = &orphanCall{first: now}
		o.calls[callID] = c
	}
	if len(c.payloads) >= maxOrphansPerCall {
		return false
	}
	c.payloads = append(c.payloads, payload)
	return true
}

// take removes and returns what was kept for callID, oldest first.
func (o *orphans) take(callID string) []string {
	c := o.calls[callID]
	delete(o.calls, callID)
	if c == nil {
		return nil
	}
	return c.payloads
}

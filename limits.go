package sinch

// MaxIncomingCalls is the builder's bound on inbound calls ringing at once
// (session.Session).
func (s clientSession) MaxIncomingCalls() int { return s.c.settings.maxIncomingCalls }

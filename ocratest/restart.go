package ocratest

import "time"

// RestartOption configures Server.Restart.
type RestartOption func(*restartOptions)

type restartOptions struct {
	forget   bool
	downtime time.Duration
}

// ForgetInstances makes a restart lose the server's data, as a failover to
// an empty database would: every instance and every routed call is
// forgotten. Clients then get 40400 for their instance and must register
// again. Used registration token nonces are kept, so tokens still cannot be
// replayed.
func ForgetInstances() RestartOption {
	return func(o *restartOptions) { o.forget = true }
}

// Downtime keeps the restarting server down for d: every request that
// arrives meanwhile, REST or realtime, has its connection closed without an
// answer. Restart returns once the server is back.
func Downtime(d time.Duration) RestartOption {
	return func(o *restartOptions) { o.downtime = d }
}

// Restart simulates a restart of the server process: every realtime
// connection and every HTTP connection is dropped, requests in flight
// included (the PubNub origin's too), and the server serves again on the
// same URL. Like Ocra, it keeps its instances across a restart unless
// ForgetInstances is given; the realtime channels of forgotten instances
// are then revoked, so that their clients learn that they must register
// again (over PubNub, their polls get 403). Injected faults survive a
// restart.
func (s *Server) Restart(opts ...RestartOption) {
	var o restartOptions
	for _, opt := range opts {
		opt(&o)
	}
	s.log.Info("restarting", "forgetInstances", o.forget, "downtime", o.downtime)
	if o.downtime > 0 {
		defer s.down()()
	}
	if o.forget {
		s.mu.Lock()
		forgotten := make([]*instance, 0, len(s.instances))
		for _, in := range s.instances {
			forgotten = append(forgotten, in)
		}
		for _, in := range forgotten {
			s.removeInstanceLocked(in)
		}
		calls := s.calls
		s.calls = make(map[string]*call)
		s.mu.Unlock()
		for _, in := range forgotten {
			s.relay.revoke(in)
		}
		for _, c := range calls {
			if c.stopListen != nil { // calls from phones have no channel
				c.stopListen()
			}
		}
	} else {
		s.DisconnectAll()
	}
	s.relay.restart()
	s.srv.CloseClientConnections()
	if o.downtime > 0 {
		t := time.NewTimer(o.downtime)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.closing:
		}
	}
}

// down makes the server drop every request, ahead of any injected fault,
// until the returned function is called.
func (s *Server) down() (up func()) {
	e := &faultEntry{Fault: Fault{Drop: true}}
	s.mu.Lock()
	s.faults = append([]*faultEntry{e}, s.faults...)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, f := range s.faults {
			if f == e {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

package ocratest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Fault is a failure the server injects into matching requests, REST and the
// realtime channel alike: the WebSocket upgrade (path "/pubsub"), or every
// request to the PubNub origin (subscribe, publish, time, presence), whose
// path is "/pubsub" followed by the origin's path, such as
// "/pubsub/v2/subscribe/..." or "/pubsub/time/0". So Path "/pubsub" faults
// the realtime channel whichever the transport. A fault first stalls the
// request (when Stall is set), then drops it (Drop), or answers Status and
// Code, or else lets the request through.
type Fault struct {
	// Method is the HTTP method to match; "" matches all.
	Method string
	// Path is a prefix of the path after /ocra/v1, such as "/instances" or
	// "/pubsub" (see above for PubNub's); "" matches all.
	Path string
	// Status and Code are the error answer, with Ocra's error body. A zero
	// Code is Status*100 (503 -> 50300); a zero Status is Code/100. Both
	// zero: no error answer. A Status outside 400-599 answers 500 instead.
	Status, Code int
	// Stall holds the request this long before the rest of the fault
	// applies; a negative Stall holds it until the server closes. A stall
	// ends early when the client gives up; one ended by Close answers 503.
	Stall time.Duration
	// Drop closes the connection without an answer. Note that net/http
	// clients retry an idempotent request (GET, PUT, DELETE) once when a
	// reused connection closes that way: use Times 0 to fail those for sure.
	Drop bool
	// Times is how many requests the fault applies to; 0 means until it
	// is removed.
	Times int
}

type faultEntry struct {
	Fault
	left int // requests left when Times > 0
}

// InjectFault adds f; it applies to matching requests until remove is called
// or, with Times set, until it has applied that many times. When several
// faults match a request, the one injected first applies. remove may be
// called more than once.
func (s *Server) InjectFault(f Fault) (remove func()) {
	e := &faultEntry{Fault: f, left: f.Times}
	s.mu.Lock()
	s.faults = append(s.faults, e)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.faults = slices.DeleteFunc(s.faults, func(x *faultEntry) bool { return x == e })
	}
}

// takeFault returns the fault that applies to a request, counting it.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if (e.Method != "" && e.Method != method) || !strings.HasPrefix(path, e.Path) {
			continue
		}
		if e.Times > 0 {
			e.left--
			if e.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return e.Fault, true
	}
	return Fault{}, false
}

// applyFault applies the fault matching a request to path (below
// ocra.BasePath). It reports whether the request has been answered.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, path string) bool {
	f, ok := s.takeFault(r.Method, path)
	if !ok {
		return false
	}
	s.log.Info("injecting fault", "method", r.Method, "path", r.URL.Path,
		"status", f.Status, "code", f.Code, "stall", f.Stall, "drop", f.Drop)
	if f.Stall != 0 && !s.stall(r.Context(), f.Stall) {
		s.writeError(w, r, apiError(ocra.CodeServiceUnavailable, "ocratest: request stalled until the server closed"))
		return true
	}
	switch {
	case f.Drop:
		// The documented way to abort a response: the connection closes
		// without an answer, and net/http logs nothing.
		panic(http.ErrAbortHandler)
	case f.Status != 0 || f.Code != 0:
		s.writeError(w, r, faultError(f))
		return true
	}
	return false
}

// faultError is the answer of an error fault.
func faultError(f Fault) *ocra.APIError {
	e := &ocra.APIError{Status: f.Status, Code: f.Code, Message: "ocratest: injected fault"}
	if e.Code == 0 {
		e.Code = e.Status * 100
	}
	if e.Status == 0 {
		e.Status = e.Code / 100
	}
	if e.Status < 400 || e.Status > 599 {
		e.Status, e.Message = http.StatusInternalServerError, fmt.Sprintf("ocratest: injected fault has Status %d, not an HTTP error status", e.Status)
	}
	return e
}

// stall waits d (forever when negative) and reports whether it waited that
// long, rather than being ended by the client or by Close.
func (s *Server) stall(ctx context.Context, d time.Duration) bool {
	var elapsed <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		elapsed = t.C
	}
	select {
	case <-elapsed:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

func (s *Server) handlePubSub(w http.ResponseWriter, r *http.Request, _ string) {
	if s.hub == nil {
		s.writeError(w, r, apiError(ocra.CodeWrongScheme, "this server's realtime channel is PubNub, at the host and port of "+
			"rtcConfig.mxpPubSubConfig; start it with ocratest.WithWebSocket() to serve the WebSocket here"))
		return
	}
	s.hub.ServeHTTP(w, r)
}

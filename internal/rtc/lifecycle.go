package rtc

import (
	"errors"
	"sync"
)

var (
	errAlreadyRunning = errors.New("rtc: Run called twice")
	errClosed         = errors.New("rtc: closed")
)

// lifecycle lets one Run call be stopped and awaited by Close, whichever of
// the two comes first.
type lifecycle struct {
	mu      sync.Mutex
	started bool
	closed  bool
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when Run returns; nil until Run starts
}

func newLifecycle() lifecycle {
	return lifecycle{stop: make(chan struct{})}
}

// begin marks the start of Run; it fails after Close or on a second Run.
func (l *lifecycle) begin() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return errClosed
	case l.started:
		return errAlreadyRunning
	}
	l.started = true
	l.done = make(chan struct{})
	return nil
}

// end marks the return of Run.
func (l *lifecycle) end() { close(l.done) }

// close signals stop once, calls interrupt (when not nil) to unblock Run, and
// waits for a running Run to return.
func (l *lifecycle) close(interrupt func()) {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	done := l.done
	l.mu.Unlock()
	if interrupt != nil {
		interrupt()
	}
	if done != nil {
		<-done
	}
}

// stopped reports whether Close has been called.
func (l *lifecycle) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

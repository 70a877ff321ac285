// Package settings holds what the audio and video controllers share: a
// per-call factory that can be replaced at any time, and the check that
// refuses changes after the client terminated.
package settings

import (
	"fmt"
	"sync"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// Factory makes a T for each new call; the zero value makes zero Ts. It is
// safe for concurrent use.
type Factory[T any] struct {
	mu sync.Mutex
	f  func(callID string) T
}

// Set replaces the factory function; nil restores the zero value.
func (f *Factory[T]) Set(fn func(callID string) T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.f = fn
}

// For returns the T for callID, without holding the lock while fn runs.
func (f *Factory[T]) For(callID string) T {
	f.mu.Lock()
	fn := f.f
	f.mu.Unlock()
	if fn == nil {
		var zero T
		return zero
	}
	return fn(callID)
}

// Live returns an error wrapping errs.ErrClientTerminated, naming pkg and
// op, once done is closed.
func Live(done <-chan struct{}, pkg, op string) error {
	select {
	case <-done:
		return fmt.Errorf("%s: %s: %w", pkg, op, errs.ErrClientTerminated)
	default:
		return nil
	}
}

// Defaults is a client's audio or video controller as the call engine sees
// it: the source and the sink a new call gets.
type Defaults[S, K any] interface {
	SourceFor(callID string) S
	SinkFor(callID string) K
}

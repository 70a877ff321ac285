package dispatch

import "sync"

// FIFO is the SDK's one unbounded queue: the client's callback Queue runs
// the functions of one, and each call's actor drains one of events. Push
// never blocks, so the goroutines that feed a FIFO (the realtime read loop,
// pion's callbacks, timers, public methods) never wait for its consumer.
//
// One goroutine consumes it: it waits on Ready, then Takes everything
// pending, in push order. Items pushed after Close are refused.
type FIFO[T any] struct {
	mu     sync.Mutex
	items  []T
	closed bool
	ready  chan struct{} // holds a token while items are pending or once closed
}

// NewFIFO returns an empty, open FIFO.
func NewFIFO[T any]() *FIFO[T] { return &FIFO[T]{ready: make(chan struct{}, 1)} }

// Push appends v. It returns false, dropping v, once the FIFO is closed.
func (q *FIFO[T]) Push(v T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, v)
	q.signal()
	return true
}

// Ready holds a value when Take may have something new to report: items
// pushed, or the FIFO closed. It may also hold one when Take finds nothing
// new; the consumer then waits again. The channel is never closed.
func (q *FIFO[T]) Ready() <-chan struct{} { return q.ready }

// Take removes and returns the pending items, in push order, and whether
// the FIFO is closed. Once it reports closed, no item will follow the ones
// it returned.
func (q *FIFO[T]) Take() (items []T, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items = q.items
	q.items = nil
	return items, q.closed
}

// Close refuses new items. Items already pushed are still returned by
// Take; a consumer that stops without taking them drops them.
func (q *FIFO[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.signal()
}

// signal leaves a token in ready. q.mu is held.
func (q *FIFO[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

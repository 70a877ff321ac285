// Package dispatch is the serial callback queue of a client: every listener
// callback of a client, its controllers and its calls runs on the one
// goroutine of its Queue, in the order the events were posted.
//
// Posting never blocks (the queue is unbounded), so signalling and media
// goroutines never wait for a slow callback. Callbacks run without any SDK
// lock held, so they may call back into the SDK, Terminate included.
//
// A callback that panics does not kill the process: as net/http does for
// handlers, the queue recovers, logs the panic and its stack at Error, and
// runs the next callback.
package dispatch

import (
	"log/slog"
	"runtime/debug"
)

// Queue runs posted functions one at a time, in order, on its own goroutine.
// It is a FIFO of functions with that goroutine as its consumer.
type Queue struct {
	log     *slog.Logger
	pending *FIFO[func()]
	done    chan struct{}
}

// Option configures a Queue.
type Option func(*Queue)

// WithLogger sets where panics of callbacks are logged. Default:
// slog.Default(), so that a recovered panic is never silent.
func WithLogger(l *slog.Logger) Option {
	return func(q *Queue) {
		if l != nil {
			q.log = l
		}
	}
}

// New starts a queue.
func New(opts ...Option) *Queue {
	q := &Queue{pending: NewFIFO[func()](), done: make(chan struct{}), log: slog.Default()}
	for _, o := range opts {
		o(q)
	}
	go q.run()
	return q
}

// Post schedules f. It returns false, dropping f, when the queue is closed.
func (q *Queue) Post(f func()) bool { return q.pending.Push(f) }

// Close stops accepting work. Functions already posted still run; Close does
// not wait for them (it may be called from a callback). Use Done to wait.
func (q *Queue) Close() { q.pending.Close() }

// Done is closed when the queue is closed and every posted function has run.
func (q *Queue) Done() <-chan struct{} { return q.done }

func (q *Queue) run() {
	defer close(q.done)
	for range q.pending.Ready() {
		batch, closed := q.pending.Take()
		for i, f := range batch {
			batch[i] = nil
			q.call(f)
		}
		if closed {
			return
		}
	}
}

// call runs f, recovering and logging a panic.
func (q *Queue) call(f func()) {
	defer func() {
		if v := recover(); v != nil {
			q.log.Error("sinch: a listener callback panicked; the client recovered and goes on: fix the listener",
				"panic", v, "stack", string(debug.Stack()))
		}
	}()
	f()
}

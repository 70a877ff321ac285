package call

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// outbox publishes a call's messages, each on a goroutine of its own, so
// that the actor never waits for the network. A publish is a round trip
// to the realtime server: a callee whose actor published its two-frame
// Ack itself took two round trips before it could send the ICE candidate
// gathered meanwhile, or take the caller's candidates.
//
// A message is published as soon as it is posted, the frames of one
// message at once: receivers join parts in any order, and Sinch 1.x hands
// all the frames of a message to PubNub at once too. Messages may thus
// arrive in another order than posted, which receivers tolerate (a caller
// keeps a Join that came before its device's Ack, real-wire.md section 2),
// except for ICE candidates: a candidate waits until the Ack or session
// description posted before it was published (holdsCandidates), as a
// caller learns a callee device from its Ack (docs/decisions.md).
type outbox struct {
	s      session.Session
	inbox  *dispatch.FIFO[func(*actor)]
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	holding int        // holdsCandidates messages posted and not yet published
	held    []outgoing // candidates waiting until holding is 0
	closed  bool       // flush began: nothing more is posted
	sending sync.WaitGroup
}

// sendOrder is what a message waits for before it is published.
type sendOrder int

const (
	// plain: nothing.
	plain sendOrder = iota
	// holdsCandidates: nothing; the candidates posted after it wait until
	// it is published (an Ack, a session description).
	holdsCandidates
	// candidate: the holdsCandidates messages posted before it.
	candidate
)

// outgoing is one message, encoded, for one channel.
type outgoing struct {
	channel string
	method  mxp.Method
	frames  []string
	order   sendOrder
	// sent, if not nil, runs on the actor once the message is published;
	// failed runs there when it could not be (nil: the failure is logged).
	sent   func(*actor)
	failed func(*actor, error)
}

// newOutbox returns the outbox of a call whose actor listens on inbox.
// Its publishes stop when ctx is done.
func newOutbox(ctx context.Context, s session.Session, inbox *dispatch.FIFO[func(*actor)], log *slog.Logger) *outbox {
	o := &outbox{s: s, inbox: inbox, log: log}
	o.ctx, o.cancel = context.WithCancel(ctx)
	return o
}

// post publishes m, or holds a candidate; it never blocks.
func (o *outbox) post(m outgoing) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
		o.log.Debug("message not sent: the call has ended", "method", m.method)
	case m.order == candidate && o.holding > 0:
		o.held = append(o.held, m)
	default:
		if m.order == holdsCandidates {
			o.holding++
		}
		o.publish(m)
	}
}

// publish publishes m on a goroutine of its own. o.mu is held.
func (o *outbox) publish(m outgoing) {
	o.sending.Go(func() {
		o.send(m)
		if m.order == holdsCandidates {
			o.release()
		}
	})
}

// release: a holdsCandidates message was published (or failed); once
// none is left, the candidates it held go out.
func (o *outbox) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.holding--; o.holding > 0 {
		return
	}
	for _, m := range o.held {
		o.publish(m)
	}
	o.held = nil
}

func (o *outbox) send(m outgoing) {
	err := publishFrames(o.ctx, o.s, m.channel, m.frames)
	if err == nil {
		if m.sent != nil {
			o.inbox.Push(m.sent)
		}
		return
	}
	err = fmt.Errorf("sending %v: %w", m.method, err)
	if m.failed == nil {
		o.log.Debug("message not sent", "method", m.method, "err", err)
		return
	}
	failed := m.failed
	o.inbox.Push(func(a *actor) { failed(a, err) })
}

// flush stops taking messages and waits, for at most grace, until those
// already posted were published; what is left then is abandoned. It runs
// when the call ends, before its farewell, which must follow them.
func (o *outbox) flush(grace time.Duration) {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	t := time.AfterFunc(grace, o.cancel)
	o.sending.Wait()
	t.Stop()
	o.cancel()
}

// publishFrames publishes the frames of one message on channel, all at
// once, and returns once the server took every one, or with the first
// error.
func publishFrames(ctx context.Context, s session.Session, channel string, frames []string) error {
	if len(frames) == 1 {
		return s.Publish(ctx, channel, frames[0])
	}
	errs := make(chan error, len(frames)-1)
	for _, f := range frames[1:] {
		go func() { errs <- s.Publish(ctx, channel, f) }()
	}
	err := s.Publish(ctx, channel, frames[0])
	for range frames[1:] {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

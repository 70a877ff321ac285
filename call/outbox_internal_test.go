package call

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/dispatch"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// publisher is a session whose Publish records each frame and, for the
// frames named in block, waits until the test releases them (or the
// publish is cancelled).
type publisher struct {
	session.Session // only Publish is used by the outbox
	mu              sync.Mutex
	started         []string
	published       []string
	block           map[string]chan struct{}
	fail            map[string]error
	changed         chan struct{}
}

func newPublisher() *publisher {
	return &publisher{block: map[string]chan struct{}{}, fail: map[string]error{}, changed: make(chan struct{}, 100)}
}

func (p *publisher) Publish(ctx context.Context, _, frame string) error {
	p.mu.Lock()
	p.started = append(p.started, frame)
	wait, err := p.block[frame], p.fail[frame]
	p.mu.Unlock()
	p.changed <- struct{}{}
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	p.published = append(p.published, frame)
	p.mu.Unlock()
	p.changed <- struct{}{}
	return err
}

// await waits until cond holds of the frames started and published.
func (p *publisher) await(t *testing.T, what string, cond func(started, published []string) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		p.mu.Lock()
		ok := cond(p.started, p.published)
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-p.changed:
		case <-deadline:
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func (p *publisher) snapshot() (started, published []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.started), slices.Clone(p.published)
}

func newTestOutbox(p *publisher) (*outbox, *dispatch.FIFO[func(*actor)]) {
	inbox := dispatch.NewFIFO[func(*actor)]()
	return newOutbox(context.Background(), p, inbox, slog.New(slog.DiscardHandler)), inbox
}

// TestOutboxPublishesTheFramesOfAMessageAtOnce: the three frames of one
// message are all in flight before any is answered.
func TestOutboxPublishesTheFramesOfAMessageAtOnce(t *testing.T) {
	p := newPublisher()
	release := make(chan struct{})
	frames := []string{"ack 1/3", "ack 2/3", "ack 3/3"}
	for _, f := range frames {
		p.block[f] = release
	}
	o, _ := newTestOutbox(p)
	o.post(outgoing{channel: "c", method: mxp.Ack, frames: frames, order: holdsCandidates})
	p.await(t, "every frame is in flight", func(started, _ []string) bool { return len(started) == 3 })
	close(release)
	o.flush(time.Minute)
	_, published := p.snapshot()
	assert.ElementsMatch(t, frames, published)
}

// TestOutboxCandidatesWaitForTheAck: a candidate posted after an Ack is
// published only once the Ack was; a Join posted after it does not wait.
func TestOutboxCandidatesWaitForTheAck(t *testing.T) {
	p := newPublisher()
	ackDone := make(chan struct{})
	p.block["ack"] = ackDone
	o, _ := newTestOutbox(p)
	o.post(outgoing{channel: "c", method: mxp.Ack, frames: []string{"ack"}, order: holdsCandidates})
	o.post(outgoing{channel: "c", method: mxp.PeerEvent, frames: []string{"candidate"}, order: candidate})
	o.post(outgoing{channel: "c", method: mxp.Join, frames: []string{"join"}, order: plain})

	p.await(t, "the Join is published", func(_, published []string) bool { return slices.Contains(published, "join") })
	started, _ := p.snapshot()
	assert.NotContains(t, started, "candidate", "the candidate waits for the Ack")

	close(ackDone)
	p.await(t, "the candidate is published", func(_, published []string) bool { return slices.Contains(published, "candidate") })
	_, published := p.snapshot()
	assert.Less(t, slices.Index(published, "ack"), slices.Index(published, "candidate"))

	o.post(outgoing{channel: "c", method: mxp.PeerEvent, frames: []string{"late candidate"}, order: candidate})
	o.flush(time.Minute)
	_, published = p.snapshot()
	assert.Contains(t, published, "late candidate", "nothing holds a candidate once the Ack is out")
}

// TestOutboxFailureRunsOnTheActor: a message that cannot be published runs
// its failed callback through the actor's inbox, with an error naming the
// method and wrapping the cause.
func TestOutboxFailureRunsOnTheActor(t *testing.T) {
	p := newPublisher()
	cause := errors.New("channel down")
	p.fail["join"] = cause
	o, inbox := newTestOutbox(p)
	got := make(chan error, 1)
	o.post(outgoing{channel: "c", method: mxp.Join, frames: []string{"join"}, order: plain,
		failed: func(_ *actor, err error) { got <- err }})
	o.flush(time.Minute)
	events, _ := inbox.Take()
	require.Len(t, events, 1, "the failure goes to the actor")
	events[0](nil)
	err := <-got
	assert.ErrorIs(t, err, cause)
	assert.Contains(t, err.Error(), "sending Join")
}

// TestOutboxFlushAbandonsAStalledPublish: flush waits for a publish that
// never returns at most its grace, cancelling it, and what is posted
// afterwards is not sent.
func TestOutboxFlushAbandonsAStalledPublish(t *testing.T) {
	p := newPublisher()
	p.block["stalled"] = make(chan struct{}) // never released
	o, _ := newTestOutbox(p)
	o.post(outgoing{channel: "c", method: mxp.PeerEvent, frames: []string{"stalled"}, order: plain})
	p.await(t, "the publish is in flight", func(started, _ []string) bool { return len(started) == 1 })
	o.flush(10 * time.Millisecond) // returns: the stalled publish was cancelled
	o.post(outgoing{channel: "c", method: mxp.Leave, frames: []string{"after"}, order: plain})
	started, published := p.snapshot()
	assert.Equal(t, []string{"stalled"}, started, "nothing is published after flush")
	assert.Empty(t, published)
}

package audio

import (
	"fmt"
	"sync"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// Controller is a client's audio settings: mute for every call, and the
// sources and sinks new calls get. A call's own source and sink are set on
// the call (call.Call.SetAudioSource, SetAudioSink). Get it from
// SinchClient.AudioController; after Terminate its methods return
// sinch.ErrClientTerminated.
type Controller struct {
	done <-chan struct{}

	mu      sync.Mutex
	muted   bool
	sources func(callID string) Source
	sinks   func(callID string) Sink
}

// NewController is used by package sinch; applications get their
// Controller from SinchClient.AudioController. done is closed when the
// client terminates.
func NewController(done <-chan struct{}) *Controller {
	return &Controller{done: done}
}

func (c *Controller) check(op string) error {
	select {
	case <-c.done:
		return fmt.Errorf("audio: %s: %w", op, errs.ErrClientTerminated)
	default:
		return nil
	}
}

// Mute sends silence instead of every call's source, until Unmute. Muted
// calls keep sending silence frames so the far end's jitter buffer stays fed.
func (c *Controller) Mute() error { return c.setMuted("mute", true) }

// Unmute undoes Mute.
func (c *Controller) Unmute() error { return c.setMuted("unmute", false) }

func (c *Controller) setMuted(op string, muted bool) error {
	if err := c.check(op); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.muted = muted
	return nil
}

// IsMuted reports whether Mute is in force.
func (c *Controller) IsMuted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.muted
}

// SetSourceFactory sets how each new call gets its audio source; f returns
// the source for a call id. nil restores the default: silence.
func (c *Controller) SetSourceFactory(f func(callID string) Source) error {
	if err := c.check("set source factory"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources = f
	return nil
}

// SetSinkFactory sets how each new call gets its audio sink; f returns the
// sink for a call id (nil: the call's audio is read and dropped). nil
// restores the default: no sink.
func (c *Controller) SetSinkFactory(f func(callID string) Sink) error {
	if err := c.check("set sink factory"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinks = f
	return nil
}

// SourceFor returns the source a new call gets. The SDK calls it; it does
// not hold the Controller's lock while f runs.
func (c *Controller) SourceFor(callID string) Source {
	c.mu.Lock()
	f := c.sources
	c.mu.Unlock()
	if f != nil {
		if s := f(callID); s != nil {
			return s
		}
	}
	return Silence()
}

// SinkFor returns the sink a new call gets, nil for none.
func (c *Controller) SinkFor(callID string) Sink {
	c.mu.Lock()
	f := c.sinks
	c.mu.Unlock()
	if f != nil {
		return f(callID)
	}
	return nil
}

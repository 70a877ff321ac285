package video

import (
	"fmt"
	"sync"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// Controller is a client's video settings: the sources and sinks new video
// calls get. A call's own source and sink are set on the call. Get it from
// SinchClient.VideoController; after Terminate its methods return
// sinch.ErrClientTerminated.
type Controller struct {
	done <-chan struct{}

	mu      sync.Mutex
	sources func(callID string) Source
	sinks   func(callID string) Sink
}

// NewController is used by package sinch; applications get their
// Controller from SinchClient.VideoController. done is closed when the
// client terminates.
func NewController(done <-chan struct{}) *Controller {
	return &Controller{done: done}
}

func (c *Controller) check(op string) error {
	select {
	case <-c.done:
		return fmt.Errorf("video: %s: %w", op, errs.ErrClientTerminated)
	default:
		return nil
	}
}

// SetSourceFactory sets how each new video call gets its local video; f
// returns the source for a call id (nil: no local video is sent).
func (c *Controller) SetSourceFactory(f func(callID string) Source) error {
	if err := c.check("set source factory"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources = f
	return nil
}

// SetSinkFactory sets how each new video call delivers the remote video; f
// returns the sink for a call id (nil: frames are read and dropped).
func (c *Controller) SetSinkFactory(f func(callID string) Sink) error {
	if err := c.check("set sink factory"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinks = f
	return nil
}

// SourceFor returns the source a new video call gets, nil for none.
func (c *Controller) SourceFor(callID string) Source {
	c.mu.Lock()
	f := c.sources
	c.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(callID)
}

// SinkFor returns the sink a new video call gets, nil for none.
func (c *Controller) SinkFor(callID string) Sink {
	c.mu.Lock()
	f := c.sinks
	c.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(callID)
}

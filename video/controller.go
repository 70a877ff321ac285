package video

import (
	"github.com/sinch-rtc-go/sinch/internal/hook"
	"github.com/sinch-rtc-go/sinch/internal/settings"
)

// Controller is a client's video settings: the sources and sinks new video
// calls get. A call's own source and sink are set on the call. Get it from
// SinchClient.VideoController; after Terminate its methods return
// sinch.ErrClientTerminated.
type Controller struct {
	done    <-chan struct{}
	sources settings.Factory[Source]
	sinks   settings.Factory[Sink]
}

func init() { hook.Provide(newController) }

// newController builds a client's Controller (package sinch gets it
// through package hook) and the defaults new video calls get from it. done
// is closed when the client terminates.
func newController(done <-chan struct{}) (*Controller, settings.Defaults[Source, Sink]) {
	c := &Controller{done: done}
	return c, (*defaults)(c)
}

// SetSourceFactory sets how each new video call gets its local video; f
// returns the source for a call id (nil: no local video is sent).
func (c *Controller) SetSourceFactory(f func(callID string) Source) error {
	if err := settings.Live(c.done, "video", "set source factory"); err != nil {
		return err
	}
	c.sources.Set(f)
	return nil
}

// SetSinkFactory sets how each new video call delivers the remote video; f
// returns the sink for a call id (nil: frames are read and dropped).
func (c *Controller) SetSinkFactory(f func(callID string) Sink) error {
	if err := settings.Live(c.done, "video", "set sink factory"); err != nil {
		return err
	}
	c.sinks.Set(f)
	return nil
}

// defaults is the Controller as the call engine sees it.
type defaults Controller

// SourceFor returns the source a new video call gets, nil for none.
func (d *defaults) SourceFor(callID string) Source { return d.sources.For(callID) }

// SinkFor returns the sink a new video call gets, nil for none.
func (d *defaults) SinkFor(callID string) Sink { return d.sinks.For(callID) }

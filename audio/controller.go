package audio

import (
	"sync/atomic"

	"github.com/sinch-rtc-go/sinch/internal/hook"
	"github.com/sinch-rtc-go/sinch/internal/settings"
)

// Controller is a client's audio settings: mute for every call, and the
// sources and sinks new calls get. A call's own source and sink are set on
// the call (call.Call.SetAudioSource, SetAudioSink). Get it from
// SinchClient.AudioController; after Terminate its methods return
// sinch.ErrClientTerminated.
type Controller struct {
	done    <-chan struct{}
	muted   atomic.Bool
	sources settings.Factory[Source]
	sinks   settings.Factory[Sink]
}

func init() { hook.Provide(newController) }

// newController builds a client's Controller (package sinch gets it
// through package hook) and the defaults new calls get from it. done is
// closed when the client terminates.
func newController(done <-chan struct{}) (*Controller, settings.Defaults[Source, Sink]) {
	c := &Controller{done: done}
	return c, (*defaults)(c)
}

// Mute sends silence instead of every call's source, until Unmute. Muted
// calls keep sending silence frames so the far end's jitter buffer stays fed.
func (c *Controller) Mute() error { return c.setMuted("mute", true) }

// Unmute undoes Mute.
func (c *Controller) Unmute() error { return c.setMuted("unmute", false) }

func (c *Controller) setMuted(op string, muted bool) error {
	if err := settings.Live(c.done, "audio", op); err != nil {
		return err
	}
	c.muted.Store(muted)
	return nil
}

// IsMuted reports whether Mute is in force.
func (c *Controller) IsMuted() bool { return c.muted.Load() }

// SetSourceFactory sets how each new call gets its audio source; f returns
// the source for a call id. nil restores the default: silence.
func (c *Controller) SetSourceFactory(f func(callID string) Source) error {
	if err := settings.Live(c.done, "audio", "set source factory"); err != nil {
		return err
	}
	c.sources.Set(f)
	return nil
}

// SetSinkFactory sets how each new call gets its audio sink; f returns the
// sink for a call id (nil: the call's audio is read and dropped). nil
// restores the default: no sink.
func (c *Controller) SetSinkFactory(f func(callID string) Sink) error {
	if err := settings.Live(c.done, "audio", "set sink factory"); err != nil {
		return err
	}
	c.sinks.Set(f)
	return nil
}

// defaults is the Controller as the call engine sees it.
type defaults Controller

// SourceFor returns the source a new call gets: the factory's, else
// silence.
func (d *defaults) SourceFor(callID string) Source {
	if s := d.sources.For(callID); s != nil {
		return s
	}
	return Silence()
}

// SinkFor returns the sink a new call gets, nil for none.
func (d *defaults) SinkFor(callID string) Sink { return d.sinks.For(callID) }

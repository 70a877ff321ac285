package sinch

import (
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/hook"
	"github.com/sinch-rtc-go/sinch/internal/session"
	"github.com/sinch-rtc-go/sinch/internal/settings"
	"github.com/sinch-rtc-go/sinch/video"
)

// The constructors of the controllers a client hands out. Packages call,
// audio and video provide them through package hook instead of exporting
// them, so that a user sees only the controllers a client gives. Getting
// them here, while the package initialises, makes a missing one fail at
// program start.
var (
	newCallController  = hook.Get[func(session.Session) (*call.Controller, session.Engine)]()
	newAudioController = hook.Get[func(done <-chan struct{}) (*audio.Controller, settings.Defaults[audio.Source, audio.Sink])]()
	newVideoController = hook.Get[func(done <-chan struct{}) (*video.Controller, settings.Defaults[video.Source, video.Sink])]()
)

// mediaDefaults are the sources and sinks new calls get from the client's
// audio and video controllers.
type mediaDefaults struct {
	audio settings.Defaults[audio.Source, audio.Sink]
	video settings.Defaults[video.Source, video.Sink]
}

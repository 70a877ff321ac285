package call

import (
	"log/slog"

	"github.com/sinch-rtc-go/sinch/internal/dispatch"
)

// Listener receives the events of a call. Callbacks run on the client's
// callback goroutine, one at a time and in the order the events happened,
// never while the SDK holds a lock: they may call any SDK method.
type Listener interface {
	OnCallProgressing(c *Call) // outbound: the server accepted the call
	OnCallRinging(c *Call)     // outbound: a callee device is ringing
	OnCallAnswered(c *Call)    // the callee answered
	OnCallEstablished(c *Call) // media is flowing
	OnCallEnded(c *Call)       // the last event of every call; see Details
}

// RemoteTrackListener is an optional interface of a Listener: it is told
// of each media track the remote party sends.
//
// Optional interfaces are found by method signature: a method with the
// right name and another signature compiles and is never called (the call
// logs a warning at AddListener). A listener type of your own checks
// each one it means to implement at compile time:
//
//	var _ call.RemoteTrackListener = (*myListener)(nil)
type RemoteTrackListener interface {
	OnRemoteTrack(c *Call, t *RemoteTrack)
}

// DTMFListener is an optional interface of a Listener: it is told of each
// DTMF key the far end sends (RFC 4733 telephone-events), once per key
// press, in order. Check your listener type at compile time (see
// RemoteTrackListener):
//
//	var _ call.DTMFListener = (*myListener)(nil)
type DTMFListener interface {
	OnCallDTMF(c *Call, key byte)
}

// RemoteTrack describes a media track received from the remote party.
type RemoteTrack struct {
	ID       string // the track id the remote party chose
	StreamID string
	Kind     string // "audio" or "video"
	Codec    string // MIME type, such as "audio/PCMU"
}

// ListenerFuncs is a Listener (and RemoteTrackListener, DTMFListener and
// QualityWarningListener) made of optional
// functions: nil fields are skipped. It implements every optional
// interface, so its fields need no compile-time check: a field's type is
// its method's signature. Use a pointer, so that RemoveListener
// can find it:
//
//	c.AddListener(&call.ListenerFuncs{OnCallEndedFunc: func(c *call.Call) { ... }})
type ListenerFuncs struct {
	OnCallProgressingFunc         func(c *Call)
	OnCallRingingFunc             func(c *Call)
	OnCallAnsweredFunc            func(c *Call)
	OnCallEstablishedFunc         func(c *Call)
	OnCallEndedFunc               func(c *Call)
	OnRemoteTrackFunc             func(c *Call, t *RemoteTrack)
	OnCallDTMFFunc                func(c *Call, key byte)
	OnCallQualityWarningEventFunc func(c *Call, e QualityWarningEvent)
	OnVideoTrackPausedFunc        func(c *Call) // see VideoTrackListener
	OnVideoTrackResumedFunc       func(c *Call)
}

var (
	_ Listener               = (*ListenerFuncs)(nil)
	_ RemoteTrackListener    = (*ListenerFuncs)(nil)
	_ DTMFListener           = (*ListenerFuncs)(nil)
	_ QualityWarningListener = (*ListenerFuncs)(nil)
)

// OnCallProgressing calls f.OnCallProgressingFunc when set.
func (f *ListenerFuncs) OnCallProgressing(c *Call) { callIfSet(f.OnCallProgressingFunc, c) }

// OnCallRinging calls f.OnCallRingingFunc when set.
func (f *ListenerFuncs) OnCallRinging(c *Call) { callIfSet(f.OnCallRingingFunc, c) }

// OnCallAnswered calls f.OnCallAnsweredFunc when set.
func (f *ListenerFuncs) OnCallAnswered(c *Call) { callIfSet(f.OnCallAnsweredFunc, c) }

// OnCallEstablished calls f.OnCallEstablishedFunc when set.
func (f *ListenerFuncs) OnCallEstablished(c *Call) { callIfSet(f.OnCallEstablishedFunc, c) }

// OnCallEnded calls f.OnCallEndedFunc when set.
func (f *ListenerFuncs) OnCallEnded(c *Call) { callIfSet(f.OnCallEndedFunc, c) }

// OnRemoteTrack calls f.OnRemoteTrackFunc when set.
func (f *ListenerFuncs) OnRemoteTrack(c *Call, t *RemoteTrack) {
	if f.OnRemoteTrackFunc != nil {
		f.OnRemoteTrackFunc(c, t)
	}
}

// OnCallDTMF calls f.OnCallDTMFFunc when set.
func (f *ListenerFuncs) OnCallDTMF(c *Call, key byte) {
	if f.OnCallDTMFFunc != nil {
		f.OnCallDTMFFunc(c, key)
	}
}

// OnCallQualityWarningEvent calls f.OnCallQualityWarningEventFunc when set.
func (f *ListenerFuncs) OnCallQualityWarningEvent(c *Call, e QualityWarningEvent) {
	if f.OnCallQualityWarningEventFunc != nil {
		f.OnCallQualityWarningEventFunc(c, e)
	}
}

func callIfSet(f func(*Call), c *Call) {
	if f != nil {
		f(c)
	}
}

// ControllerListener is told of incoming calls. OnIncomingCall runs on the
// client's callback goroutine; the call is ringing: Answer or Hangup it, or
// let it ring until the inbound no-answer timeout.
type ControllerListener interface {
	OnIncomingCall(ctl *Controller, c *Call)
}

// ControllerListenerFuncs adapts a function to a ControllerListener. Use a
// pointer, so that RemoveListener can find it.
type ControllerListenerFuncs struct {
	OnIncomingCallFunc func(ctl *Controller, c *Call)
}

// OnIncomingCall calls f.OnIncomingCallFunc when set.
func (f *ControllerListenerFuncs) OnIncomingCall(ctl *Controller, c *Call) {
	if f.OnIncomingCallFunc != nil {
		f.OnIncomingCallFunc(ctl, c)
	}
}

// optionalListeners are the optional interfaces of a Listener, as
// dispatch.NearMisses takes them.
var optionalListeners = []any{(*RemoteTrackListener)(nil), (*DTMFListener)(nil), (*QualityWarningListener)(nil)}

// warnNearMisses logs, at Warn, each optional interface l almost
// implements: a method of its name with another signature is never called.
func warnNearMisses(log *slog.Logger, l Listener) {
	for _, m := range dispatch.NearMisses(l, optionalListeners...) {
		log.Warn("sinch: a call listener's method does not match its optional interface; fix its signature (add var _ call.XxxListener = (*yours)(nil) to check it at compile time)", "mismatch", m)
	}
}

package call

import (
	"reflect"
	"slices"
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
type RemoteTrackListener interface {
	OnRemoteTrack(c *Call, t *RemoteTrack)
}

// DTMFListener is an optional interface of a Listener: it is told of each
// DTMF key the far end sends (RFC 4733 telephone-events), once per key
// press, in order.
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
// functions: nil fields are skipped. Use a pointer, so that RemoveListener
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

// listeners is a set of listeners of type L, in the order they were added.
// It is not synchronised: its owner locks around it.
type listeners[L any] struct{ list []L }

// add appends l unless it is nil or already present.
func (s *listeners[L]) add(l L) {
	if isNil(l) || slices.ContainsFunc(s.list, func(x L) bool { return same(x, l) }) {
		return
	}
	s.list = append(s.list, l)
}

// remove deletes l if present.
func (s *listeners[L]) remove(l L) {
	s.list = slices.DeleteFunc(s.list, func(x L) bool { return same(x, l) })
}

// snapshot returns a copy safe to iterate without the owner's lock.
func (s *listeners[L]) snapshot() []L { return slices.Clone(s.list) }

// isNil reports whether v is nil or a nil pointer, which could not take a
// callback.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// same compares two listeners without panicking on dynamic types that are
// not comparable (such as a ListenerFuncs passed by value).
func same(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// Package call places, receives and runs Sinch In-app Calling calls: the
// [Controller] of a client (SinchClient.CallController) and its [Call]s.
//
// # Placing and receiving calls
//
// Place a call with [Controller.CallUser] (or CallUserVideo, CallPhoneNumber,
// CallSip, CallConference) and follow it with a [Listener]:
//
//	c, err := client.CallController().CallUser("bob", map[string]string{"topic": "lunch"})
//	if err != nil { ... } // a bad argument, or the client is not started
//	c.AddListener(&call.ListenerFuncs{
//		OnCallEstablishedFunc: func(c *call.Call) { ... }, // media flows
//		OnCallEndedFunc:       func(c *call.Call) { fmt.Println(c.Details().EndCause) },
//	})
//
// Receive calls with a [ControllerListener], and [Call.Answer] or decline
// them with [Call.Hangup]:
//
//	client.CallController().AddListener(&call.ControllerListenerFuncs{
//		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { c.Answer() },
//	})
//
// An outbound call goes Progressing, Ringing, Answered, Established, Ended
// (any prefix, then Ended); an inbound one starts ringing, then goes
// Answered, Established, Ended. [Call.Details] says when each step happened,
// why the call ended and what media it had. Audio comes from the call's
// source and goes to its sink ([Call.SetAudioSource], [Call.SetAudioSink];
// see package audio), else the client's AudioController's.
//
// # Listeners
//
// Every callback of a client runs on its one callback goroutine, in order,
// never under an SDK lock, so a callback may call any method. A call's
// first listener gets every event of the call, even those that happened
// before it was added; a listener added later gets what happens after it.
// Listeners added inside OnIncomingCall miss nothing.
//
// The adapters ([ListenerFuncs], [ControllerListenerFuncs]) have one field
// per method, named as the method plus Func; nil fields are skipped. The
// optional interfaces [RemoteTrackListener], [DTMFListener] and
// [QualityWarningListener] are found on a listener by type assertion, so a
// method with a near-miss signature is never called: let the compiler
// check yours,
//
//	var _ call.DTMFListener = (*myListener)(nil)
//
// # How calls end
//
// The end cause ([EndCause]) of each side:
//
//   - HungUp: either side hung up an answered call, or the client was
//     terminated.
//   - Canceled: the caller hung up before the answer (both sides).
//   - Denied: the callee declined with Hangup before answering (both sides).
//   - NoAnswer: nobody answered within the client's no-answer timeout (45 s
//     outbound, 60 s inbound by default); the caller then cancels.
//   - OtherDeviceAnswered: another device of the same user answered.
//   - Failure: the call could not be set up ([Details].Error says why, often
//     a *sinch.SinchError with the server's code, such as 40400 for a user
//     with no live device).
//   - Inactive: the media was lost and did not come back within the client's
//     MediaInactiveTimeout (30 s by default).
//
// A call ends once: OnCallEnded is its last callback, its Details are final,
// and the controller forgets it (GetCall returns nil).
//
// # When the network fails
//
// Media is peer to peer, so an established call keeps its media while the
// client reconnects its realtime channel; a hangup made meanwhile is
// delivered once the channel is back. When the media path itself breaks,
// the SDK restarts ICE and the call goes on if the media comes back within
// MediaInactiveTimeout, else it ends Inactive. A call placed while the
// client is reconnecting fails at once (Failure) rather than hanging.
//
// The design behind this (the per-call actor, the signalling, the fault
// table) is described for maintainers in the repository's docs directory
// (architecture.md, protocol.md, reliability.md).
package call

// Package call places, receives and runs Sinch In-app Calling calls: the
// [Controller] of a client (SinchClient.CallController) and its [Call]s.
//
// # Using calls
//
// Place a call with [Controller.CallUser] (or CallUserVideo, CallPhoneNumber,
// CallSip, CallConference) and follow it with a [Listener]; receive calls
// with a [ControllerListener] and [Call.Answer] or [Call.Hangup] them. An
// outbound call goes Progressing, Ringing, Answered, Established, Ended (any
// prefix, then Ended); an inbound one starts ringing, then goes Answered,
// Established, Ended. [Call.Details] says when each step happened and why
// the call ended. Every callback of a client runs on its one callback
// goroutine, in order, never under an SDK lock.
//
// # Design
//
// Each call is an actor: one goroutine owns its signalling and media state
// and handles events from an unbounded queue, one at a time. Public
// methods, the realtime channel and pion's callbacks only push events, so
// none of them blocks on a call (Answer and Hangup wait for their event to
// be handled, bounded by network timeouts). Listener callbacks are posted to
// the client's callback queue.
//
// Signalling is MXP (internal/mxp). Outbound: the call id is a random UUID;
// the actor builds a PeerConnection with a PCMU track (and a VP8 one for
// video), sets its offer and POSTs /calls without waiting for ICE
// gathering; local candidates wait for the session key in the answer, then
// go as PeerEvents to the call's signal channel (mxpSignalChannel in that
// answer), through which the server reaches every callee device. Each
// callee device decrypts the Invite from its broadcast channel with its
// instance key, sets the offer, answers it and sends Ack (its answer) to
// the caller's signal channel, the one the Invite names (fs): the caller
// rings. The callee sets that answer as its local description, which
// starts ICE gathering, only when its user answers. At most
// MaxIncomingCalls (builder, default 16) inbound calls ring at once; an
// Invite beyond them is declined with Deny before anything is built.
// The caller keeps every device's answer and candidates but sets
// none until a device sends Join (its user answered; Join carries the
// answer again, bt "sdp"): then it sets that answer and candidates, and
// publishes Joined naming the device on the call's signal channel, which
// ends the other devices with OtherDeviceAnswered. A Join that overtakes
// its device's Ack waits for the Ack. A call is Established once answered
// and its PeerConnection connected; then its media flows.
//
// Media runs on internal/rtc's pipelines, one goroutine each, stopped when
// the call ends: rtc.AudioSender packetises PCMU itself (20 ms frames from
// the call's source, else the client's AudioController's; silence frames
// while muted) and interleaves SendDTMF's RFC 4733 telephone-events on the
// same SSRC and clock; rtc.AudioReceiver plays into the call's sink, else
// the client's, and turns received telephone-events into OnCallDTMF;
// rtc.VideoSender and rtc.VideoReceiver move VP8 between the
// VideoController's source and sink (PauseVideo and ResumeVideo gate the
// sender on keyframes; the receiver asks for keyframes with PLI). Stats
// merge the receivers' RFC 3550 counters, loss and jitter (pion's GetStats
// is not used: it races the remote tracks' codec updates), the far end's
// RTCP receiver reports (RTT), the ICE agent's selected pair (ICE RTT) and
// the pipelines' own counters and audio levels; a goroutine samples them
// every 500 ms into quality warnings, each Trigger followed by its Recover.
//
// The wire follows Sinch's (real-wire.md section 2, pinned by the golden
// fixtures of internal/mxp). Every message names its sender: fu the user,
// fi "<instance>:<sub-instance>", fd the instance, fs the channel it
// receives on, fc empty; bv 10 is sent but not required of peers. This
// SDK's sub-instance id is always "0" (mxp.DefaultSubInstance): each
// client registers an instance of its own. nvps.to names the far-end
// device in its fi form once it is known: a callee addresses the caller's
// fi from the Invite, a caller the answering device's fi from its
// messages; PeerEvents before the answer (for every device), Leave, Cancel
// and Joined carry none. A receiver takes a message without to, or with
// its own fi or bare instance id, and drops messages for another device,
// messages from instances that are not in the call, and messages of
// unknown calls. Joined's body carries both client shapes (1.x fi and fu,
// 2.x userId, instanceId, channel, domain); a callee decodes either and
// ends OtherDeviceAnswered unless it names this device.
//
// Channel names are opaque strings chosen by the server: the engine never
// builds one from an id. What arrives on a channel other than the
// instance's signal channel (its broadcast channel) is an Invite; replies
// go to the channel each device's messages name (fs, updated from every
// message of that device); what goes to every callee device goes to the
// call's mxpSignalChannel. A call whose answer has no mxpSignalChannel,
// or an Invite without fs, is refused.
//
// Ending: Hangup sends Leave to the peer of an answered call (both end
// HungUp), Cancel to the call's signal channel before the answer on the
// caller (Canceled on all sides) and Deny to the caller before the answer
// on a callee (Denied on both; the caller then cancels the other devices). Unanswered calls end
// NoAnswer after the client's timeouts (the caller cancels; the callee ends
// silently); media that does not connect within the setup timeout after
// the answer, or fails, ends the call with Failure, as does an Error
// message.
//
// # Faults
//
// Media is peer to peer, so an established call keeps it while the
// client's realtime channel is down. A farewell (Leave, Cancel, Deny) that
// cannot be sent then is kept (at most 64) and sent once the channel is
// back, so the far end ends HungUp rather than Inactive. A call placed
// while the client reconnects fails at once (Failure, a Network
// *SinchError wrapping the "not connected" error), as does one whose
// candidates cannot be published before the answer: the callee's answer
// could not reach it. When an established call's peer connection goes
// disconnected or failed, the caller restarts ICE after a 2 s grace: an
// offer with fresh ICE credentials as a PeerEvent ({type, sdp}), answered
// by the callee with a PeerEvent; it tries again every 5 s, and at once
// when the realtime channel comes back. If the media is not connected
// again within the client's MediaInactiveTimeout (default 30 s), the call
// ends Inactive on each side, each by its own timer and without a
// farewell, with a Details.Error saying the media was lost.
//
// A call keeps the instance it started on as its identity. When the
// server loses the client's instance and the client registers a new one,
// the peer's messages, addressed to the old instance's channels, no longer
// arrive: calls being set up fail at once (Failure); established calls
// keep their media, and their own messages still reach a peer that kept
// its instance, but a hangup by the peer reaches them only as lost media
// (Inactive after MediaInactiveTimeout).
//
// A call ends once: its details are final, its PeerConnection and
// media are closed, the controller forgets it, its report (reportId, the
// instance's id, deviceId and version, the user, the call's ids and
// outcome) is POSTed in the background and OnCallEnded is its last
// callback. Terminating the client
// hangs up every live call (HungUp) and waits for all their goroutines.
package call

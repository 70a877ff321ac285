// Package ocratest is a complete fake Ocra server, the API that Sinch's
// In-app Calling SDKs talk to, for tests: the SDK's own and those of apps
// built on it. It serves on 127.0.0.1, the way net/http/httptest serves HTTP
// handlers:
//
//	s := ocratest.NewServer()
//	defer s.Close()
//	// configure the client with s.URL() as environment host
//	// and s.Token("alice") as alice's registration token.
//
// The server implements the REST API (instances, their configuration, TTL
// extension, ICE servers, calls and call reports), the realtime pub/sub
// channel and the routing of app-to-app calls: POST /calls sends each live
// instance of the callee an MXP Invite on its broadcast channel, and what the
// caller publishes to the call's channel (mxpSignalChannel) reaches every
// callee instance.
//
// # Realtime channel
//
// By default the realtime channel is PubNub, as Sinch's: a fake PubNub
// origin on a listener of its own ([Server.RealtimeAddr]), which the
// configuration names in rtcConfig.mxpPubSubConfig with three random keys
// (plain HTTP, hostname "http://127.0.0.1", unless [WithTLS]). It serves
// subscribe v2 long polls, publish (GET and POST), time, and presence
// heartbeat and leave, with a per-channel backlog so that a client that
// polls again from its cursor loses nothing. [WithWebSocket] serves the
// WebSocket of docs/protocol.md section 4 on the REST host instead, and says so
// in mxpPubSubConfig.transport. Channel names are opaque random strings;
// the server keeps maps from them to instances and calls.
//
// # Far ends
//
// Phone numbers ([WithPhoneNumber]), SIP identities ([WithSIPIdentity]) and
// conference rooms (any id) are answered by media endpoints inside the
// server: real WebRTC peers on 127.0.0.1 that speak MXP as an app's device
// does, with the session key of the call. A phone or SIP far end behaves as
// its [Behaviour] says (play a tone, echo, busy, no answer, fail, answer
// after a delay) and records the DTMF it receives ([Server.DTMF]); a SIP
// far end keeps the headers of its last call ([Server.SIPHeaders]). A
// conference room sends each participant the mix of the others' audio
// (decoded, summed with clipping, encoded), never its own voice;
// participants join and leave at any time ([Server.ConferenceParticipants]).
// [Server.CallFromPhone] makes a phone call an app user, as calls from the
// phone network reach apps. Numbers and identities that are not configured
// are not found (40400). Endpoints gather their ICE candidates before they
// send their offer or answer, and take the app's candidates from PeerEvents.
//
// # TURN
//
// With [WithTURN], the server runs a TURN server on 127.0.0.1 and hands it
// out from GET /instances/{id}/ice-servers with credentials of each
// instance, which the TURN server checks; [WithICETransportPolicy] puts an
// iceTransportPolicy in the configuration. A client built with
// ICETransportPolicy(relay) then connects its calls through the relay
// ([Server.TURNAllocations] counts the allocations).
//
// # Voice callbacks
//
// With [WithCallbackURL], the server posts Sinch's voice callbacks (ICE,
// ACE, DiCE; [CallbackEvent]) to the application's backend, signed with the
// application secret, and routes calls as the ICE answer's SVAML says
// ([SVAML]): connectMxp, connectPstn, connectConf, connectSip or hangup.
//
// Requests are checked as Ocra checks them: registration tokens (signature,
// expiry, application, single-use nonce), instance signatures and clock skew.
// Refusals carry Ocra's error body {code, message, reference} with a message
// that says what to check. Tests can inspect the server ([Server.Instances],
// [Server.Reports]), drop realtime connections ([Server.Disconnect]),
// inject faults ([Server.InjectFault]; Path "/pubsub" faults the realtime
// channel whichever the transport), slow everything down ([WithLatency])
// and restart ([Server.Restart]).
package ocratest

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
// caller publishes to the call's virtual channel reaches every callee
// instance. Phone, SIP and conference destinations are refused with a
// validation error.
//
// Requests are checked as Ocra checks them: registration tokens (signature,
// expiry, application, single-use nonce), instance signatures and clock skew.
// Refusals carry Ocra's error body {code, message, reference} with a message
// that says what to check. Tests can inspect the server ([Server.Instances],
// [Server.Reports]), drop realtime connections ([Server.Disconnect]) and
// inject faults ([Server.InjectFault]).
package ocratest

// Package legacy is a test-only facade of Sinch's 1.x client API, the one
// that Sinch's public JavaScript SDK 1.4.12 (npm sinch-rtc) speaks, so that
// Sinch's own code can be a call peer in the browser interop tests (issue
// 16). docs/sinch-rtc-1x.md describes that wire; this package is built
// clean-room from it.
//
// A Facade serves, on one TLS listener:
//   - the 1.x REST API: the server clock, instances created (or renewed) with
//     a user ticket signed with the application secret, the instance-signed
//     configuration that names the PubNub origin, keys and channels, calls
//     placed on calls/:domain, and call reports;
//   - the PubNub v1 endpoints that pubnub 3.16.5 uses (time, subscribe,
//     publish, leave), by passing them to a PubNub origin of
//     ocratest/internal/pubnub: the fake Sinch's own (Config.PubNub), so that
//     1.x clients and others share one space of channels.
//
// What is behind the API is a Backend: it creates the instances, routes the
// calls. ocratest implements it so that
// 1.x clients and SDK clients are instances of one fake Sinch;
// MemoryBackend (the default) is a world of 1.x clients only. A backend
// invites a 1.x device by giving the frames of an Invite to Facade.Deliver.
//
// All host names of the SDK (api.sinch.com, callingapi.sinch.com and the
// PubNub origin) are meant to be mapped to the facade's listener (Chromium:
// --host-resolver-rules="MAP * 127.0.0.1:<port>"); the facade dispatches on
// the path alone, and names as PubNub origin the host the client used to
// reach it. Every reply allows any origin (CORS), as the SDK calls the API
// cross-origin from the page.
//
// PubNub here has no access control: any client may subscribe to or publish
// on any channel, as in a PubNub keyset without Access Manager. This is a
// test fake; it never leaves 127.0.0.1.
package legacy

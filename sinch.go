// Package sinch is the Go client SDK for Sinch In-app Calling: it registers a
// user with Sinch's Ocra API and makes and receives voice and video calls over
// WebRTC (pion), with the names of Sinch's JavaScript SDK.
//
// A client is built, given a listener that answers OnCredentialsRequired with
// a registration token (see package auth), and started:
//
//	client, err := sinch.GetSinchClientBuilder().
//		ApplicationKey(appKey).
//		EnvironmentHost("ocra.api.sinch.com"). // the default; an ocratest server's URL in tests
//		UserID("alice").
//		Build()
//	if err != nil { ... }
//	client.AddListener(&sinch.ClientListenerFuncs{
//		OnCredentialsRequiredFunc: func(c *sinch.SinchClient, reg sinch.ClientRegistration) {
//			reg.Register(tokenFromYourBackend("alice"))
//		},
//	})
//	client.Start()
//	if err := client.WaitStarted(ctx); err != nil { ... }
//	defer client.Terminate()
//	c, err := client.CallController().CallUser("bob", nil)
//
// Listeners are interfaces; each has an adapter made of optional functions
// whose fields are the method names plus Func (ClientListenerFuncs has
// OnClientStartedFunc for OnClientStarted, call.ListenerFuncs has
// OnCallEndedFunc for OnCallEnded), so that a field can be guessed from the
// method.
//
// Every callback of a client, its controllers and its calls runs on one
// goroutine per client, in the order the events happened, and never while the
// SDK holds a lock. Package ocratest is a complete fake Ocra server to test
// against, the way net/http/httptest serves HTTP code.
package sinch

// Version is this SDK's version.
const Version = "0.1.0"

package sinch

// SinchClientListener receives a client's lifecycle events. All callbacks of
// a client run on its one callback goroutine, in event order, never while the
// SDK holds a lock: a callback may call any SDK method, Terminate included.
type SinchClientListener interface {
	// OnClientStarted: the client is registered and can make and receive calls.
	OnClientStarted(client *SinchClient)
	// OnClientFailed: starting failed, or a started client lost its
	// registration for good. err is a *SinchError.
	OnClientFailed(client *SinchClient, err error)
	// OnCredentialsRequired asks for a registration token (see package auth):
	// on Start, and again before the instance's lifetime runs out. Answer
	// with reg.Register or reg.RegisterFailed, now or later, from any goroutine.
	OnCredentialsRequired(client *SinchClient, reg ClientRegistration)
}

// ReconnectListener is an optional interface of a SinchClientListener: a
// listener that implements it is also told when a started client loses its
// realtime channel and when it has it back.
//
// The client notices a lost channel when the connection drops, when a ping
// goes unanswered within RequestTimeout (see PingInterval) and when the
// server says its instance is gone (40400). It then reconnects with backoff
// (see MaxReconnects and ReconnectDelay); when its instance is gone, it
// registers a new one, which asks for credentials again
// (OnCredentialsRequired). While it reconnects the client stays started, but
// call signalling fails: calls placed or answered meanwhile may end with
// Failure. Reconnecting ends with OnClientReconnected, or with
// OnClientFailed when the attempts run out or the server refuses the client
// for good, or silently on Terminate.
//
// It is found by method signature: a method with the right name and another
// signature compiles and is never called (the client logs a warning at
// AddListener). A listener type of your own checks it at compile time:
//
//	var _ sinch.ReconnectListener = (*myListener)(nil)
//
// ClientListenerFuncs implements it already.
type ReconnectListener interface {
	// OnClientReconnecting: the realtime channel was lost because of err;
	// the client is reconnecting.
	OnClientReconnecting(client *SinchClient, err error)
	// OnClientReconnected: the realtime channel is back, subscribed to the
	// instance's channels; the instance may be a new one.
	OnClientReconnected(client *SinchClient)
}

// ClientRegistration takes the answer to one OnCredentialsRequired. Only the
// first answer counts; later ones are ignored.
type ClientRegistration interface {
	// Register hands over a signed registration token.
	Register(jwt string)
	// RegisterFailed says no token can be had: the client fails.
	RegisterFailed()
}

// ClientListenerFuncs is a SinchClientListener made of optional functions.
// Pass a pointer: &sinch.ClientListenerFuncs{OnClientStartedFunc: ...}.
type ClientListenerFuncs struct {
	OnClientStartedFunc       func(client *SinchClient)
	OnClientFailedFunc        func(client *SinchClient, err error)
	OnCredentialsRequiredFunc func(client *SinchClient, reg ClientRegistration)
	// OnClientReconnectingFunc and OnClientReconnectedFunc make it a
	// ReconnectListener.
	OnClientReconnectingFunc func(client *SinchClient, err error)
	OnClientReconnectedFunc  func(client *SinchClient)
}

var (
	_ SinchClientListener = (*ClientListenerFuncs)(nil)
	_ ReconnectListener   = (*ClientListenerFuncs)(nil)
)

// OnClientStarted calls f.OnClientStartedFunc if set.
func (f *ClientListenerFuncs) OnClientStarted(c *SinchClient) {
	if f.OnClientStartedFunc != nil {
		f.OnClientStartedFunc(c)
	}
}

// OnClientFailed calls f.OnClientFailedFunc if set.
func (f *ClientListenerFuncs) OnClientFailed(c *SinchClient, err error) {
	if f.OnClientFailedFunc != nil {
		f.OnClientFailedFunc(c, err)
	}
}

// OnCredentialsRequired calls f.OnCredentialsRequiredFunc if set.
func (f *ClientListenerFuncs) OnCredentialsRequired(c *SinchClient, reg ClientRegistration) {
	if f.OnCredentialsRequiredFunc != nil {
		f.OnCredentialsRequiredFunc(c, reg)
	}
}

// OnClientReconnecting calls f.OnClientReconnectingFunc if set.
func (f *ClientListenerFuncs) OnClientReconnecting(c *SinchClient, err error) {
	if f.OnClientReconnectingFunc != nil {
		f.OnClientReconnectingFunc(c, err)
	}
}

// OnClientReconnected calls f.OnClientReconnectedFunc if set.
func (f *ClientListenerFuncs) OnClientReconnected(c *SinchClient) {
	if f.OnClientReconnectedFunc != nil {
		f.OnClientReconnectedFunc(c)
	}
}

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

// ClientRegistration takes the answer to one OnCredentialsRequired. Only the
// first answer counts; later ones are ignored.
type ClientRegistration interface {
	// Register hands over a signed registration token.
	Register(jwt string)
	// RegisterFailed says no token can be had: the client fails.
	RegisterFailed()
}

// ClientListenerFuncs is a SinchClientListener made of optional functions.
// Pass a pointer: &sinch.ClientListenerFuncs{OnStarted: ...}.
type ClientListenerFuncs struct {
	OnStarted     func(client *SinchClient)
	OnFailed      func(client *SinchClient, err error)
	OnCredentials func(client *SinchClient, reg ClientRegistration)
}

var _ SinchClientListener = (*ClientListenerFuncs)(nil)

// OnClientStarted calls f.OnStarted if set.
func (f *ClientListenerFuncs) OnClientStarted(c *SinchClient) {
	if f.OnStarted != nil {
		f.OnStarted(c)
	}
}

// OnClientFailed calls f.OnFailed if set.
func (f *ClientListenerFuncs) OnClientFailed(c *SinchClient, err error) {
	if f.OnFailed != nil {
		f.OnFailed(c, err)
	}
}

// OnCredentialsRequired calls f.OnCredentials if set.
func (f *ClientListenerFuncs) OnCredentialsRequired(c *SinchClient, reg ClientRegistration) {
	if f.OnCredentials != nil {
		f.OnCredentials(c, reg)
	}
}

// Package sinchtest is the one place the SDK's own tests get a client from:
// build a loopback client against an ocratest server, answer its credentials
// request with the server's tokens, start it and wait until it is started.
// Tests of package sinch, call and ocratest use it (as nats.go keeps its
// test/helper_test.go); it is internal, so it is no API.
//
// Every client it makes is terminated when its test ends, every wait is
// bounded, and a failure stops the test with what was waited for.
package sinchtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// WaitTimeout bounds the waits of this package: generous enough for a
// loaded two-core machine running the race detector, short enough that a
// hang fails the test instead of the suite's deadline.
const WaitTimeout = 20 * time.Second

// Option changes a test client's builder; options run after the defaults,
// in order, so they can override any of them (EnvironmentHost to go
// through a proxy, CallerIdentifier, timeouts).
type Option = func(*sinch.SinchClientBuilder)

// Host makes the client talk to host instead of the server's own URL (a
// proxy or a fault injector in front of it).
func Host(host string) Option {
	return func(b *sinch.SinchClientBuilder) { b.EnvironmentHost(host) }
}

// CallerIdentifier sets the client's caller identifier (needed to call
// phone numbers).
func CallerIdentifier(cli string) Option {
	return func(b *sinch.SinchClientBuilder) { b.CallerIdentifier(cli) }
}

// Builder returns the builder of a loopback client of user against srv,
// with opts applied.
func Builder(srv *ocratest.Server, user string, opts ...Option) *sinch.SinchClientBuilder {
	b := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(user).
		LoopbackOnly()
	for _, o := range opts {
		o(b)
	}
	return b
}

// Build builds user's client against srv, not started. Its credentials
// listener registers with srv.Token(user); it is terminated when the test
// ends.
func Build(t testing.TB, srv *ocratest.Server, user string, opts ...Option) *sinch.SinchClient {
	t.Helper()
	c, err := Builder(srv, user, opts...).Build()
	require.NoError(t, err, "building %s's client", user)
	t.Cleanup(c.Terminate)
	registerWith(c, srv, user)
	return c
}

// registerWith answers c's credentials requests with srv's token for user.
func registerWith(c *sinch.SinchClient, srv *ocratest.Server, user string) {
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			reg.Register(srv.Token(user))
		},
	})
}

// Start starts c and waits until it is started (at most WaitTimeout).
func Start(t testing.TB, c *sinch.SinchClient) {
	t.Helper()
	require.NoError(t, c.Start())
	require.NoError(t, c.WaitStarted(Context(t, WaitTimeout)), "waiting for %s's client to start", c.UserID())
}

// Client builds and starts user's client against srv: Build, then Start.
func Client(t testing.TB, srv *ocratest.Server, user string, opts ...Option) *sinch.SinchClient {
	t.Helper()
	c := Build(t, srv, user, opts...)
	Start(t, c)
	return c
}

// Started builds and starts user's client against srv, outside a test
// (for runnable examples, which have no testing.T): the same client as
// Client, waited for until ctx ends. The caller terminates it.
func Started(ctx context.Context, srv *ocratest.Server, user string, opts ...Option) (*sinch.SinchClient, error) {
	c, err := Builder(srv, user, opts...).Build()
	if err != nil {
		return nil, err
	}
	registerWith(c, srv, user)
	if err = c.Start(); err == nil {
		err = c.WaitStarted(ctx)
	}
	if err != nil {
		c.Terminate()
		return nil, fmt.Errorf("starting %s's client: %w", user, err)
	}
	return c, nil
}

// Context returns a context that ends after d or when the test ends.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Receive waits for a value on ch, failing the test after d.
func Receive[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		require.FailNow(t, fmt.Sprintf("timed out after %v waiting for %s", d, what))
		var zero T
		return zero
	}
}

// Closed waits until ch is closed (or receives), failing the test after d.
func Closed(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		require.FailNow(t, fmt.Sprintf("timed out after %v waiting for %s", d, what))
	}
}

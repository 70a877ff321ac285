package call_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// exampleClient starts a loopback client of user on srv, as
// ExampleGetSinchClientBuilder in package sinch shows step by step; a real
// app gets its token from its backend.
func exampleClient(ctx context.Context, srv *ocratest.Server, user string) (*sinch.SinchClient, error) {
	return sinchtest.Started(ctx, srv, user)
}

// A call waited for without a listener: WaitEstablished, then WaitEnded
// (or <-Done), after which Details are final.
func ExampleCall_WaitEstablished() {
	srv := ocratest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := exampleClient(ctx, srv, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	bob, err := exampleClient(ctx, srv, "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bob.Terminate()
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { _ = c.Answer() },
	})

	c, err := alice.CallController().CallUser("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Hangup() // a no-op once the call has ended
	if err := c.WaitEstablished(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("established with", c.RemoteUserID())

	_ = c.Hangup()
	cause, err := c.WaitEnded(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ended:", cause, c.Details().EndCause)
	// Output:
	// established with bob
	// ended: HungUp HungUp
}

// On an ended call, Hangup is a no-op and every method that would change
// the call fails with an error wrapping call.ErrCallEnded.
func ExampleErrCallEnded() {
	srv := ocratest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := exampleClient(ctx, srv, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()

	c, err := alice.CallController().CallUser("nobody", nil) // not registered: the call fails
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.WaitEstablished(ctx); errors.Is(err, call.ErrCallEnded) {
		fmt.Println("ended before it was established:", c.Details().EndCause)
	}
	fmt.Println("Hangup:", c.Hangup())
	err = c.Mute()
	fmt.Println("Mute ended:", errors.Is(err, call.ErrCallEnded), "invalid:", errors.Is(err, sinch.ErrInvalidOperation))
	// Output:
	// ended before it was established: Failure
	// Hangup: <nil>
	// Mute ended: true invalid: true
}

package sinch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A client is built, answers OnCredentialsRequired with a registration
// token, is started, and is ready once WaitStarted returns. Here it runs
// against ocratest, the fake Sinch server, on 127.0.0.1: EnvironmentHost is
// the server's URL and the server signs the token. A real app leaves
// EnvironmentHost at its default (or sets its region's host) and gets the
// token from its backend (see examples/jwtbackend).
func ExampleGetSinchClientBuilder() {
	srv := ocratest.NewServer()
	defer srv.Close()

	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID("alice").
		LoopbackOnly(). // media on 127.0.0.1 only, as in tests
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Terminate()
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			reg.Register(srv.Token("alice"))
		},
	})
	if err := client.Start(); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.WaitStarted(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(client.UserID(), "started:", client.IsStarted())
	// Output: alice started: true
}

// Build checks every setting before anything is sent, and its error names
// the setting to fix.
func ExampleSinchClientBuilder_Build() {
	_, err := sinch.GetSinchClientBuilder().
		UserID("alice"). // no ApplicationKey
		Build()
	fmt.Println("invalid argument:", errors.Is(err, sinch.ErrInvalidArgument))
	fmt.Println("names the setting:", strings.Contains(err.Error(), "ApplicationKey"))
	// Output:
	// invalid argument: true
	// names the setting: true
}

// Start returns at once; the client tells its listeners when it is started
// or failed, and WaitStarted waits for either. A token the app cannot get
// is reported with RegisterFailed, which fails the client at once instead
// of after CredentialsTimeout.
func ExampleSinchClient_WaitStarted() {
	srv := ocratest.NewServer()
	defer srv.Close()
	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID("alice").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Terminate()
	failed := make(chan struct{})
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			reg.RegisterFailed() // e.g. the backend refused to sign a token
		},
		OnClientFailedFunc: func(*sinch.SinchClient, error) { close(failed) },
	})
	if err := client.Start(); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = client.WaitStarted(ctx)
	<-failed
	var serr *sinch.SinchError
	fmt.Println("started:", err == nil, "| a SinchError:", errors.As(err, &serr), "| started after all:", client.IsStarted())
	// Output: started: false | a SinchError: true | started after all: false
}

// Alice calls Bob, Bob's app answers every call, and Alice hangs up. A call
// is followed with a listener; its first listener gets every event of the
// call, even those that happened before it was added.
func ExampleSinchClient_CallController() {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice, bob, err := startedPair(srv, "alice", "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	defer bob.Terminate()

	// Receiving: Bob answers every call.
	incoming := make(chan *call.Call, 1)
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			if err := c.Answer(); err != nil {
				fmt.Println(err)
			}
			incoming <- c
		},
	})

	// Calling: Alice calls Bob with a header his app can read.
	out, err := alice.CallController().CallUser("bob", map[string]string{"topic": "lunch"})
	if err != nil {
		fmt.Println(err)
		return
	}
	established, ended := make(chan struct{}), make(chan struct{})
	out.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) { close(established) },
		OnCallEndedFunc:       func(*call.Call) { close(ended) },
	})

	in := <-incoming
	fmt.Println("bob answers a call from", in.RemoteUserID(), "about", in.Headers()["topic"])
	<-established
	fmt.Println("alice's call is", out.State())
	if err := out.Hangup(); err != nil {
		fmt.Println(err)
	}
	<-ended
	fmt.Println("alice's call ended:", out.Details().EndCause)
	// Output:
	// bob answers a call from alice about lunch
	// alice's call is Established
	// alice's call ended: HungUp
}

// startedPair starts two users' clients against srv, with the steps of
// ExampleGetSinchClientBuilder.
func startedPair(srv *ocratest.Server, a, b string) (*sinch.SinchClient, *sinch.SinchClient, error) {
	first, err := startedClient(srv, a)
	if err != nil {
		return nil, nil, err
	}
	second, err := startedClient(srv, b)
	if err != nil {
		first.Terminate()
		return nil, nil, err
	}
	return first, second, nil
}

// startedClient starts user's loopback client against srv and waits until
// it is started, as ExampleGetSinchClientBuilder shows step by step; a real app gets its token from its backend.
func startedClient(srv *ocratest.Server, user string) (*sinch.SinchClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return sinchtest.Started(ctx, srv, user)
}

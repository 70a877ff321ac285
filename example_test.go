package sinch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A client registers against a fake Ocra server, as a test of an app would.
// A real app gets its token from its backend (see examples/jwtbackend).
func ExampleGetSinchClientBuilder() {
	srv := ocratest.NewServer()
	defer srv.Close()

	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID("alice").
		LoopbackOnly().
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

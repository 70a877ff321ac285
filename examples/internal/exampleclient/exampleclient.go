// Package exampleclient starts the clients of the examples that sign their
// own registration tokens (echobot, playfile, softphone): build, answer
// OnCredentialsRequired with a token signed from the application secret,
// start, and wait until the client is started.
//
// These are the steps every app takes; examples/quickstart shows them
// written out. An app keeps its secret on its backend and fetches the token
// from there instead of signing it (see examples/jwtbackend): the examples
// sign locally only so that each runs as one command.
package exampleclient

import (
	"context"
	"fmt"
	"os"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
)

// Config says which client to start and where.
type Config struct {
	Host     string // environment URL, e.g. https://ocra.api.sinch.com or an ocratest server's URL
	Key      string // application key
	Secret   string // application secret, used to sign the registration token
	User     string // user id
	Loopback bool   // gather ICE candidates on 127.0.0.1 only (calls within this machine, e.g. against ocratest)
}

// Start builds, starts and registers the client of cfg.User and waits until
// it is started or ctx ends. On error nothing is left running.
func Start(ctx context.Context, cfg Config) (*sinch.SinchClient, error) {
	b := sinch.GetSinchClientBuilder().
		ApplicationKey(cfg.Key).
		EnvironmentHost(cfg.Host).
		UserID(cfg.User)
	if cfg.Loopback {
		b.LoopbackOnly()
	}
	client, err := b.Build()
	if err != nil {
		return nil, err
	}
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			token, err := auth.NewRegistrationToken(cfg.Key, cfg.Secret, cfg.User)
			if err != nil {
				fmt.Fprintln(os.Stderr, "signing the registration token:", err)
				reg.RegisterFailed() // the client fails now instead of waiting for CredentialsTimeout
				return
			}
			reg.Register(token)
		},
	})
	if err := client.Start(); err != nil {
		client.Terminate()
		return nil, err
	}
	if err := client.WaitStarted(ctx); err != nil {
		client.Terminate()
		return nil, fmt.Errorf("%s: %w", cfg.User, err)
	}
	return client, nil
}

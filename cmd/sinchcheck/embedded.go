package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// embeddedCLI is the caller id of phone calls on the embedded server when
// -cli is not set.
const embeddedCLI = "+46700000000"

// embedded is the fake Ocra server of -embedded and, with -call <user>,
// that user's client, which answers every call.
type embedded struct {
	srv    *ocratest.Server
	secret string
	callee *sinch.SinchClient
}

// startEmbedded starts the fake server and points cfg at it. It accepts
// -key and the secret from the environment when they are set (so that the
// run reads them as a real one does), random ones otherwise. A phone
// number to call answers with a tone; a user to call is started here and
// answers.
func startEmbedded(ctx context.Context, cfg *config, secret string, log *slog.Logger, transport http.RoundTripper, out *printer) (*embedded, error) {
	if cfg.key == "" {
		cfg.key = newUUID()
	}
	if secret == "" {
		b := make([]byte, 32)
		rand.Read(b) // never fails
		secret = base64.StdEncoding.EncodeToString(b)
	}
	opts := []ocratest.Option{ocratest.WithApplication(cfg.key, secret), ocratest.WithLogger(log)}
	if isPhone(cfg.callee) {
		opts = append(opts, ocratest.WithPhoneNumber(cfg.callee, ocratest.Behaviour{Answer: ocratest.PlayTone}))
		if cfg.cli == "" {
			cfg.cli = embeddedCLI
		}
	}
	srv, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	e := &embedded{srv: srv, secret: secret}
	cfg.host = srv.URL()
	out.raw("embedded: fake Ocra server at %s", srv.URL())
	if cfg.callee == "" || isPhone(cfg.callee) {
		return e, nil
	}
	if cfg.callee == cfg.user {
		e.close()
		return nil, fmt.Errorf("-call %s is -user itself: call another user", cfg.callee)
	}
	if e.callee, err = startCallee(ctx, cfg, srv, log, transport, out); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// newServer is ocratest.NewServer, which panics on options it refuses (a
// secret that is not base64, a number that is not E.164), with an error.
func newServer(opts []ocratest.Option) (srv *ocratest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return ocratest.NewServer(opts...), nil
}

// startCallee starts the client of the user to call, which answers every
// incoming call.
func startCallee(ctx context.Context, cfg *config, srv *ocratest.Server, log *slog.Logger, transport http.RoundTripper, out *printer) (*sinch.SinchClient, error) {
	user := cfg.callee
	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(user).
		Logger(log.With("embedded.callee", user)).
		HTTPClient(&http.Client{Transport: transport}).
		LoopbackOnly().
		Build()
	if err != nil {
		return nil, err
	}
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(user)) },
	})
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			out.line("embedded %s: incoming call from %q: answering", user, c.RemoteUserID())
			if err := c.Answer(); err != nil {
				out.line("embedded %s: answer failed: %v", user, err)
			}
		},
	})
	if err := client.Start(); err != nil {
		client.Terminate()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := client.WaitStarted(ctx); err != nil {
		client.Terminate()
		return nil, fmt.Errorf("the embedded callee %s did not start: %w", user, err)
	}
	out.raw("embedded: %s is registered and answers calls", user)
	return client, nil
}

// newUUID returns a random UUID version 4, the form of application keys.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// close stops the callee's client and the server.
func (e *embedded) close() {
	if e.callee != nil {
		e.callee.Terminate()
	}
	e.srv.Close()
}

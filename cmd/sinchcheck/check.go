package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Steps of a run, as the report names them.
const (
	stepToken     = "token"
	stepRegister  = "register"
	stepCall      = "call"
	stepTerminate = "terminate"
)

// check is one run of the steps against one host.
type check struct {
	cfg        config
	secret     string
	secretFrom string // where the secret came from, for the report
	out        *printer
	log        *slog.Logger
	transport  http.RoundTripper
	rec        *recorder
	started    chan struct{} // OnClientStarted was reported
}

// run runs the steps and reports each; the first failure ends it.
func (c *check) run(ctx context.Context) error {
	where := c.cfg.host
	if c.cfg.embedded {
		where += " (the embedded fake server)"
	}
	c.out.raw("sinchcheck: user %q at %s", c.cfg.user, where)

	c.out.setStep(stepToken)
	token, err := c.token()
	if err != nil {
		return c.fail(err, nil)
	}
	c.out.line("signed a registration token for user %q with the secret %s (HS256, valid 10m)", c.cfg.user, c.secretFrom)

	c.out.setStep(stepRegister)
	client, err := c.build(token)
	if err != nil {
		return c.fail(err, nil)
	}
	defer client.Terminate()
	if err := c.register(ctx, client); err != nil {
		return c.fail(err, c.lastFailure())
	}

	if c.cfg.callee != "" {
		c.out.setStep(stepCall)
		c.rec.reset()
		if err := c.call(ctx, client); err != nil {
			return c.fail(err, c.lastFailure())
		}
	}

	c.out.setStep(stepTerminate) // hangs up, sends call reports, unregisters
	client.Terminate()
	c.out.raw("OK: every step passed")
	return nil
}

// token signs the first registration token.
func (c *check) token() (string, error) {
	token, err := auth.NewRegistrationToken(c.cfg.key, c.secret, c.cfg.user)
	if err != nil {
		// auth's errors never hold the secret.
		return "", fmt.Errorf("%w (the secret comes from %s)", err, c.cfg.secretName())
	}
	return token, nil
}

// build builds the client, with the recording transport and a listener that
// prints the client's events and answers every OnCredentialsRequired.
func (c *check) build(first string) (*sinch.SinchClient, error) {
	c.started = make(chan struct{}, 1)
	c.rec = &recorder{next: c.transport, ocraHost: hostOf(c.cfg.host), table: ocra.DefaultTable(), out: c.out}
	b := sinch.GetSinchClientBuilder().
		ApplicationKey(c.cfg.key).
		EnvironmentHost(c.cfg.host).
		UserID(c.cfg.user).
		Logger(c.log).
		HTTPClient(&http.Client{Transport: c.rec}).
		RequestTimeout(min(c.cfg.timeout, sinch.DefaultRequestTimeout))
	if c.cfg.cli != "" {
		b.CallerIdentifier(c.cfg.cli)
	}
	if c.cfg.embedded {
		b.LoopbackOnly()
	}
	client, err := b.Build()
	if err != nil {
		return nil, err
	}
	tokens := make(chan string, 1)
	tokens <- first
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			select {
			case t := <-tokens:
				reg.Register(t)
				return
			default:
			}
			t, err := c.token() // a later one: the instance's lifetime runs out
			if err != nil {
				c.out.line("event OnCredentialsRequired: cannot sign a token: %v", err)
				reg.RegisterFailed()
				return
			}
			c.out.line("event OnCredentialsRequired: signed a new token")
			reg.Register(t)
		},
		OnClientStartedFunc: func(*sinch.SinchClient) {
			c.out.line("event OnClientStarted: registered, realtime channel subscribed")
			select {
			case c.started <- struct{}{}:
			default:
			}
		},
		OnClientFailedFunc: func(_ *sinch.SinchClient, err error) { c.out.line("event OnClientFailed") },
		OnClientReconnectingFunc: func(_ *sinch.SinchClient, err error) {
			c.out.line("event OnClientReconnectingFunc: the realtime channel was lost")
		},
		OnClientReconnectedFunc: func(*sinch.SinchClient) { c.out.line("event OnReconnected") },
	})
	return client, nil
}

// hostOf is the host[:port] that requests to the environment host go to.
func hostOf(host string) string {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil {
		return ""
	}
	return u.Host
}

// register starts the client and waits until it has started.
func (c *check) register(ctx context.Context, client *sinch.SinchClient) error {
	c.out.line("starting the client")
	if err := client.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	err := client.WaitStarted(ctx)
	if err == nil {
		// The report's lines follow the events: wait for the callback too.
		select {
		case <-c.started:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the client did not start within -timeout %v: %w", c.cfg.timeout, err)
	}
	return err
}

// callEvents are what the call step waits for.
type callEvents struct {
	established chan struct{}
	ended       chan struct{}
}

// call places the call, waits until it is established, holds it and hangs
// up, then waits for its end.
func (c *check) call(ctx context.Context, client *sinch.SinchClient) error {
	ctrl := client.CallController()
	var placed *call.Call
	var err error
	if isPhone(c.cfg.callee) {
		c.out.line("CallPhoneNumber(%q)", c.cfg.callee)
		placed, err = ctrl.CallPhoneNumber(c.cfg.callee, nil)
	} else {
		c.out.line("CallUser(%q)", c.cfg.callee)
		placed, err = ctrl.CallUser(c.cfg.callee, nil)
	}
	if err != nil {
		return err
	}
	ev := callEvents{established: make(chan struct{}), ended: make(chan struct{})}
	placed.AddListener(&call.ListenerFuncs{
		OnCallProgressingFunc: func(*call.Call) { c.out.line("event Progressing") },
		OnCallRingingFunc:     func(*call.Call) { c.out.line("event Ringing") },
		OnCallAnsweredFunc:    func(*call.Call) { c.out.line("event Answered") },
		OnCallEstablishedFunc: func(*call.Call) { c.out.line("event Established"); close(ev.established) },
		OnCallEndedFunc: func(cl *call.Call) {
			c.out.line("event Ended: %v", cl.Details().EndCause)
			close(ev.ended)
		},
	})

	timer := time.NewTimer(c.cfg.timeout)
	defer timer.Stop()
	select {
	case <-ev.established:
	case <-ev.ended:
		return endedEarly(placed)
	case <-timer.C:
		_ = placed.Hangup()
		return fmt.Errorf("the call was not established within -timeout %v; it was %v", c.cfg.timeout, placed.State())
	case <-ctx.Done():
		_ = placed.Hangup()
		return ctx.Err()
	}

	c.out.line("holding the call for %v, then hanging up", c.cfg.hold)
	select {
	case <-time.After(c.cfg.hold):
	case <-ev.ended:
		return endedEarly(placed)
	case <-ctx.Done():
	}
	if err := placed.Hangup(); err != nil {
		return err
	}
	timer.Reset(c.cfg.timeout)
	select {
	case <-ev.ended:
	case <-timer.C:
		return fmt.Errorf("the call did not end within -timeout %v of hanging up", c.cfg.timeout)
	}
	if cause := placed.Details().EndCause; cause != call.HungUp {
		return fmt.Errorf("the call ended %v, not HungUp", cause)
	}
	return nil
}

// endedEarly is the error of a call that ended before it was established or
// while it was held.
func endedEarly(cl *call.Call) error {
	d := cl.Details()
	if d.Error != nil {
		return fmt.Errorf("the call ended %v: %w", d.EndCause, d.Error)
	}
	what := map[call.EndCause]string{
		call.Denied:   "the callee declined",
		call.NoAnswer: "no device of the callee answered",
		call.Timeout:  "the call could not be set up in time (media: check UDP and the firewall)",
		call.Canceled: "the call was canceled",
		call.HungUp:   "the far end hung up",
		call.Inactive: "no media arrived: check UDP and the firewall",
	}[d.EndCause]
	if what == "" {
		what = "see the events above"
	}
	return fmt.Errorf("the call ended %v: %s", d.EndCause, what)
}

// lastFailure returns the exchange a failure of the step is most likely
// about, if any.
func (c *check) lastFailure() *exchange {
	if c.rec == nil {
		return nil
	}
	e, ok := c.rec.suspect()
	if !ok {
		return nil
	}
	return &e
}

// fail reports the failure of the current step and what to look at.
func (c *check) fail(err error, last *exchange) error {
	d := diagnosis{host: c.cfg.host, user: c.cfg.user, callee: c.cfg.callee, secretIn: c.cfg.secretName()}
	c.out.line("FAIL: %v", err)
	c.out.raw("look at: %s", d.lookAt(err, last))
	c.out.close() // what the cleanup does is not part of the report
	return errFailed
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// stepTimeout bounds every single wait of a measurement (a client
// starting, a call being established or ending, a teardown), so that a
// stuck step fails the run instead of hanging it.
const stepTimeout = 30 * time.Second

// fleetParallelism is how many clients are started or terminated at a time
// when their timing is not what is measured.
const fleetParallelism = 8

// benchClient is a loopback SDK client whose start, successful or not, is
// reported on a channel.
type benchClient struct {
	*sinch.SinchClient
	started chan startResult
}

type startResult struct {
	at  time.Time // when OnClientStarted ran
	err error     // what OnClientFailed said
}

// newBenchClient builds a client of user on srv that registers with
// srv.Token(user) when asked for credentials.
func newBenchClient(srv *ocratest.Server, user string) (*benchClient, error) {
	b := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(user).
		LoopbackOnly()
	if pcmuOnly {
		b.PCMUOnly()
	}
	if opusComplexity != 0 {
		b.OpusComplexity(opusComplexity)
	}
	c, err := b.Build()
	if err != nil {
		return nil, err
	}
	bc := &benchClient{SinchClient: c, started: make(chan startResult, 1)}
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(user)) },
		OnClientStartedFunc:       func(*sinch.SinchClient) { bc.report(startResult{at: time.Now()}) },
		OnClientFailedFunc:        func(_ *sinch.SinchClient, err error) { bc.report(startResult{err: err}) },
	})
	return bc, nil
}

// report keeps the first outcome of the start; later ones (a failure long
// after the start) are not about the start.
func (c *benchClient) report(r startResult) {
	select {
	case c.started <- r:
	default:
	}
}

// start starts the client and returns the time from Start() to
// OnClientStarted.
func (c *benchClient) start(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	begin := time.Now()
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("%s: %w", c.UserID(), err)
	}
	select {
	case r := <-c.started:
		if r.err != nil {
			return 0, fmt.Errorf("%s did not start: %w", c.UserID(), r.err)
		}
		return r.at.Sub(begin), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("%s did not start: %w", c.UserID(), ctx.Err())
	}
}

// startClients builds n clients named prefix0, prefix1, ... and starts them,
// parallel at a time; it returns them with how long each took to start.
// On error no client is left running.
func startClients(ctx context.Context, srv *ocratest.Server, prefix string, n, parallel int) ([]*benchClient, []time.Duration, error) {
	clients := make([]*benchClient, n)
	for i := range clients {
		c, err := newBenchClient(srv, prefix+strconv.Itoa(i))
		if err != nil {
			return nil, nil, errors.Join(err, terminateAll(clients[:i]))
		}
		clients[i] = c
	}
	took := make([]time.Duration, n)
	err := forEach(n, parallel, func(i int) (err error) {
		took[i], err = clients[i].start(ctx)
		return err
	})
	if err != nil {
		return nil, nil, errors.Join(err, terminateAll(clients))
	}
	return clients, took, nil
}

// terminateAll terminates clients, a few at a time.
func terminateAll(clients []*benchClient) error {
	return bounded("terminating clients", func() {
		_ = forEach(len(clients), fleetParallelism*2, func(i int) error {
			clients[i].Terminate()
			return nil
		})
	})
}

// closeServer closes srv.
func closeServer(srv *ocratest.Server) error {
	return bounded("closing the ocratest server", srv.Close)
}

// forEach runs f(0) ... f(n-1) with at most parallel of them at a time and
// returns the first error.
func forEach(n, parallel int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// errStuck is a teardown that did not finish: the run reports it instead
// of hanging.
var errStuck = errors.New("stuck")

// bounded runs f and waits for it for at most stepTimeout. When f is stuck
// it returns an error wrapping errStuck and leaves f running: the process
// is about to report the failure and exit.
func bounded(what string, f func()) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	t := time.NewTimer(stepTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("%s: %w for %v", what, errStuck, stepTimeout)
	}
}

// release runs a deferred teardown and adds its error to *err.
func release(err *error, teardown func() error) {
	*err = errors.Join(*err, teardown())
}

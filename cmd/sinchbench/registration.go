package main

import (
	"context"
	"time"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// registrationReport is Start() to OnClientStarted.
type registrationReport struct {
	Transport  string  `json:"transport"`
	Sequential latency `json:"sequential"` // clients started one after another
	Concurrent latency `json:"concurrent"` // clients started all at once
}

// measureRegistration starts n clients one after another, then n more all
// at once, against one server made with opts, and summarises how long each took to start.
// One client before them, not counted, warms up.
func measureRegistration(ctx context.Context, n int, opts ...ocratest.Option) (_ *registrationReport, err error) {
	srv := ocratest.NewServer(opts...)
	defer release(&err, func() error { return closeServer(srv) })
	var took [3][]time.Duration
	for i, p := range []struct {
		name        string
		n, parallel int
	}{{"warmup", 1, 1}, {"seq", n, 1}, {"conc", n, n}} {
		var clients []*benchClient
		if clients, took[i], err = startClients(ctx, srv, p.name, p.n, p.parallel); err != nil {
			return nil, err
		}
		if err := terminateAll(clients); err != nil {
			return nil, err
		}
	}
	return &registrationReport{Sequential: summarize(took[1]), Concurrent: summarize(took[2])}, nil
}

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// setupReport is CallUser to OnCallEstablished on the caller, next to raw
// pion's connection time.
type setupReport struct {
	// Runs are a run per transport on loopback, then a run per transport
	// with latency added.
	Runs []setupRun `json:"runs"`
	// RatioPubNub* are PubNub / WebSocket on loopback; zero unless both
	// were measured.
	RatioPubNubMedian float64 `json:"ratio_pubnub_websocket_median,omitempty"`
	RatioPubNubP99    float64 `json:"ratio_pubnub_websocket_p99,omitempty"`
}

// setupRun is one series of calls over one transport.
type setupRun struct {
	Transport string `json:"transport"`
	// LatencyMS is what the server added to each REST reply and each
	// realtime delivery; zero on plain loopback.
	LatencyMS float64 `json:"latency_ms"`
	// RingMS is how long the callee let each call ring before answering;
	// zero: it answered at once, in OnIncomingCall.
	RingMS float64 `json:"ring_ms,omitempty"`
	SDK    latency `json:"sdk"`
	// Raw is raw pion's setup (measureRawSetup's pairs), a pair after each
	// of the run's calls, so that both see the same machine; nil without
	// the raw part, and with latency.
	Raw *latency `json:"raw,omitempty"`
	// Phases are the medians, in milliseconds, of when the caller's call
	// reached each step (call.Details), counted from its StartedTime.
	Phases setupPhases `json:"sdk_phases_ms"`
	// AnswerToEstablished is from the callee's Answer() to the caller's
	// OnCallEstablished: the gap a caller feels between the answer and
	// hearing the callee.
	AnswerToEstablished latency `json:"answer_to_established"`
	// RatioRaw* are SDK / raw on loopback; zero when raw pion was not
	// measured.
	RatioRawMedian float64 `json:"ratio_raw_median,omitempty"`
	RatioRawP99    float64 `json:"ratio_raw_p99,omitempty"`
	// Delays is the median over LatencyMS: setup time as a count of
	// injected delays; DelaysOverLoopback subtracts the loopback median of
	// the same transport first.
	Delays             float64 `json:"delays,omitempty"`
	DelaysOverLoopback float64 `json:"delays_over_loopback,omitempty"`
}

// setupPhases is when a call reached each step, from its start.
type setupPhases struct {
	Progressing float64 `json:"progressing"` // the server accepted the call
	Ringing     float64 `json:"ringing"`     // the callee's device rang
	Answered    float64 `json:"answered"`
	Established float64 `json:"established"` // answered and media connected
}

// measureSetup places n calls one after another between two clients of a
// server made with opts (and one call before them, not counted, to warm
// up); the callee answers in OnIncomingCall, or after letting the call ring
// for ring. Each call is hung up once media flows both ways, and ended on
// both sides with both call reports at the server, before the next: as a raw pair is closed before
// the next (measureRawSetup), no call's setup shares the machine with the
// one before it. With a raw API, a pair of raw peer connections of it is
// connected and closed after each call (connectRawPair), its time in the
// run's Raw.
func measureSetup(ctx context.Context, n int, ring time.Duration, raw *webrtc.API, opts ...ocratest.Option) (_ *setupRun, err error) {
	srv := ocratest.NewServer(opts...)
	defer release(&err, func() error { return closeServer(srv) })
	clients, _, err := startClients(ctx, srv, "setup", 2, 2)
	if err != nil {
		return nil, err
	}
	defer release(&err, func() error { return terminateAll(clients) })
	caller, callee := clients[0], clients[1]
	calleeEnded := make(chan struct{}, 1)
	answering := make(chan time.Time, 1) // when the callee called Answer
	// Media flowing: each side got the other's first packet (a call is hung
	// up only then, as a call with a person on it would be; one hung up
	// before closes its peer connection a second later, in the background,
	// in the CPU of the calls that follow: see closeMedia in package call).
	flowing := make(chan struct{}, 2)
	onTrack := func(*call.Call, *call.RemoteTrack) { flowing <- struct{}{} }
	listen := func(c *call.Call) {
		c.AddListener(&call.ListenerFuncs{
			OnCallEndedFunc:   func(*call.Call) { calleeEnded <- struct{}{} },
			OnRemoteTrackFunc: onTrack,
		})
	}
	if ring > 0 {
		callee.CallController().AddListener(&call.ControllerListenerFuncs{
			OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
				listen(c)
				time.AfterFunc(ring, func() {
					answering <- time.Now()
					_ = c.Answer() // it fails only if the call already ended, which the caller sees
				})
			},
		})
	} else {
		answerCalls(callee, func(c *call.Call) {
			listen(c)
			answering <- time.Now()
		})
	}

	var took, rawTook, answerToEstablished []time.Duration
	var phases [4][]time.Duration
	for i := range n + 1 {
		c, d, err := dial(ctx, caller, callee.UserID(), func(c *call.Call) {
			c.AddListener(&call.ListenerFuncs{OnRemoteTrackFunc: onTrack})
		})
		if err != nil {
			return nil, err
		}
		if err := awaitMedia(ctx, flowing); err != nil {
			return nil, fmt.Errorf("%s: %w", c, err)
		}
		details := c.Details()
		answeredAt := <-answering // the callee answered before the caller was established
		if err := hangup(ctx, c, calleeEnded); err != nil {
			return nil, err
		}
		if err := awaitReports(ctx, srv, 2*(i+1)); err != nil {
			return nil, err
		}
		if raw != nil {
			p, d, err := connectRawPair(ctx, raw, nil)
			if err != nil {
				return nil, err
			}
			if err := p.close(); err != nil {
				return nil, err
			}
			if i > 0 {
				rawTook = append(rawTook, d)
			}
		}
		if i == 0 {
			continue
		}
		took = append(took, d)
		answerToEstablished = append(answerToEstablished, details.EstablishedTime.Sub(answeredAt))
		for j, t := range []time.Time{details.ProgressedTime, details.RungTime, details.AnsweredTime, details.EstablishedTime} {
			phases[j] = append(phases[j], t.Sub(details.StartedTime))
		}
	}
	run := &setupRun{RingMS: ms(ring), SDK: summarize(took), AnswerToEstablished: summarize(answerToEstablished), Phases: setupPhases{
		Progressing: summarize(phases[0]).MedianMS,
		Ringing:     summarize(phases[1]).MedianMS,
		Answered:    summarize(phases[2]).MedianMS,
		Established: summarize(phases[3]).MedianMS,
	}}
	if raw != nil {
		r := summarize(rawTook)
		run.Raw = &r
	}
	return run, nil
}

// answerCalls makes client answer every incoming call at once, in
// OnIncomingCall, after prepare (if not nil) has seen it.
func answerCalls(client *benchClient, prepare func(*call.Call)) {
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			if prepare != nil {
				prepare(c)
			}
			_ = c.Answer() // it fails only if the call already ended, which the caller sees
		},
	})
}

// dial calls user from caller, hands the call to prepare (if not nil) and
// waits for OnCallEstablished; it returns the call and the time from
// CallUser to OnCallEstablished.
func dial(ctx context.Context, caller *benchClient, user string, prepare func(*call.Call)) (*call.Call, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	established := make(chan time.Time, 1)
	ended := make(chan struct{})
	begin := time.Now()
	c, err := caller.CallController().CallUser(user, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s calls %s: %w", caller.UserID(), user, err)
	}
	if prepare != nil {
		prepare(c)
	}
	c.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) { established <- time.Now() },
		OnCallEndedFunc:       func(*call.Call) { close(ended) },
	})
	select {
	case at := <-established:
		return c, at.Sub(begin), nil
	case <-ended:
		d := c.Details()
		return nil, 0, fmt.Errorf("%s ended before it was established: %v (%v)", c, d.EndCause, d.Error)
	case <-ctx.Done():
		_ = c.Hangup()
		return nil, 0, fmt.Errorf("%s was not established: %w", c, ctx.Err())
	}
}

// awaitMedia waits until both sides of a call got the other's first packet.
func awaitMedia(ctx context.Context, flowing <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for range 2 {
		select {
		case <-flowing:
		case <-ctx.Done():
			return fmt.Errorf("no media both ways: %w", ctx.Err())
		}
	}
	return nil
}

// awaitReports waits until srv has n call reports.
func awaitReports(ctx context.Context, srv *ocratest.Server, n int) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for len(srv.Reports()) < n {
		select {
		case <-time.After(100 * time.Microsecond):
		case <-ctx.Done():
			return fmt.Errorf("%d call reports at the server, want %d: %w", len(srv.Reports()), n, ctx.Err())
		}
	}
	return nil
}

// hangup hangs c up and waits until the callee's side ended too, as
// calleeEnded tells.
func hangup(ctx context.Context, c *call.Call, calleeEnded <-chan struct{}) error {
	if err := c.Hangup(); err != nil {
		return fmt.Errorf("hanging up %s: %w", c, err)
	}
	select {
	case <-calleeEnded:
		return nil
	case <-time.After(stepTimeout):
		return fmt.Errorf("the callee's side of %s did not end", c)
	case <-ctx.Done():
		return ctx.Err()
	}
}

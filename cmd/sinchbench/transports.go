package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// Realtime transports, as named by -transports: the server's configuration
// says which one the clients use.
const (
	transportPubNub    = "pubnub"    // ocratest's default, Sinch's real wire
	transportWebSocket = "websocket" // ocratest.WithWebSocket, the transport before PubNub
)

var allTransports = []string{transportPubNub, transportWebSocket}

// transportNames are the labels of the table.
var transportNames = map[string]string{transportPubNub: "PubNub", transportWebSocket: "WebSocket"}

// serverOptions are the ocratest options of a transport, with latency
// added to every REST reply and realtime delivery when it is positive.
func serverOptions(transport string, latency time.Duration) []ocratest.Option {
	var opts []ocratest.Option
	if transport == transportWebSocket {
		opts = append(opts, ocratest.WithWebSocket())
	}
	if latency > 0 {
		opts = append(opts, ocratest.WithLatency(latency))
	}
	return opts
}

func parseTransports(s string) ([]string, error) {
	var ts []string
	for t := range strings.SplitSeq(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !slices.Contains(allTransports, t) {
			return nil, fmt.Errorf("unknown transport %q in -transports: want some of %s", t, strings.Join(allTransports, ", "))
		}
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("-transports names no transport")
	}
	return ts, nil
}

// runRegistration measures registration once per transport.
func runRegistration(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	for _, t := range cfg.Transports {
		say("registration (%s): %d clients one after another, then %d at once", t, cfg.Clients, cfg.Clients)
		r, err := measureRegistration(ctx, cfg.Clients, serverOptions(t, 0)...)
		if err != nil {
			return fmt.Errorf("registration over %s: %w", t, err)
		}
		r.Transport = t
		rep.Registration = append(rep.Registration, *r)
	}
	return nil
}

// runSetup measures setup on loopback per transport, with the raw part a
// raw pion pair after each call (measureSetup), then with latency added.
func runSetup(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	rep.Setup = &setupReport{}
	var raw *webrtc.API
	if cfg.has(partRaw) {
		var err error
		if raw, err = rawAPI(); err != nil {
			return fmt.Errorf("raw setup: %w", err)
		}
	}
	for _, t := range cfg.Transports {
		if raw != nil {
			say("setup (%s): %d SDK calls one after another, each followed by a raw pion connection", t, cfg.SetupCalls)
		} else {
			say("setup (%s): %d SDK calls one after another", t, cfg.SetupCalls)
		}
		r, err := measureSetup(ctx, cfg.SetupCalls, 0, raw, serverOptions(t, 0)...)
		if err != nil {
			return fmt.Errorf("setup over %s: %w", t, err)
		}
		r.Transport = t
		rep.Setup.Runs = append(rep.Setup.Runs, *r)
	}
	if cfg.Latency <= 0 {
		return nil
	}
	for _, t := range cfg.Transports {
		say("setup (%s, %v per reply and delivery): %d SDK calls one after another", t, cfg.Latency, cfg.LatencyCalls)
		r, err := measureSetup(ctx, cfg.LatencyCalls, 0, nil, serverOptions(t, cfg.Latency)...)
		if err != nil {
			return fmt.Errorf("setup over %s with %v latency: %w", t, cfg.Latency, err)
		}
		r.Transport, r.LatencyMS = t, ms(cfg.Latency)
		rep.Setup.Runs = append(rep.Setup.Runs, *r)
	}
	// A person answers after the phone rang a while: media connects
	// meanwhile (one callee device), and answer to established is what
	// is left.
	ring := ringDelays * cfg.Latency
	for _, t := range cfg.Transports {
		say("setup (%s, %v per reply and delivery, answered after %v of ringing): %d SDK calls one after another", t, cfg.Latency, ring, cfg.LatencyCalls)
		r, err := measureSetup(ctx, cfg.LatencyCalls, ring, nil, serverOptions(t, cfg.Latency)...)
		if err != nil {
			return fmt.Errorf("setup over %s with %v latency and ringing: %w", t, cfg.Latency, err)
		}
		r.Transport, r.LatencyMS = t, ms(cfg.Latency)
		rep.Setup.Runs = append(rep.Setup.Runs, *r)
	}
	return nil
}

// runIdle measures idle clients once per transport.
func runIdle(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	for _, t := range cfg.Transports {
		say("idle (%s): %d started clients", t, cfg.IdleClients)
		r, err := measureIdle(ctx, cfg.IdleClients, serverOptions(t, 0)...)
		if err != nil {
			return fmt.Errorf("idle over %s: %w", t, err)
		}
		r.Transport = t
		rep.Idle = append(rep.Idle, *r)
	}
	return nil
}

// ringDelays is how long, in injected delays, the callee lets a call of
// the ringing setup rows ring before it answers.
const ringDelays = 4

// loopback returns the setup run of transport without added latency.
func (s *setupReport) loopback(transport string) *setupRun {
	for i := range s.Runs {
		if s.Runs[i].Transport == transport && s.Runs[i].LatencyMS == 0 {
			return &s.Runs[i]
		}
	}
	return nil
}

// evaluateTransports computes the ratios of registration, setup and idle
// and their targets.
func (r *report) evaluateTransports(goal func(name string, value, limit float64, unit string, atLeast bool)) {
	for _, reg := range r.Registration {
		goal(fmt.Sprintf("Start() to started, median (one after another), %s", transportNames[reg.Transport]), reg.Sequential.MedianMS, 5, "ms", false)
	}
	if s := r.Setup; s != nil {
		for i := range s.Runs {
			run := &s.Runs[i]
			name := transportNames[run.Transport]
			if run.RingMS > 0 {
				goal(fmt.Sprintf("answer to established median with %g ms latency, %s, answered after %g ms of ringing", run.LatencyMS, name, run.RingMS),
					run.AnswerToEstablished.MedianMS, run.LatencyMS+5, "ms", false)
				continue
			}
			if run.LatencyMS > 0 {
				run.Delays = run.SDK.MedianMS / run.LatencyMS
				if lb := s.loopback(run.Transport); lb != nil {
					run.DelaysOverLoopback = (run.SDK.MedianMS - lb.SDK.MedianMS) / run.LatencyMS
				}
				goal(fmt.Sprintf("call setup median with %g ms latency, %s, in delays", run.LatencyMS, name), run.Delays, 6, "delays", false)
				// The callee's Join must reach the caller: one delay, and
				// nothing else once media connected while the call rang.
				goal(fmt.Sprintf("answer to established median with %g ms latency, %s", run.LatencyMS, name),
					run.AnswerToEstablished.MedianMS, run.LatencyMS+5, "ms", false)
				continue
			}
			goal(fmt.Sprintf("call setup median, %s", name), run.SDK.MedianMS, 25, "ms", false)
			if run.Raw != nil {
				run.RatioRawMedian = ratio(run.SDK.MedianMS, run.Raw.MedianMS)
				run.RatioRawP99 = ratio(run.SDK.P99MS, run.Raw.P99MS)
				goal(fmt.Sprintf("call setup median, %s / raw pion", name), run.RatioRawMedian, 1.5, "x", false)
				goal(fmt.Sprintf("call setup p99, %s / raw pion", name), run.RatioRawP99, 2, "x", false)
			}
		}
		pn, ws := s.loopback(transportPubNub), s.loopback(transportWebSocket)
		if pn != nil && ws != nil {
			s.RatioPubNubMedian = ratio(pn.SDK.MedianMS, ws.SDK.MedianMS)
			s.RatioPubNubP99 = ratio(pn.SDK.P99MS, ws.SDK.P99MS)
			goal("call setup median, PubNub / WebSocket", s.RatioPubNubMedian, 1.2, "x", false)
		}
	}
	for _, i := range r.Idle {
		goal(fmt.Sprintf("heap per idle client, %s, %d clients (goal set for 1000)", transportNames[i.Transport], i.Clients), i.HeapKiBPerClient, 64, "KiB", false)
	}
}

// writeRegistration, writeSetup and writeIdle write the tables of those
// parts, a row per transport (and latency).
func (r *report) writeRegistration(w io.Writer) {
	if len(r.Registration) == 0 {
		return
	}
	fmt.Fprintln(w, "\nregistration: Start() to OnClientStarted\tn\tmedian\tp99\tmax\t")
	byTransport := map[string]latency{}
	for _, reg := range r.Registration {
		name := transportNames[reg.Transport]
		writeLatency(w, "  "+name+", one after another", reg.Sequential)
		writeLatency(w, "  "+name+", all at once", reg.Concurrent)
		byTransport[reg.Transport] = reg.Sequential
	}
	pn, okP := byTransport[transportPubNub]
	ws, okW := byTransport[transportWebSocket]
	if okP && okW {
		fmt.Fprintf(w, "  PubNub / WebSocket, one after another\t\t%.2fx\t%.2fx\t\t\n",
			ratio(pn.MedianMS, ws.MedianMS), ratio(pn.P99MS, ws.P99MS))
	}
}

func (r *report) writeSetup(w io.Writer) {
	s := r.Setup
	if s == nil {
		return
	}
	fmt.Fprintln(w, "\ncall setup: CallUser to OnCallEstablished\tn\tmedian\tp99\tmax\t")
	for _, run := range s.Runs {
		if run.LatencyMS > 0 {
			continue
		}
		name := transportNames[run.Transport]
		writeLatency(w, "  "+name, run.SDK)
		for _, step := range []struct {
			name string
			ms   float64
		}{
			{"progressing", run.Phases.Progressing}, {"ringing", run.Phases.Ringing},
			{"answered", run.Phases.Answered}, {"established", run.Phases.Established},
		} {
			fmt.Fprintf(w, "    %s %s\t\t%.2f ms\t\t\t\n", name, step.name, step.ms)
		}
		writeLatency(w, "    "+name+" answer to established", run.AnswerToEstablished)
		if run.Raw != nil {
			writeLatency(w, "    raw pion, a pair after each call (to offerer connected)", *run.Raw)
			fmt.Fprintf(w, "    %s / raw\t\t%.2fx\t%.2fx\t\t\n", name, run.RatioRawMedian, run.RatioRawP99)
		}
	}
	if s.RatioPubNubMedian > 0 {
		fmt.Fprintf(w, "  PubNub / WebSocket\t\t%.2fx\t%.2fx\t\t\n", s.RatioPubNubMedian, s.RatioPubNubP99)
	}
	for _, run := range s.Runs {
		if run.LatencyMS == 0 {
			continue
		}
		name := fmt.Sprintf("  %s, %g ms per reply and delivery", transportNames[run.Transport], run.LatencyMS)
		if run.RingMS > 0 {
			writeLatency(w, fmt.Sprintf("%s, answered after %g ms of ringing", name, run.RingMS), run.SDK)
			writeLatency(w, "    answer to established", run.AnswerToEstablished)
			continue
		}
		writeLatency(w, name, run.SDK)
		writeLatency(w, "    answer to established", run.AnswerToEstablished)
		fmt.Fprintf(w, "    setup with latency = %.1f delays\t\t\t\t\t\n", run.Delays)
		fmt.Fprintf(w, "    (%.1f delays over loopback)\t\t\t\t\t\n", run.DelaysOverLoopback)
	}
}

func (r *report) writeIdle(w io.Writer) {
	if len(r.Idle) == 0 {
		return
	}
	fmt.Fprintf(w, "\nidle: started clients, server included\tclients\theap per client\tgoroutines per client\t\n")
	var heap = map[string]float64{}
	for _, i := range r.Idle {
		fmt.Fprintf(w, "  %s\t%d\t%.1f KiB\t%.2f\t\n", transportNames[i.Transport], i.Clients, i.HeapKiBPerClient, i.GoroutinesPerClient)
		heap[i.Transport] = i.HeapKiBPerClient
	}
	if pn, ws := heap[transportPubNub], heap[transportWebSocket]; pn > 0 && ws > 0 {
		fmt.Fprintf(w, "  PubNub / WebSocket\t\t%.2fx\t\t\n", ratio(pn, ws))
	}
}

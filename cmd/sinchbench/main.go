// Command sinchbench measures the SDK on loopback against an in-process
// ocratest server, next to raw pion/webrtc doing the same work, and prints
// the figures as a table (and, with -json, as JSON):
//
//   - registration: Start() to OnClientStarted, for clients started one
//     after another and for clients started all at once;
//   - setup: CallUser to OnCallEstablished on the caller, the callee
//     answering in OnIncomingCall, against two raw peer connections that
//     exchange their descriptions in memory; then again with -latency
//     (25 ms) added by the server to each REST reply and each realtime
//     delivery (ocratest.WithLatency), given as a count of such delays;
//   - media: concurrent bidirectional calls, for each codec of -codecs
//     (Opus, the SDK's default, and PCMU; -pcmu means PCMU only): process
//     CPU (user+sys) per call-second, the share of sent frames that
//     reached a sink, heap and goroutines per call, SDK and raw;
//   - capacity: the most concurrent SDK calls (first codec) with 99 % of
//     frames delivered: -capacity-step, twice that, ... up to
//     -capacity-max calls, stopping at the first step that falls short;
//   - playout: one SDK call on a clean loopback link: the delay from a
//     source's frame to the far sink (the jitter buffer's added delay)
//     and the buffer's target delay;
//   - idle: heap and goroutines per started client without calls.
//
// Registration, setup and idle run once per realtime transport of
// -transports, in one process: PubNub (ocratest's default, Sinch's real
// wire) and the WebSocket that came before it (ocratest.WithWebSocket), so
// before and after sit side by side with their PubNub / WebSocket ratio.
// Media runs over ocratest's default transport.
//
// Usage:
//
//	go run ./cmd/sinchbench                 # the full run, a few minutes
//	go run ./cmd/sinchbench -short          # under a minute
//	go run ./cmd/sinchbench -parts setup,raw -setup-calls 200 -json out.json
//	go run ./cmd/sinchbench -parts setup -transports pubnub -latency 0 -cpuprofile cpu.out
//
// Every figure is measured in this one process: the ocratest server's share
// of CPU and heap is included in the SDK's. Heap is the live heap
// (runtime.MemStats.HeapAlloc after two GCs); CPU is the process's, from
// getrusage. The targets printed under the table are reported, never
// asserted: they were set for a 2-core machine (PubNub's loopback setup at
// most 1.2x the WebSocket's, setup with latency within 6 delays among them).
//
// Raw pion is the floor the SDK is compared to: two peer connections of
// internal/rtc.NewAPI(rtc.Config{Loopback: true}) in this process, full
// descriptions (gathering complete) exchanged in memory, the same audio
// pipeline (rtc.AudioSender and rtc.AudioReceiver) and the same counting
// sources and sinks. Its setup time runs from creating the peer connections
// to the offerer's Connected state, the analogue of the SDK caller's
// OnCallEstablished. A raw pair is connected and closed after each SDK
// call of a loopback setup run, once that call ended on both sides and
// both its reports reached the server, so that the two are measured on
// the same machine at the same time and neither shares it with the other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// pcmuOnly is -pcmu: every client and raw peer is built PCMU only. It is
// set by parseFlags before anything runs, and per codec by the media parts
// (withCodec), which run one at a time.
var pcmuOnly bool

// opusComplexity is -opus-complexity: the Opus encoder complexity of every
// client (the builder's OpusComplexity) and raw peer; 0: the SDK's default.
var opusComplexity int

// Parts of a run, as named by -parts.
const (
	partRegistration = "registration"
	partSetup        = "setup"
	partMedia        = "media"
	partIdle         = "idle"
	partRaw          = "raw" // raw pion next to setup and media
	partCapacity     = "capacity"
	partPlayout      = "playout"
)

var allParts = []string{partRegistration, partSetup, partMedia, partIdle, partRaw, partCapacity, partPlayout}

// config is what one run measures.
type config struct {
	Parts         []string
	Clients       int           // clients per registration pattern
	SetupCalls    int           // calls set up one after another
	MediaCalls    int           // concurrent calls
	MediaDuration time.Duration // how long the media calls talk
	IdleClients   int
	// Codecs of the media parts, in order; capacity and playout use the
	// first.
	Codecs           []string
	CapacityStep     int
	CapacityMax      int
	CapacityDuration time.Duration // how long each capacity step talks
	Transports       []string      // realtime transports of registration, setup and idle
	Latency          time.Duration // added per server reply and delivery in the latency setup rows; 0: none
	LatencyCalls     int           // calls per transport with Latency
}

// Sizes of the full run and of -short.
var (
	fullConfig = config{Clients: 100, SetupCalls: 100, MediaCalls: 200, MediaDuration: 10 * time.Second, IdleClients: 1000,
		Latency: 25 * time.Millisecond, LatencyCalls: 20,
		CapacityStep: 20, CapacityMax: 200, CapacityDuration: 6 * time.Second}
	// shortConfig finishes in well under a minute on a loaded 2-core machine.
	shortConfig = config{Clients: 20, SetupCalls: 10, MediaCalls: 20, MediaDuration: 3 * time.Second, IdleClients: 100,
		LatencyCalls: 3, CapacityStep: 2, CapacityMax: 4, CapacityDuration: time.Second}
)

func (c config) has(part string) bool { return slices.Contains(c.Parts, part) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if errors.Is(err, errStuck) {
		// Show where it is stuck.
		_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sinchbench:", err)
		os.Exit(1)
	}
}

// options are the command line: a config and where the output goes.
type options struct {
	config
	jsonPath   string
	cpuProfile string
	memProfile string
}

// runMain parses args, runs the measurements and writes the table to out
// and the JSON where -json says; progress and usage go to log.
func runMain(ctx context.Context, args []string, out, log io.Writer) error {
	opts, err := parseFlags(args, log)
	if err != nil {
		return err
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("starting the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := run(ctx, opts.config, log)
	if err != nil {
		return err
	}
	if opts.memProfile != "" {
		if err := writeHeapProfile(opts.memProfile); err != nil {
			return err
		}
	}
	if opts.jsonPath == "-" {
		return rep.writeJSON(out)
	}
	rep.writeTable(out)
	if opts.jsonPath != "" {
		return writeJSONFile(opts.jsonPath, rep)
	}
	return nil
}

func parseFlags(args []string, log io.Writer) (options, error) {
	fs := flag.NewFlagSet("sinchbench", flag.ContinueOnError)
	fs.SetOutput(log)
	var o options
	short := fs.Bool("short", false, "small sizes that finish in under a minute (explicit size flags still apply)")
	parts := fs.String("parts", strings.Join(allParts, ","), "comma-separated parts to run: "+strings.Join(allParts, ", "))
	fs.IntVar(&o.Clients, "clients", fullConfig.Clients, "clients started in each registration pattern")
	fs.IntVar(&o.SetupCalls, "setup-calls", fullConfig.SetupCalls, "calls set up one after another")
	fs.IntVar(&o.MediaCalls, "calls", fullConfig.MediaCalls, "concurrent calls in the media part")
	fs.DurationVar(&o.MediaDuration, "t", fullConfig.MediaDuration, "how long the media calls talk")
	fs.IntVar(&o.IdleClients, "idle", fullConfig.IdleClients, "idle started clients")
	transports := fs.String("transports", strings.Join(allTransports, ","), "comma-separated realtime transports of registration, setup and idle: "+strings.Join(allTransports, ", "))
	fs.DurationVar(&o.Latency, "latency", fullConfig.Latency, "added to each server reply and realtime delivery in extra setup rows (0: no such rows)")
	fs.IntVar(&o.LatencyCalls, "latency-calls", fullConfig.LatencyCalls, "calls per transport in the setup rows with -latency")
	fs.BoolVar(&pcmuOnly, "pcmu", false, "calls negotiate PCMU only (the builder's PCMUOnly), not Opus; the media parts measure PCMU only")
	fs.IntVar(&opusComplexity, "opus-complexity", 0, "Opus encoder complexity, 1 to 10 (the builder's OpusComplexity); 0: the SDK's default")
	codecs := fs.String("codecs", strings.Join(allCodecs, ","), "codecs the media parts measure, in order (capacity and playout: the first): "+strings.Join(allCodecs, ", "))
	fs.IntVar(&o.CapacityStep, "capacity-step", fullConfig.CapacityStep, "the capacity search tries this many calls, then twice as many, ...")
	fs.IntVar(&o.CapacityMax, "capacity-max", fullConfig.CapacityMax, "the capacity search stops at this many calls")
	o.CapacityDuration = fullConfig.CapacityDuration
	fs.StringVar(&o.jsonPath, "json", "", `write the results as JSON to this file ("-": to stdout, instead of the table)`)
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file at the end of the run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *short {
		applyShort(fs, &o.config)
	}
	var err error
	if o.Parts, err = parseList("-parts", *parts, allParts); err != nil {
		return o, err
	}
	if o.Codecs, err = parseList("-codecs", *codecs, allCodecs); err != nil {
		return o, err
	}
	if pcmuOnly {
		o.Codecs = []string{codecPCMU}
	}
	if o.Transports, err = parseTransports(*transports); err != nil {
		return o, err
	}
	return o, o.validate()
}

// applyShort replaces the sizes not given on the command line by those of
// the short run.
func applyShort(fs *flag.FlagSet, c *config) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	pick := func(name string, dst *int, short int) {
		if !set[name] {
			*dst = short
		}
	}
	pick("clients", &c.Clients, shortConfig.Clients)
	pick("setup-calls", &c.SetupCalls, shortConfig.SetupCalls)
	pick("calls", &c.MediaCalls, shortConfig.MediaCalls)
	pick("idle", &c.IdleClients, shortConfig.IdleClients)
	pick("capacity-step", &c.CapacityStep, shortConfig.CapacityStep)
	pick("capacity-max", &c.CapacityMax, shortConfig.CapacityMax)
	c.CapacityDuration = shortConfig.CapacityDuration
	pick("latency-calls", &c.LatencyCalls, shortConfig.LatencyCalls)
	if !set["t"] {
		c.MediaDuration = shortConfig.MediaDuration
	}
}

// parseList parses the comma-separated names of flag, each one of all.
func parseList(flag, s string, all []string) ([]string, error) {
	var names []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(all, p) {
			return nil, fmt.Errorf("unknown name %q in %s: want some of %s", p, flag, strings.Join(all, ", "))
		}
		if !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s names nothing", flag)
	}
	return names, nil
}

func (c config) validate() error {
	for name, n := range map[string]int{
		"-clients": c.Clients, "-setup-calls": c.SetupCalls, "-calls": c.MediaCalls, "-idle": c.IdleClients,
		"-capacity-step": c.CapacityStep, "-capacity-max": c.CapacityMax,
		"-latency-calls": c.LatencyCalls,
	} {
		if n < 1 {
			return fmt.Errorf("%s must be at least 1, not %d", name, n)
		}
	}
	if opusComplexity != 0 && (opusComplexity < 1 || opusComplexity > 10) {
		return fmt.Errorf("-opus-complexity must be from 1 to 10, not %d", opusComplexity)
	}
	if c.CapacityMax < c.CapacityStep {
		return fmt.Errorf("-capacity-max (%d) must be at least -capacity-step (%d)", c.CapacityMax, c.CapacityStep)
	}
	if c.MediaDuration <= 0 {
		return fmt.Errorf("-t must be positive, not %v", c.MediaDuration)
	}
	if c.Latency < 0 {
		return fmt.Errorf("-latency must not be negative, not %v", c.Latency)
	}
	return nil
}

// run measures the parts of cfg in turn, telling progress on log.
func run(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	rep := newReport(cfg)
	say := func(format string, args ...any) { fmt.Fprintf(log, "# "+format+"\n", args...) }
	if cfg.has(partRegistration) {
		if err := runRegistration(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	if cfg.has(partSetup) {
		if err := runSetup(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	if cfg.has(partMedia) {
		if err := runMedia(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	if cfg.has(partCapacity) {
		if err := runCapacity(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	if cfg.has(partPlayout) {
		if err := runPlayout(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	if cfg.has(partIdle) {
		if err := runIdle(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	rep.evaluate()
	return rep, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	return f.Close()
}

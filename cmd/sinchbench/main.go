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
//   - media: concurrent bidirectional calls (Opus, the SDK's default, or
//     PCMU with -pcmu): process CPU (user+sys) per
//     call-second, the share of sent frames that reached a sink, heap and
//     goroutines per call, SDK and raw;
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
// OnCallEstablished.
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
// set once, by parseFlags, before anything runs.
var pcmuOnly bool

// Parts of a run, as named by -parts.
const (
	partRegistration = "registration"
	partSetup        = "setup"
	partMedia        = "media"
	partIdle         = "idle"
	partRaw          = "raw" // raw pion next to setup and media
)

var allParts = []string{partRegistration, partSetup, partMedia, partIdle, partRaw}

// config is what one run measures.
type config struct {
	Parts         []string
	Clients       int           // clients per registration pattern
	SetupCalls    int           // calls set up one after another
	MediaCalls    int           // concurrent calls
	MediaDuration time.Duration // how long the media calls talk
	IdleClients   int
	Transports    []string      // realtime transports of registration, setup and idle
	Latency       time.Duration // added per server reply and delivery in the latency setup rows; 0: none
	LatencyCalls  int           // calls per transport with Latency
}

// Sizes of the full run and of -short.
var (
	fullConfig = config{Clients: 100, SetupCalls: 100, MediaCalls: 200, MediaDuration: 10 * time.Second, IdleClients: 1000,
		Latency: 25 * time.Millisecond, LatencyCalls: 20}
	// shortConfig finishes in well under a minute on a loaded 2-core machine.
	shortConfig = config{Clients: 20, SetupCalls: 10, MediaCalls: 20, MediaDuration: 3 * time.Second, IdleClients: 100,
		LatencyCalls: 3}
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
	fs.BoolVar(&pcmuOnly, "pcmu", false, "calls negotiate PCMU only (the builder's PCMUOnly), not Opus")
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
	if o.Parts, err = parseParts(*parts); err != nil {
		return o, err
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
	pick("latency-calls", &c.LatencyCalls, shortConfig.LatencyCalls)
	if !set["t"] {
		c.MediaDuration = shortConfig.MediaDuration
	}
}

func parseParts(s string) ([]string, error) {
	var parts []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(allParts, p) {
			return nil, fmt.Errorf("unknown part %q in -parts: want some of %s", p, strings.Join(allParts, ", "))
		}
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil, errors.New("-parts names no part")
	}
	return parts, nil
}

func (c config) validate() error {
	for name, n := range map[string]int{
		"-clients": c.Clients, "-setup-calls": c.SetupCalls, "-calls": c.MediaCalls, "-idle": c.IdleClients,
		"-latency-calls": c.LatencyCalls,
	} {
		if n < 1 {
			return fmt.Errorf("%s must be at least 1, not %d", name, n)
		}
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
	if cfg.has(partIdle) {
		if err := runIdle(ctx, cfg, rep, say); err != nil {
			return nil, err
		}
	}
	rep.evaluate()
	return rep, nil
}

func runMedia(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	say("media: %d concurrent SDK calls for %v", cfg.MediaCalls, cfg.MediaDuration)
	sdk, err := measureMedia(ctx, cfg.MediaCalls, cfg.MediaDuration)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	rep.Media = &mediaReport{SDK: sdk}
	if cfg.has(partRaw) {
		say("media: %d concurrent raw pion calls for %v", cfg.MediaCalls, cfg.MediaDuration)
		raw, err := measureRawMedia(ctx, cfg.MediaCalls, cfg.MediaDuration)
		if err != nil {
			return fmt.Errorf("raw media: %w", err)
		}
		rep.Media.Raw = &raw
	}
	return nil
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

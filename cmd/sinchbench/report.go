package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"
)

// report is everything a run measured; its JSON form is the -json output.
type report struct {
	Machine      machine              `json:"machine"`
	Config       reportConfig         `json:"config"`
	Registration []registrationReport `json:"registration,omitempty"` // one per transport
	Setup        *setupReport         `json:"setup,omitempty"`
	Media        []*mediaReport       `json:"media,omitempty"` // one per codec
	Capacity     *capacityReport      `json:"capacity,omitempty"`
	Playout      *playoutReport       `json:"playout,omitempty"`
	Idle         []idleReport         `json:"idle,omitempty"` // one per transport
	// Targets compares the figures with the goals set for a 2-core
	// machine; they are reported, not asserted.
	Targets []target `json:"targets"`
}

type machine struct {
	GOOS       string    `json:"goos"`
	GOARCH     string    `json:"goarch"`
	CPUs       int       `json:"cpus"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	GoVersion  string    `json:"go_version"`
	Time       time.Time `json:"time"`
}

type reportConfig struct {
	Parts        []string `json:"parts"`
	Clients      int      `json:"registration_clients"`
	SetupCalls   int      `json:"setup_calls"`
	MediaCalls   int      `json:"media_calls"`
	MediaSeconds float64  `json:"media_seconds"`
	IdleClients  int      `json:"idle_clients"`
	Transports   []string `json:"transports"`
	LatencyMS    float64  `json:"latency_ms"`
	LatencyCalls int      `json:"latency_setup_calls"`
	Codecs       []string `json:"codecs"`
	// OpusComplexity is -opus-complexity; 0: the SDK's default.
	OpusComplexity int `json:"opus_complexity,omitempty"`
}

// latency summarises durations in milliseconds.
type latency struct {
	N        int     `json:"n"`
	MedianMS float64 `json:"median_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// target is one goal: Value at most Limit, or at least Limit when AtLeast.
type target struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Limit   float64 `json:"limit"`
	Unit    string  `json:"unit"`
	AtLeast bool    `json:"at_least,omitempty"`
	Met     bool    `json:"met"`
}

func newReport(cfg config) *report {
	return &report{
		Machine: machine{
			GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(),
			GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Time: time.Now().UTC(),
		},
		Config: reportConfig{
			Parts: cfg.Parts, Clients: cfg.Clients, SetupCalls: cfg.SetupCalls,
			MediaCalls: cfg.MediaCalls, MediaSeconds: cfg.MediaDuration.Seconds(), IdleClients: cfg.IdleClients,
			Transports: cfg.Transports, LatencyMS: ms(cfg.Latency), LatencyCalls: cfg.LatencyCalls,
			Codecs: cfg.Codecs, OpusComplexity: opusComplexity,
		},
		Targets: []target{},
	}
}

// summarize returns the median, 99th percentile (nearest rank) and maximum
// of d.
func summarize(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return latency{N: len(s), MedianMS: ms(percentile(s, 0.50)), P99MS: ms(percentile(s, 0.99)), MaxMS: ms(s[len(s)-1])}
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio returns a / b, or 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// evaluate computes the SDK / raw ratios and the targets.
func (r *report) evaluate() {
	goal := func(name string, value, limit float64, unit string, atLeast bool) {
		met := value <= limit
		if atLeast {
			met = value >= limit
		}
		r.Targets = append(r.Targets, target{Name: name, Value: value, Limit: limit, Unit: unit, AtLeast: atLeast, Met: met})
	}
	r.evaluateTransports(goal)
	for _, m := range r.Media {
		goal(fmt.Sprintf("%s: frames delivered, %d calls (goal set for 200)", m.Codec, m.SDK.Calls), m.SDK.DeliveredPercent, 99, "%", true)
		if m.Raw != nil {
			m.RatioCPU = ratio(m.SDK.CPUMillisPerCallSecond, m.Raw.CPUMillisPerCallSecond)
			m.RatioHeap = ratio(m.SDK.HeapKiBPerCall, m.Raw.HeapKiBPerCall)
			m.RatioGoroutines = ratio(m.SDK.GoroutinesPerCall, m.Raw.GoroutinesPerCall)
			goal(m.Codec+": media CPU per call-second, SDK / raw pion", m.RatioCPU, 1.15, "x", false)
		}
	}
	if c := r.Capacity; c != nil {
		goal(fmt.Sprintf("%s: concurrent calls with %g %% of frames delivered", c.Codec, capacityPass), float64(c.MaxCalls), 100, "calls", true)
	}
	if p := r.Playout; p != nil {
		goal(p.Codec+": jitter buffer's added delay on loopback, median", p.Delay.MedianMS, 40, "ms", false)
	}
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func writeJSONFile(path string, r *report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the JSON file: %w", err)
	}
	if err := r.writeJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("writing the JSON file: %w", err)
	}
	return f.Close()
}

// writeTable writes the report for people.
func (r *report) writeTable(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	m := r.Machine
	fmt.Fprintf(w, "sinchbench: %s %s/%s, %d CPUs, GOMAXPROCS %d, %s\n",
		m.GoVersion, m.GOOS, m.GOARCH, m.CPUs, m.GOMAXPROCS, m.Time.Format(time.RFC3339))
	r.writeRegistration(w)
	r.writeSetup(w)
	for _, md := range r.Media {
		r.writeMedia(w, md)
	}
	r.writeCodecRatios(w)
	if c := r.Capacity; c != nil {
		fmt.Fprintf(w, "\ncapacity: %s calls, %.0f s a step\tdelivered\tsent on time\tCPU per call-second\t\n", c.Codec, c.Seconds)
		for _, st := range c.Steps {
			verdict := ""
			if !st.Passed {
				verdict = " (below 99 %)"
			}
			fmt.Fprintf(w, "  %d calls%s\t%.3f %%\t%.3f %%\t%.2f ms\t\n", st.Calls, verdict, st.DeliveredPercent, st.SentPercent, st.CPUMillisPerCallSecond)
		}
		most := fmt.Sprintf("%d", c.MaxCalls)
		if c.Capped {
			most = fmt.Sprintf("at least %d (the -capacity-max)", c.MaxCalls)
		}
		fmt.Fprintf(w, "  most calls with >= 99 %% delivered\t%s\t\t\t\n", most)
	}
	if p := r.Playout; p != nil {
		fmt.Fprintf(w, "\nplayout: one %s call on loopback, source to far sink\tn\tmedian\tp99\tmax\t\n", p.Codec)
		writeLatency(w, "  added delay", p.Delay)
		fmt.Fprintf(w, "  jitter buffer target delay\t\t%.0f ms\t\t\t\n", p.TargetDelayMS)
	}
	r.writeIdle(w)
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets (reported, not asserted)\tvalue\tgoal\t\t")
		for _, t := range r.Targets {
			rel, verdict := "<=", "met"
			if t.AtLeast {
				rel = ">="
			}
			if !t.Met {
				verdict = "NOT MET"
			}
			fmt.Fprintf(w, "  %s\t%.2f %s\t%s %g %s\t%s\t\n", t.Name, t.Value, t.Unit, rel, t.Limit, t.Unit, verdict)
		}
	}
	w.Flush()
}

func writeLatency(w io.Writer, name string, l latency) {
	fmt.Fprintf(w, "%s\t%d\t%.2f ms\t%.2f ms\t%.2f ms\t\n", name, l.N, l.MedianMS, l.P99MS, l.MaxMS)
}

func (r *report) writeMedia(w io.Writer, md *mediaReport) {
	sdk, raw := md.SDK, md.Raw
	fmt.Fprintf(w, "\nmedia: %d calls, %s both ways, %.1f s\tSDK\traw pion\tSDK / raw\t\n", sdk.Calls, md.Codec, sdk.Seconds)
	row := func(name, format string, v func(mediaStats) float64, ratio float64) {
		fmt.Fprintf(w, "  %s\t"+format+"\t", name, v(sdk))
		if raw == nil {
			fmt.Fprintln(w, "\t\t")
			return
		}
		fmt.Fprintf(w, format+"\t", v(*raw))
		if ratio > 0 {
			fmt.Fprintf(w, "%.2fx", ratio)
		}
		fmt.Fprintln(w, "\t")
	}
	row("CPU per call-second", "%.2f ms", func(s mediaStats) float64 { return s.CPUMillisPerCallSecond }, md.RatioCPU)
	row("frames delivered", "%.3f %%", func(s mediaStats) float64 { return s.DeliveredPercent }, 0)
	row("frames sent", "%.0f", func(s mediaStats) float64 { return float64(s.FramesSent) }, 0)
	row("frames expected (20 ms pacing)", "%.0f", func(s mediaStats) float64 { return float64(s.FramesExpected) }, 0)
	row("heap per call", "%.1f KiB", func(s mediaStats) float64 { return s.HeapKiBPerCall }, md.RatioHeap)
	row("goroutines per call", "%.2f", func(s mediaStats) float64 { return s.GoroutinesPerCall }, md.RatioGoroutines)
}

// writeCodecRatios writes what an Opus call costs next to a PCMU call,
// when the run measured both.
func (r *report) writeCodecRatios(w io.Writer) {
	var opus, pcmu *mediaReport
	for _, m := range r.Media {
		switch m.Codec {
		case codecOpus:
			opus = m
		case codecPCMU:
			pcmu = m
		}
	}
	if opus == nil || pcmu == nil {
		return
	}
	fmt.Fprintf(w, "\nOpus / PCMU\tSDK\traw pion\t\t\n")
	row := func(name string, v func(mediaStats) float64) {
		fmt.Fprintf(w, "  %s\t%.2fx\t", name, ratio(v(opus.SDK), v(pcmu.SDK)))
		if opus.Raw != nil && pcmu.Raw != nil {
			fmt.Fprintf(w, "%.2fx", ratio(v(*opus.Raw), v(*pcmu.Raw)))
		}
		fmt.Fprintln(w, "\t\t")
	}
	row("CPU per call-second", func(s mediaStats) float64 { return s.CPUMillisPerCallSecond })
	row("heap per call", func(s mediaStats) float64 { return s.HeapKiBPerCall })
}

package main

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// capacityPass is the share of frames, in percent, a step of the capacity
// search must deliver (and its sources send on time) to pass.
const capacityPass = 99.0

// capacityReport is the capacity part: the most concurrent SDK calls of
// one codec this machine carries with capacityPass % of frames delivered,
// found by trying Step, 2*Step, ... calls up to Max and stopping at the
// first step that falls short.
type capacityReport struct {
	Codec   string         `json:"codec"`
	Step    int            `json:"step"`
	Max     int            `json:"max"`
	Seconds float64        `json:"seconds"` // each step talks this long
	Steps   []capacityStep `json:"steps"`
	// MaxCalls is the largest passing step; 0 when even the first failed.
	MaxCalls int `json:"max_calls"`
	// Capped is true when every step up to Max passed: the machine
	// carries at least MaxCalls.
	Capped bool `json:"capped"`
}

// capacityStep is one step of the search.
type capacityStep struct {
	Calls int `json:"calls"`
	// DeliveredPercent is the frames the sinks received over those the
	// sources sent; SentPercent the frames the sources sent over what
	// 20 ms pacing should have produced (an overloaded sender falls
	// behind).
	DeliveredPercent       float64 `json:"delivered_percent"`
	SentPercent            float64 `json:"sent_percent"`
	CPUMillisPerCallSecond float64 `json:"cpu_ms_per_call_second"`
	Passed                 bool    `json:"passed"`
}

// measureCapacity runs the search for codec.
func measureCapacity(ctx context.Context, codec string, step, limit int, d time.Duration, say func(string, ...any)) (*capacityReport, error) {
	r := &capacityReport{Codec: codec, Step: step, Max: limit, Seconds: d.Seconds()}
	err := withCodec(codec, func() error {
		for calls := step; calls <= limit; calls += step {
			say("capacity: %d concurrent %s calls for %v", calls, codec, d)
			s, err := measureMedia(ctx, calls, d)
			if err != nil {
				return fmt.Errorf("%d calls: %w", calls, err)
			}
			runtime.GC() // the previous step's garbage is not the next one's load
			st := capacityStep{
				Calls: calls, DeliveredPercent: s.DeliveredPercent,
				SentPercent:            100 * float64(s.FramesSent) / float64(max(s.FramesExpected, 1)),
				CPUMillisPerCallSecond: s.CPUMillisPerCallSecond,
			}
			st.Passed = st.DeliveredPercent >= capacityPass && st.SentPercent >= capacityPass
			r.Steps = append(r.Steps, st)
			if !st.Passed {
				return nil
			}
			r.MaxCalls = calls
		}
		r.Capped = true
		return nil
	})
	return r, err
}

package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

const (
	// framesPerSecond is the pace of the SDK's audio: one frame per 20 ms.
	framesPerSecond = 50
	// deliveryGrace is how long the sinks may keep receiving frames sent
	// before the sources went quiet.
	deliveryGrace = 500 * time.Millisecond
	// toneHz divides the sample rate into a whole number of samples per
	// frame, so that repeating one frame makes a continuous tone.
	toneHz = 400
)

// Codecs of the media parts, as named by -codecs.
const (
	codecOpus = "opus"
	codecPCMU = "pcmu"
)

var allCodecs = []string{codecOpus, codecPCMU}

// withCodec runs f with every client and raw peer built for codec (Opus
// first with PCMU as the fallback, as the SDK's default, or PCMU only),
// and then restores the -pcmu setting. The parts run one at a time.
func withCodec(codec string, f func() error) error {
	saved := pcmuOnly
	pcmuOnly = codec == codecPCMU
	defer func() { pcmuOnly = saved }()
	return f()
}

// runMedia measures the media part for each codec of cfg, SDK and (with
// the raw part) raw pion, then the capacity and playout parts if asked.
func runMedia(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	for _, codec := range cfg.Codecs {
		err := withCodec(codec, func() error {
			say("media: %d concurrent SDK calls for %v (%s)", cfg.MediaCalls, cfg.MediaDuration, codec)
			sdk, err := measureMedia(ctx, cfg.MediaCalls, cfg.MediaDuration)
			if err != nil {
				return fmt.Errorf("media (%s): %w", codec, err)
			}
			md := &mediaReport{Codec: codec, SDK: sdk}
			if cfg.has(partRaw) {
				say("media: %d concurrent raw pion calls for %v (%s)", cfg.MediaCalls, cfg.MediaDuration, codec)
				raw, err := measureRawMedia(ctx, cfg.MediaCalls, cfg.MediaDuration)
				if err != nil {
					return fmt.Errorf("raw media (%s): %w", codec, err)
				}
				md.Raw = &raw
			}
			rep.Media = append(rep.Media, md)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runCapacity and runPlayout measure the capacity and playout parts for
// the first codec of cfg.
func runCapacity(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	r, err := measureCapacity(ctx, cfg.Codecs[0], cfg.CapacityStep, cfg.CapacityMax, cfg.CapacityDuration, say)
	if err != nil {
		return fmt.Errorf("capacity: %w", err)
	}
	rep.Capacity = r
	return nil
}

func runPlayout(ctx context.Context, cfg config, rep *report, say func(string, ...any)) error {
	say("playout: one %s call, tone bursts for %v", cfg.Codecs[0], cfg.MediaDuration)
	r, err := measurePlayout(ctx, cfg.Codecs[0], cfg.MediaDuration)
	if err != nil {
		return fmt.Errorf("playout: %w", err)
	}
	rep.Playout = r
	return nil
}

// mediaReport is the media part of one codec, SDK and raw, and their
// ratios.
type mediaReport struct {
	Codec string      `json:"codec"`
	SDK   mediaStats  `json:"sdk"`
	Raw   *mediaStats `json:"raw,omitempty"`
	// Ratios are SDK / raw; zero when raw pion was not measured.
	RatioCPU        float64 `json:"ratio_cpu,omitempty"`
	RatioHeap       float64 `json:"ratio_heap,omitempty"`
	RatioGoroutines float64 `json:"ratio_goroutines,omitempty"`
}

// mediaStats is what concurrent calls cost while they talk.
type mediaStats struct {
	Calls   int     `json:"calls"`
	Seconds float64 `json:"seconds"` // the measured window
	// CPUMillisPerCallSecond is process CPU time (user+sys) over the
	// window, per call and second; 0 where getrusage is not available.
	CPUMillisPerCallSecond float64 `json:"cpu_ms_per_call_second"`
	// FramesExpected is what the senders' 20 ms pacing should produce in
	// the window, both directions of every call.
	FramesExpected    int64   `json:"frames_expected"`
	FramesSent        int64   `json:"frames_sent"`     // frames the sources produced
	FramesReceived    int64   `json:"frames_received"` // of those, frames a sink received
	DeliveredPercent  float64 `json:"delivered_percent"`
	HeapKiBPerCall    float64 `json:"heap_kib_per_call"`
	GoroutinesPerCall float64 `json:"goroutines_per_call"`
}

// measureMedia sets up calls concurrent calls between pairs of clients,
// lets them talk for d and measures them (see meter.talk).
func measureMedia(ctx context.Context, calls int, d time.Duration) (_ mediaStats, err error) {
	srv := ocratest.NewServer()
	defer release(&err, func() error { return closeServer(srv) })
	callers, _, err := startClients(ctx, srv, "caller", calls, fleetParallelism)
	if err != nil {
		return mediaStats{}, err
	}
	// Terminating the clients hangs up their calls.
	defer release(&err, func() error { return terminateAll(callers) })
	callees, _, err := startClients(ctx, srv, "callee", calls, fleetParallelism)
	if err != nil {
		return mediaStats{}, err
	}
	defer release(&err, func() error { return terminateAll(callees) })

	m := &meter{}
	calleesUp := make(chan struct{}, calls)
	for _, c := range callees {
		answerCalls(c, func(c *call.Call) {
			m.attach(c)
			c.AddListener(&call.ListenerFuncs{OnCallEstablishedFunc: func(*call.Call) { calleesUp <- struct{}{} }})
		})
	}
	base := takeFootprint()
	err = forEach(calls, fleetParallelism, func(i int) error {
		_, _, err := dial(ctx, callers[i], callees[i].UserID(), m.attach)
		return err
	})
	if err != nil {
		return mediaStats{}, err
	}
	deadline := time.After(stepTimeout)
	for range calls {
		select {
		case <-calleesUp:
		case <-deadline:
			return mediaStats{}, fmt.Errorf("a callee's side was not established %v after its caller's", stepTimeout)
		}
	}
	return m.talk(ctx, calls, d, base)
}

// meter is both the audio source and the audio sink of every call of a
// media run; it is safe for concurrent use. While it is on, it sends a tone
// and counts the frames it sends; otherwise it sends silence. As a sink it
// counts the frames that carry the tone: the tone frames that arrived.
type meter struct {
	on       atomic.Bool
	sent     atomic.Int64
	received atomic.Int64
}

// toneFrame is one frame of a continuous tone, at a quarter of full scale.
var toneFrame = func() []int16 {
	f := make([]int16, audio.FrameSize)
	_ = audio.Tone(toneHz, 0.25).ReadFrame(f) // a tone never ends
	return f
}()

// ReadFrame is the source side: the tone while the meter is on, silence
// otherwise.
func (m *meter) ReadFrame(frame []int16) error {
	if !m.on.Load() {
		clear(frame)
		return nil
	}
	for i := range frame {
		frame[i] = toneFrame[i%len(toneFrame)]
	}
	m.sent.Add(1)
	return nil
}

// toneFrameRMS is the RMS level a received frame must reach to count as a
// tone frame: 70 % of the tone's. Opus delays the audio by 6.5 ms, so the
// tone of n frames spreads over n+1 received frames: the first holds 13.5
// ms of it (82 % of the level), the last 6.5 ms (57 %), so this counts n.
// Opus's silence decodes to a few least significant bits, not zeros.
var toneFrameRMS = 0.7 * audio.RMS(toneFrame)

// WriteFrame is the sink side: it counts frames that carry the tone.
func (m *meter) WriteFrame(frame []int16) error {
	if audio.RMS(frame) >= toneFrameRMS {
		m.received.Add(1)
	}
	return nil
}

// attach makes the meter c's audio source and sink.
func (m *meter) attach(c *call.Call) {
	c.SetAudioSource(m)
	c.SetAudioSink(m)
}

// talk measures calls established calls that use the meter: it turns the
// tone on for d, measuring process CPU meanwhile, turns it off, gives the
// last frames deliveryGrace to arrive and then takes the heap and
// goroutines, relative to base.
func (m *meter) talk(ctx context.Context, calls int, d time.Duration, base footprint) (mediaStats, error) {
	cpu0 := processCPU()
	begin := time.Now()
	m.on.Store(true)
	err := sleep(ctx, d)
	m.on.Store(false)
	window := time.Since(begin)
	cpu := processCPU() - cpu0
	if err != nil {
		return mediaStats{}, err
	}
	if err := sleep(ctx, deliveryGrace); err != nil {
		return mediaStats{}, err
	}
	heap, goroutines := takeFootprint().per(base, calls)
	s := mediaStats{
		Calls:                  calls,
		Seconds:                window.Seconds(),
		CPUMillisPerCallSecond: ms(cpu) / float64(calls) / window.Seconds(),
		FramesExpected:         int64(2 * float64(calls) * window.Seconds() * framesPerSecond),
		FramesSent:             m.sent.Load(),
		FramesReceived:         m.received.Load(),
		HeapKiBPerCall:         heap,
		GoroutinesPerCall:      goroutines,
	}
	if s.FramesSent > 0 {
		s.DeliveredPercent = 100 * float64(s.FramesReceived) / float64(s.FramesSent)
	}
	return s, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestShortRun runs the tool as CI would, with tiny sizes, and checks that
// the JSON has every section with sane figures.
func TestShortRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	var out, log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := runMain(ctx, []string{"-short", "-clients", "3", "-setup-calls", "3", "-latency", "5ms", "-latency-calls", "2",
		"-calls", "2", "-t", "1s", "-idle", "5", "-json", path}, &out, &log)
	require.NoError(t, err, log.String())
	assert.Contains(t, log.String(), "# media: 2 concurrent SDK calls for 1s (opus)", "progress")
	assert.Contains(t, log.String(), "# media: 2 concurrent SDK calls for 1s (pcmu)", "both codecs by default")
	assert.Contains(t, log.String(), "# setup (websocket, 5ms per reply and delivery): 2 SDK calls", "progress")

	for _, heading := range []string{"registration:", "call setup:", "media:", "Opus / PCMU", "capacity:", "playout:", "idle:", "targets",
		"PubNub / WebSocket", "WebSocket, 5 ms per reply and delivery", "setup with latency = "} {
		assert.Contains(t, out.String(), heading, "the table")
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var sections map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &sections))
	for _, s := range []string{"machine", "config", "registration", "setup", "media", "capacity", "playout", "idle", "targets"} {
		assert.Contains(t, sections, s)
	}
	assert.Contains(t, string(sections["setup"]), `"sdk_phases_ms"`)
	var r report
	require.NoError(t, json.Unmarshal(raw, &r))
	assert.Equal(t, allTransports, r.Config.Transports)

	require.Len(t, r.Registration, 2, "a registration run per transport")
	for i, want := range allTransports {
		reg := r.Registration[i]
		assert.Equal(t, want, reg.Transport)
		checkLatency(t, want+" sequential registration", reg.Sequential, 3)
		checkLatency(t, want+" concurrent registration", reg.Concurrent, 3)
	}

	s := r.Setup
	require.NotNil(t, s)
	require.Len(t, s.Runs, 6, "loopback, latency, and latency with ringing setup per transport")
	for i, want := range []struct {
		transport string
		latency   float64
		n         int
	}{{transportPubNub, 0, 3}, {transportWebSocket, 0, 3}, {transportPubNub, 5, 2}, {transportWebSocket, 5, 2}} {
		run := s.Runs[i]
		what := fmt.Sprintf("%s setup, %g ms latency", want.transport, want.latency)
		assert.Equal(t, want.transport, run.Transport, what)
		assert.Equal(t, want.latency, run.LatencyMS, what)
		checkLatency(t, what, run.SDK, want.n)
		p := run.Phases
		assert.Equal(t, want.n, run.AnswerToEstablished.N, what)
		assert.Positive(t, run.AnswerToEstablished.MedianMS, what)
		assert.LessOrEqual(t, run.AnswerToEstablished.MedianMS, run.SDK.MedianMS, "%s: the answer comes after CallUser", what)
		assert.Positive(t, p.Progressing, what)
		assert.True(t, p.Progressing <= p.Ringing && p.Ringing <= p.Answered && p.Answered <= p.Established,
			"%s: the steps of a call come in order: %+v", what, p)
		if want.latency == 0 {
			require.NotNil(t, run.Raw, what)
			checkLatency(t, what+", raw pion", *run.Raw, want.n)
			assert.InDelta(t, run.SDK.MedianMS/run.Raw.MedianMS, run.RatioRawMedian, 1e-9, what)
			assert.Positive(t, run.RatioRawP99, what)
			assert.Zero(t, run.Delays, what)
			continue
		}
		assert.Nil(t, run.Raw, "%s: raw pion only on loopback", what)
		assert.InDelta(t, run.SDK.MedianMS/5, run.Delays, 1e-9, what)
		// A call needs several round trips through the server, each
		// delayed: at least two delays, whatever the machine.
		assert.GreaterOrEqual(t, run.Delays, 2.0, what)
		assert.InDelta(t, (run.SDK.MedianMS-s.Runs[i-2].SDK.MedianMS)/5, run.DelaysOverLoopback, 1e-9, what)
	}
	assert.InDelta(t, s.Runs[0].SDK.MedianMS/s.Runs[1].SDK.MedianMS, s.RatioPubNubMedian, 1e-9)
	assert.Positive(t, s.RatioPubNubP99)
	for i, transport := range []string{transportPubNub, transportWebSocket} {
		run := s.Runs[4+i]
		what := transport + " setup with latency and ringing"
		assert.Equal(t, transport, run.Transport, what)
		assert.Equal(t, 5.0, run.LatencyMS, what)
		assert.Equal(t, 20.0, run.RingMS, what)
		checkLatency(t, what, run.SDK, 2)
		assert.Equal(t, 2, run.AnswerToEstablished.N, what)
		assert.Positive(t, run.AnswerToEstablished.MedianMS, what)
		assert.Greater(t, run.SDK.MedianMS, run.RingMS, "%s: setup includes the ringing", what)
	}

	require.Len(t, r.Media, 2, "Opus and PCMU")
	for i, codec := range []string{codecOpus, codecPCMU} {
		m := r.Media[i]
		assert.Equal(t, codec, m.Codec)
		require.NotNil(t, m.Raw)
		checkMedia(t, codec+" SDK media", m.SDK)
		checkMedia(t, codec+" raw media", *m.Raw)
		assert.InDelta(t, m.SDK.CPUMillisPerCallSecond/m.Raw.CPUMillisPerCallSecond, m.RatioCPU, 1e-9)
		assert.Positive(t, m.RatioHeap)
		assert.Positive(t, m.RatioGoroutines)
	}
	assert.Greater(t, r.Media[0].SDK.HeapKiBPerCall, r.Media[1].SDK.HeapKiBPerCall, "an Opus call holds more than a PCMU call: its codec state")

	require.NotNil(t, r.Capacity)
	assert.Equal(t, codecOpus, r.Capacity.Codec)
	require.NotEmpty(t, r.Capacity.Steps)
	assert.Equal(t, 2, r.Capacity.Steps[0].Calls, "the search starts at -capacity-step")
	for i, st := range r.Capacity.Steps {
		assert.Equal(t, 2*(i+1), st.Calls, "steps of -capacity-step")
		assert.Equal(t, st.DeliveredPercent >= 99 && st.SentPercent >= 99, st.Passed)
		if !st.Passed {
			assert.Equal(t, len(r.Capacity.Steps)-1, i, "the search stops at the first step that falls short")
		} else {
			assert.LessOrEqual(t, st.Calls, r.Capacity.MaxCalls)
		}
	}

	require.NotNil(t, r.Playout)
	assert.Positive(t, r.Playout.Delay.N, "tone bursts were heard")
	assert.Positive(t, r.Playout.Delay.MedianMS)
	assert.Less(t, r.Playout.Delay.MaxMS, 500.0, "a burst is heard before the next is sent")
	assert.GreaterOrEqual(t, r.Playout.TargetDelayMS, 20.0, "the jitter buffer's floor")

	require.Len(t, r.Idle, 2, "an idle run per transport")
	for i, want := range allTransports {
		idle := r.Idle[i]
		assert.Equal(t, want, idle.Transport)
		assert.Equal(t, 5, idle.Clients, want)
		assert.Positive(t, idle.HeapKiBPerClient, want)
		assert.Positive(t, idle.GoroutinesPerClient, want)
	}

	// Per transport: Start, setup, setup / raw median and p99, setup and
	// answer to established with latency, answer to established with
	// latency and ringing, idle heap; then PubNub / WebSocket, media's two
	// per codec, capacity and playout.
	assert.Len(t, r.Targets, 2*8+1+2*2+2, "a target per goal")
}

func checkLatency(t *testing.T, what string, l latency, n int) {
	t.Helper()
	assert.Equal(t, n, l.N, what)
	assert.Positive(t, l.MedianMS, what)
	assert.LessOrEqual(t, l.MedianMS, l.P99MS, what)
	assert.LessOrEqual(t, l.P99MS, l.MaxMS, what)
}

func checkMedia(t *testing.T, what string, s mediaStats) {
	t.Helper()
	assert.Equal(t, 2, s.Calls, what)
	assert.GreaterOrEqual(t, s.Seconds, 1.0, what)
	assert.Positive(t, s.CPUMillisPerCallSecond, what)
	assert.Positive(t, s.FramesExpected, what)
	assert.Positive(t, s.FramesSent, what)
	assert.Positive(t, s.FramesReceived, what)
	assert.LessOrEqual(t, s.FramesReceived, s.FramesSent, "%s: a sink counts only frames a source sent", what)
	assert.InDelta(t, 100*float64(s.FramesReceived)/float64(s.FramesSent), s.DeliveredPercent, 1e-9, what)
	assert.Positive(t, s.HeapKiBPerCall, what)
	assert.Positive(t, s.GoroutinesPerCall, what)
}

func TestJSONToStdoutReplacesTheTable(t *testing.T) {
	var out, log bytes.Buffer
	err := runMain(context.Background(), []string{"-parts", "registration", "-clients", "2", "-json", "-"}, &out, &log)
	require.NoError(t, err, log.String())
	var r report
	require.NoError(t, json.Unmarshal(out.Bytes(), &r), "stdout is only the JSON document")
	require.Len(t, r.Registration, 2)
	assert.Nil(t, r.Setup, "a part not asked for is left out")
	assert.Equal(t, []string{"registration"}, r.Config.Parts)
}

func TestOneTransportWithoutLatency(t *testing.T) {
	var out, log bytes.Buffer
	err := runMain(context.Background(), []string{"-parts", "setup", "-transports", "websocket", "-latency", "0",
		"-setup-calls", "2", "-json", "-"}, &out, &log)
	require.NoError(t, err, log.String())
	var r report
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	require.NotNil(t, r.Setup)
	require.Len(t, r.Setup.Runs, 1, "-latency 0 leaves out the latency rows")
	assert.Equal(t, transportWebSocket, r.Setup.Runs[0].Transport)
	assert.Zero(t, r.Setup.RatioPubNubMedian, "no ratio without both transports")
	assert.Nil(t, r.Setup.Runs[0].Raw, "raw pion only with the raw part")
}

func TestFlags(t *testing.T) {
	t.Cleanup(func() { pcmuOnly, opusComplexity = false, 0 })
	o, err := parseFlags([]string{"-short", "-calls", "7"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 7, o.MediaCalls, "an explicit size wins over -short")
	assert.Equal(t, shortConfig.IdleClients, o.IdleClients)
	assert.Equal(t, shortConfig.MediaDuration, o.MediaDuration)
	assert.Equal(t, allParts, o.Parts)
	assert.Equal(t, allTransports, o.Transports, "both transports by default")
	assert.Equal(t, 25*time.Millisecond, o.Latency)
	assert.Equal(t, shortConfig.LatencyCalls, o.LatencyCalls)

	o, err = parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, fullConfig.IdleClients, o.IdleClients)
	assert.Equal(t, []string{codecOpus, codecPCMU}, o.Codecs, "both codecs by default")

	o, err = parseFlags([]string{"-pcmu"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{codecPCMU}, o.Codecs, "-pcmu: PCMU only")
	pcmuOnly = false

	assert.Equal(t, fullConfig.LatencyCalls, o.LatencyCalls)

	o, err = parseFlags([]string{"-transports", " WebSocket ,pubnub,websocket", "-latency", "0"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{transportWebSocket, transportPubNub}, o.Transports, "in the order given, once each")
	assert.Zero(t, o.Latency)

	for _, args := range [][]string{
		{"-parts", "setup,bogus"},
		{"-parts", ","},
		{"-calls", "0"},
		{"-codecs", "opus,g729"},
		{"-opus-complexity", "11"},
		{"-capacity-step", "50", "-capacity-max", "40"},
		{"-t", "-1s"},
		{"-transports", "carrier-pigeon"},
		{"-transports", ","},
		{"-latency", "-1ms"},
		{"-latency-calls", "0"},
		{"extra"},
	} {
		_, err := parseFlags(args, &bytes.Buffer{})
		assert.Error(t, err, "%q", args)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, latency{N: 100, MedianMS: 50, P99MS: 99, MaxMS: 100}, summarize(d))
	assert.Equal(t, latency{N: 1, MedianMS: 3, P99MS: 3, MaxMS: 3}, summarize([]time.Duration{3 * time.Millisecond}))
	assert.Equal(t, time.Duration(100)*time.Millisecond, d[0], "summarize leaves its input alone")
}

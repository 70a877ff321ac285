package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	err := runMain(ctx, []string{"-short", "-clients", "3", "-setup-calls", "3", "-calls", "2", "-t", "1s", "-idle", "5", "-json", path}, &out, &log)
	require.NoError(t, err, log.String())
	assert.Contains(t, log.String(), "# media: 2 concurrent SDK calls for 1s", "progress")

	for _, heading := range []string{"registration:", "call setup:", "media:", "idle:", "targets"} {
		assert.Contains(t, out.String(), heading, "the table")
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var sections map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &sections))
	for _, s := range []string{"machine", "config", "registration", "setup", "media", "idle", "targets"} {
		assert.Contains(t, sections, s)
	}
	assert.Contains(t, string(sections["setup"]), `"sdk_phases_ms"`)
	var r report
	require.NoError(t, json.Unmarshal(raw, &r))

	require.NotNil(t, r.Registration)
	checkLatency(t, "sequential registration", r.Registration.Sequential, 3)
	checkLatency(t, "concurrent registration", r.Registration.Concurrent, 3)

	require.NotNil(t, r.Setup)
	require.NotNil(t, r.Setup.Raw)
	checkLatency(t, "SDK setup", r.Setup.SDK, 3)
	checkLatency(t, "raw setup", *r.Setup.Raw, 3)
	assert.InDelta(t, r.Setup.SDK.MedianMS/r.Setup.Raw.MedianMS, r.Setup.RatioMedian, 1e-9)
	assert.Positive(t, r.Setup.RatioP99)
	p := r.Setup.Phases
	assert.Positive(t, p.Progressing)
	assert.True(t, p.Progressing <= p.Ringing && p.Ringing <= p.Answered && p.Answered <= p.Established,
		"the steps of a call come in order: %+v", p)

	require.NotNil(t, r.Media)
	require.NotNil(t, r.Media.Raw)
	checkMedia(t, "SDK media", r.Media.SDK)
	checkMedia(t, "raw media", *r.Media.Raw)
	assert.InDelta(t, r.Media.SDK.CPUMillisPerCallSecond/r.Media.Raw.CPUMillisPerCallSecond, r.Media.RatioCPU, 1e-9)
	assert.Positive(t, r.Media.RatioHeap)
	assert.Positive(t, r.Media.RatioGoroutines)

	require.NotNil(t, r.Idle)
	assert.Equal(t, 5, r.Idle.Clients)
	assert.Positive(t, r.Idle.HeapKiBPerClient)
	assert.Positive(t, r.Idle.GoroutinesPerClient)

	assert.Len(t, r.Targets, 6, "a target per goal")
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
	require.NotNil(t, r.Registration)
	assert.Nil(t, r.Setup, "a part not asked for is left out")
	assert.Equal(t, []string{"registration"}, r.Config.Parts)
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-short", "-calls", "7"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 7, o.MediaCalls, "an explicit size wins over -short")
	assert.Equal(t, shortConfig.IdleClients, o.IdleClients)
	assert.Equal(t, shortConfig.MediaDuration, o.MediaDuration)
	assert.Equal(t, allParts, o.Parts)

	o, err = parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, fullConfig.IdleClients, o.IdleClients)

	for _, args := range [][]string{
		{"-parts", "setup,bogus"},
		{"-parts", ","},
		{"-calls", "0"},
		{"-t", "-1s"},
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

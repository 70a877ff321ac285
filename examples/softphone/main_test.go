package main

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/audio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEchoOfAWAV: the test WAV (2 s of 1 kHz at 16 kHz) piped through a
// call to the embedded echoing bob comes back on stdout as 1 kHz, about as
// long as it went in.
func TestEchoOfAWAV(t *testing.T) {
	wav, err := os.ReadFile("testdata/tone1k-16k.wav")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	f := audio.Format{SampleRate: 16000, Channels: 1}
	require.NoError(t, run(ctx, options{user: "softphone", to: "bob", format: f, expect: 1000}, bytes.NewReader(wav), &out))
	seconds := float64(out.Len()) / 2 / 16000
	assert.InDelta(t, 2.5, seconds, 1, "the echo of 2 s, and the call's last half second")
}

func TestRefusesBadFlags(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	assert.ErrorContains(t, run(ctx, options{format: audio.Narrowband}, nil, &out), "-call USER or -answer")
	assert.ErrorContains(t, run(ctx, options{to: "bob", answer: true, format: audio.Narrowband}, nil, &out), "-call USER or -answer")
	assert.ErrorContains(t, run(ctx, options{to: "bob", format: audio.Format{SampleRate: 7000, Channels: 1}}, nil, &out), "7000")
}

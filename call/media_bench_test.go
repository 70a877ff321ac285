package call_test

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// benchCalls is how many bidirectional PCMU calls the media CPU benchmarks
// run at once, both ends in this process.
const benchCalls = 100

// cpuTime returns the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU reports the process CPU time per second of call (one call is
// both of its ends) while calls run, one second per iteration.
func measureCPU(b *testing.B, calls int) {
	var cpu, wall time.Duration
	b.ResetTimer()
	for b.Loop() {
		c0, t0 := cpuTime(b), time.Now()
		time.Sleep(time.Second)
		cpu += cpuTime(b) - c0
		wall += time.Since(t0)
	}
	b.ReportMetric(float64(cpu.Microseconds())/(float64(calls)*wall.Seconds()), "cpu-µs/call-s")
}

// BenchmarkMediaCPU measures the CPU that 100 established SDK calls take:
// each end sends a tone and plays what it receives into a sink that drops
// it (run with -benchtime=3x for three seconds).
func BenchmarkMediaCPU(b *testing.B) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(b, srv, "alice")
	bob := startClient(b, srv, "bob")
	drop := audio.SinkFunc(func([]int16) {})
	incoming := onIncoming(bob, func(c *call.Call) {
		c.SetAudioSource(audio.Tone(880, 0.5))
		c.SetAudioSink(drop)
		answer(c)
	})
	var calls []*call.Call
	for range benchCalls {
		out, rec := dial(b, alice, "bob", nil)
		out.SetAudioSource(audio.Tone(440, 0.5))
		out.SetAudioSink(drop)
		next(b, incoming).rec.waitEstablished(b)
		rec.waitEstablished(b)
		calls = append(calls, out)
	}
	measureCPU(b, benchCalls)
	b.StopTimer()
	for _, c := range calls {
		require.NoError(b, c.Hangup())
	}
}

// BenchmarkRawPionMediaCPU is the floor under BenchmarkMediaCPU: 100 pairs
// of peer connections of the same API, connected in memory, moving the
// same frames with the same rtc.AudioSender and rtc.AudioReceiver both
// ways, without signalling, call state or quality monitoring.
func BenchmarkRawPionMediaCPU(b *testing.B) {
	api, err := rtc.NewAPI(rtc.Config{Loopback: true})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range benchCalls {
		rawMediaPair(ctx, b, api, &wg)
	}
	measureCPU(b, benchCalls)
	b.StopTimer()
	cancel()
	wg.Wait()
}

// rawMediaPair connects two peer connections that send each other a tone
// and drop what they receive, until ctx is done; they are closed when the
// benchmark ends.
func rawMediaPair(ctx context.Context, b *testing.B, api *webrtc.API, wg *sync.WaitGroup) {
	var pcs [2]*webrtc.PeerConnection
	connected := make(chan struct{}, 2)
	for i, freq := range []float64{440, 880} {
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		require.NoError(b, err)
		b.Cleanup(func() { _ = pc.Close() })
		track := rtc.NewPCMUTrack("audio", "raw")
		_, err = pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		require.NoError(b, err)
		tone := audio.Tone(freq, 0.5)
		sender := rtc.NewAudioSender(track, func(frame []int16) { _ = tone.ReadFrame(frame) })
		wg.Go(func() { _ = sender.Run(ctx) })
		pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			r := rtc.NewAudioReceiver(t, func([]int16) {})
			wg.Go(func() { _ = r.Run(ctx) })
		})
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				connected <- struct{}{}
			}
		})
		pcs[i] = pc
	}
	connectInMemory(b, pcs, connected)
}

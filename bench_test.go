package sinch_test

import (
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// startClient builds and starts a client of user against srv, waits until
// OnClientStarted and returns how long that took from Start.
func startClient(tb testing.TB, srv *ocratest.Server, user string) (*sinch.SinchClient, time.Duration) {
	tb.Helper()
	c, err := sinchtest.Builder(srv, user).Build()
	if err != nil {
		tb.Fatal(err)
	}
	started := make(chan time.Time, 1)
	c.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(user)) },
		OnClientStartedFunc:       func(*sinch.SinchClient) { started <- time.Now() },
		OnClientFailedFunc:        func(_ *sinch.SinchClient, err error) { tb.Error(err); started <- time.Time{} },
	})
	begin := time.Now()
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	at := <-started
	return c, at.Sub(begin)
}

// BenchmarkStart measures Start() to OnClientStarted on loopback against an
// in-process ocratest server, one client after another; it reports the
// median and p99 next to the mean that ns/op gives.
func BenchmarkStart(b *testing.B) {
	srv := ocratest.NewServer()
	defer srv.Close()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		c, d := startClient(b, srv, "user"+strconv.Itoa(i))
		took = append(took, d)
		b.StopTimer()
		c.Terminate()
		b.StartTimer()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkIdleClients starts 200 clients in one process and reports the
// heap and goroutines each idle started client costs (the server's share
// included, since it runs in the same process).
func BenchmarkIdleClients(b *testing.B) {
	const n = 200
	for b.Loop() {
		srv := ocratest.NewServer()
		before := heapInUse()
		goroutines := runtime.NumGoroutine()
		clients := make([]*sinch.SinchClient, n)
		for i := range clients {
			clients[i], _ = startClient(b, srv, "idle"+strconv.Itoa(i))
		}
		b.ReportMetric(float64(heapInUse()-before)/n/1024, "KiB-heap/client")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/n, "goroutines/client")
		for _, c := range clients {
			c.Terminate()
		}
		srv.Close()
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

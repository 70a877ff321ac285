package main

import (
	"context"
	"runtime"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// idleReport is what a started client without calls costs, the server's
// share included (it runs in the same process).
type idleReport struct {
	Transport           string  `json:"transport"`
	Clients             int     `json:"clients"`
	HeapKiBPerClient    float64 `json:"heap_kib_per_client"`
	GoroutinesPerClient float64 `json:"goroutines_per_client"`
}

// measureIdle starts n clients against one server made with opts and measures the heap
// and goroutines they add.
func measureIdle(ctx context.Context, n int, opts ...ocratest.Option) (_ *idleReport, err error) {
	srv := ocratest.NewServer(opts...)
	defer release(&err, func() error { return closeServer(srv) })
	base := takeFootprint()
	clients, _, err := startClients(ctx, srv, "idle", n, fleetParallelism)
	if err != nil {
		return nil, err
	}
	defer release(&err, func() error { return terminateAll(clients) })
	heap, goroutines := takeFootprint().per(base, n)
	return &idleReport{Clients: n, HeapKiBPerClient: heap, GoroutinesPerClient: goroutines}, nil
}

// footprint is the live heap and the goroutines of the process.
type footprint struct {
	heap       uint64 // bytes, runtime.MemStats.HeapAlloc after garbage collection
	goroutines int
}

func takeFootprint() footprint {
	// The second collection frees what finalizers of the first released.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
}

// per returns how much heap (KiB) and how many goroutines each of n units
// added since base.
func (f footprint) per(base footprint, n int) (heapKiB, goroutines float64) {
	heap := float64(int64(f.heap)-int64(base.heap)) / 1024
	return heap / float64(n), float64(f.goroutines-base.goroutines) / float64(n)
}

package dispatch

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunsInPostOrderOnOneGoroutine(t *testing.T) {
	q := New()
	var got []int
	const n = 10000
	var wg sync.WaitGroup
	wg.Add(1)
	for i := 0; i < n; i++ {
		q.Post(func() {
			got = append(got, i) // no lock: the race detector proves one goroutine
			if i == n-1 {
				wg.Done()
			}
		})
	}
	wg.Wait()
	q.Close()
	<-q.Done()
	require.Len(t, got, n)
	for i, v := range got {
		require.Equal(t, i, v)
	}
}

func TestPostNeverBlocksOnASlowCallback(t *testing.T) {
	q := New()
	release := make(chan struct{})
	q.Post(func() { <-release })
	posted := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			q.Post(func() {})
		}
		close(posted)
	}()
	select {
	case <-posted:
	case <-time.After(10 * time.Second):
		t.Fatal("Post blocked behind a slow callback")
	}
	close(release)
	q.Close()
	<-q.Done()
}

func TestCloseFromCallbackRunsWhatWasPostedAndDropsTheRest(t *testing.T) {
	q := New()
	var ran []string
	gate := make(chan struct{})
	q.Post(func() { <-gate }) // both functions below are queued before either runs
	q.Post(func() {
		ran = append(ran, "first")
		q.Close()
		require.False(t, q.Post(func() { ran = append(ran, "late") }))
	})
	q.Post(func() { ran = append(ran, "second") })
	close(gate)
	<-q.Done()
	require.Equal(t, []string{"first", "second"}, ran)
}

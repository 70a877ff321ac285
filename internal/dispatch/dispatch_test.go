package dispatch

import (
	"bytes"
	"log/slog"
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

// TestPanickingCallbackIsRecoveredAndLogged: a panic in a callback is
// logged at Error with its stack, and the callbacks after it still run.
func TestPanickingCallbackIsRecoveredAndLogged(t *testing.T) {
	var logs safeBuffer
	q := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	q.Post(func() { panic("listener bug") })
	ran := make(chan struct{})
	q.Post(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the callback after a panicking one did not run")
	}
	q.Close()
	<-q.Done()
	out := logs.String()
	require.Contains(t, out, "level=ERROR")
	require.Contains(t, out, "listener bug")
	require.Contains(t, out, "dispatch_test.go", "the log carries the stack of the panic")
}

// safeBuffer is a bytes.Buffer safe for concurrent use.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

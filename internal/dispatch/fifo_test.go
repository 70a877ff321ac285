package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFIFOKeepsOrderAcrossProducers: items of each producer come out in
// the order it pushed them, none lost, none twice.
func TestFIFOKeepsOrderAcrossProducers(t *testing.T) {
	q := NewFIFO[[2]int]()
	const producers, n = 4, 2000
	for p := range producers {
		go func() {
			for i := range n {
				q.Push([2]int{p, i})
			}
		}()
	}
	next := make([]int, producers)
	deadline := time.After(10 * time.Second)
	for got := 0; got < producers*n; {
		select {
		case <-q.Ready():
		case <-deadline:
			t.Fatalf("only %d of %d items arrived", got, producers*n)
		}
		items, closed := q.Take()
		require.False(t, closed)
		for _, it := range items {
			require.Equal(t, next[it[0]], it[1], "producer %d out of order", it[0])
			next[it[0]]++
			got++
		}
	}
}

// TestFIFOCloseKeepsWhatWasPushedAndRefusesMore: Close wakes the consumer,
// which still gets the items pushed before it, and nothing after.
func TestFIFOCloseKeepsWhatWasPushedAndRefusesMore(t *testing.T) {
	q := NewFIFO[string]()
	require.True(t, q.Push("a"))
	require.True(t, q.Push("b"))
	q.Close()
	require.False(t, q.Push("late"))
	<-q.Ready()
	items, closed := q.Take()
	require.True(t, closed)
	require.Equal(t, []string{"a", "b"}, items)

	empty := NewFIFO[int]()
	empty.Close()
	select {
	case <-empty.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("Close of an empty FIFO did not wake its consumer")
	}
	items2, closed := empty.Take()
	require.True(t, closed)
	require.Empty(t, items2)
}

// TestFIFOPushNeverBlocks: a consumer that never takes does not hold up
// producers.
func TestFIFOPushNeverBlocks(t *testing.T) {
	q := NewFIFO[int]()
	done := make(chan struct{})
	go func() {
		for i := range 100000 {
			q.Push(i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Push blocked")
	}
	items, _ := q.Take()
	require.Len(t, items, 100000)
}

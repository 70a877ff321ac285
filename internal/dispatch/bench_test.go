package dispatch

import "testing"

// BenchmarkListenersEach: delivering one event to a set of 3 listeners,
// each checked for membership as its turn comes.
func BenchmarkListenersEach(b *testing.B) {
	var s Listeners[listener]
	var got []string
	for _, n := range []string{"a", "b", "c"} {
		s.Add(&rec{n, &got})
	}
	f := func(listener) {}
	b.ReportAllocs()
	for b.Loop() {
		s.Each(f)
	}
}

// BenchmarkQueuePostAndRun: posting a callback and running it on the
// queue's goroutine.
func BenchmarkQueuePostAndRun(b *testing.B) {
	q := New()
	done := make(chan struct{})
	b.ReportAllocs()
	for b.Loop() {
		q.Post(func() {})
	}
	q.Post(func() { close(done) })
	<-done
	q.Close()
	<-q.Done()
}

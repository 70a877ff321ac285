package dispatch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type listener interface{ On(string) }

type rec struct {
	name string
	got  *[]string
}

func (r *rec) On(ev string) { *r.got = append(*r.got, r.name+":"+ev) }

// byValue is a comparable listener passed by value.
type byValue struct{ name string }

func (byValue) On(string) {}

// funcs is an incomparable listener passed by value.
type funcs struct{ f func(string) }

func (v funcs) On(ev string) { v.f(ev) }

// boxed is a comparable type that may hold an incomparable value.
type boxed struct{ v any }

func (boxed) On(string) {}

func deliver(s *Listeners[listener], ev string) { s.Each(func(l listener) { l.On(ev) }) }

func TestListenersAddIgnoresNilTypedNilAndDuplicates(t *testing.T) {
	var s Listeners[listener]
	var got []string
	a := &rec{"a", &got}
	assert.False(t, s.Add(nil))
	assert.False(t, s.Add((*rec)(nil)), "a typed nil could take no callback")
	assert.True(t, s.Add(a))
	assert.False(t, s.Add(a), "the same pointer twice")
	assert.True(t, s.Add(byValue{"x"}))
	assert.False(t, s.Add(byValue{"x"}), "an equal comparable value")
	assert.True(t, s.Add(funcs{func(string) {}}))
	assert.True(t, s.Add(funcs{func(string) {}}), "incomparable values are never the same, and do not panic")
	assert.True(t, s.Add(boxed{[]int{1}}))
	assert.True(t, s.Add(boxed{[]int{1}}), "a comparable type holding a slice does not panic")
	assert.Equal(t, 6, s.Len())
	s.Remove(funcs{func(string) {}})
	s.Remove(nil)
	s.Remove(a)
	assert.Equal(t, 5, s.Len())
	deliver(&s, "e")
	assert.Empty(t, got, "a removed listener gets nothing")
}

// TestListenersRemoveStopsCallbacksNotYetStarted is the set's rule: a
// listener removed by an earlier listener of the same event does not get
// it, nor anything later.
func TestListenersRemoveStopsCallbacksNotYetStarted(t *testing.T) {
	var s Listeners[listener]
	var got []string
	a, b, c := &rec{"a", &got}, &rec{"b", &got}, &rec{"c", &got}
	s.Add(a)
	s.Add(&removeOn{target: b, set: &s, got: &got})
	s.Add(b)
	s.Add(c)
	deliver(&s, "1")
	deliver(&s, "2")
	assert.Equal(t, []string{"a:1", "remover:1", "c:1", "a:2", "remover:2", "c:2"}, got)
}

type removeOn struct {
	target listener
	set    *Listeners[listener]
	got    *[]string
}

func (r *removeOn) On(ev string) {
	*r.got = append(*r.got, "remover:"+ev)
	r.set.Remove(r.target)
}

// TestListenersAddDuringDeliveryGetsTheNextEvent: a listener added while
// an event is delivered does not get that event, and gets the next.
func TestListenersAddDuringDeliveryGetsTheNextEvent(t *testing.T) {
	var s Listeners[listener]
	var got []string
	late := &rec{"late", &got}
	s.Add(&adder{set: &s, l: late, got: &got})
	deliver(&s, "1")
	deliver(&s, "2")
	assert.Equal(t, []string{"adder:1", "adder:2", "late:2"}, got)
}

type adder struct {
	set *Listeners[listener]
	l   listener
	got *[]string
}

func (a *adder) On(ev string) {
	*a.got = append(*a.got, "adder:"+ev)
	a.set.Add(a.l)
}

// TestListenersAddBetweenQueueingAndDelivery: with Each run on a Queue,
// a listener added after an event was queued and before it ran gets it.
func TestListenersAddBetweenQueueingAndDelivery(t *testing.T) {
	var s Listeners[listener]
	var got []string
	q := New()
	gate := make(chan struct{})
	q.Post(func() { <-gate })
	q.Post(func() { deliver(&s, "queued") })
	s.Add(&rec{"added", &got})
	close(gate)
	q.Close()
	<-q.Done()
	assert.Equal(t, []string{"added:queued"}, got)
}

type dtmf interface {
	OnDTMF(k byte)
	OnKeyUp()
}

type nearMiss struct{}

func (nearMiss) On(string)      {}
func (nearMiss) OnDTMF(k rune)  {}
func (nearMiss) Other(x, y int) {}
func (nearMiss) OnKeyUp()       {}

type fine struct{}

func (fine) On(string)     {}
func (fine) OnDTMF(k byte) {}
func (fine) OnKeyUp()      {}

func TestNearMissesNamesTheWrongSignature(t *testing.T) {
	got := NearMisses(nearMiss{}, (*dtmf)(nil))
	require.Len(t, got, 1, "OnKeyUp matches: only OnDTMF is a near miss")
	assert.True(t, strings.Contains(got[0], "OnDTMF(int32)") && strings.Contains(got[0], "OnDTMF(uint8)"), got[0])
	assert.Contains(t, got[0], "never be called")
	assert.Empty(t, NearMisses(fine{}, (*dtmf)(nil)))
	assert.Empty(t, NearMisses(byValue{}, (*dtmf)(nil)), "no method of that name: not a near miss")
	assert.Empty(t, NearMisses(nil, (*dtmf)(nil)))
}

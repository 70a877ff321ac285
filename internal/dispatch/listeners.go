package dispatch

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Listeners is the SDK's one listener set: a client's, a call controller's
// and a call's listeners are each one. It keeps listeners of type L in the
// order they were added and is safe for concurrent use; its zero value is
// empty and ready.
//
// Its rule, the one every AddListener and RemoveListener of the SDK
// documents: a change takes effect for the callbacks that have not started
// yet. Each decides, listener by listener as their turns come, who is in
// the set, so after Remove(l) returns l gets no callback that had not
// started, even of an event whose delivery is under way; a listener added
// gets every event delivered after Add returns, including events that
// happened before and were still queued, but not the one being delivered
// while it was added.
type Listeners[L any] struct {
	mu   sync.Mutex
	list []L
}

// Add appends l and reports whether it did: a nil l, a nil pointer (which
// could take no callback) and a listener already in the set are ignored.
func (s *Listeners[L]) Add(l L) bool {
	if isNil(l) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.list, func(x L) bool { return same(x, l) }) {
		return false
	}
	s.list = append(s.list, l)
	return true
}

// Remove deletes l if it is in the set.
func (s *Listeners[L]) Remove(l L) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = slices.DeleteFunc(s.list, func(x L) bool { return same(x, l) })
}

// Len returns how many listeners the set holds.
func (s *Listeners[L]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.list)
}

// Each calls f with every listener that was in the set when Each began and
// still is when its turn comes, in the order they were added. f runs
// without the set's lock held, so it may Add and Remove.
func (s *Listeners[L]) Each(f func(L)) {
	s.mu.Lock()
	ls := slices.Clone(s.list)
	s.mu.Unlock()
	for _, l := range ls {
		if s.has(l) {
			f(l)
		}
	}
}

func (s *Listeners[L]) has(l L) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.list, func(x L) bool { return same(x, l) })
}

// isNil reports whether v is nil or a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// same compares two listeners without panicking on values that are not
// comparable (such as a struct of funcs passed by value, or a comparable
// type holding an incomparable value in an interface field).
func same(a, b any) (eq bool) {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || ta == nil || !ta.Comparable() {
		return false
	}
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}

// NearMisses describes each optional listener interface that l does not
// implement although it has a method of that interface's name, so that a
// typo in a signature (OnCallDTMF(c *Call, key rune)) is reported instead
// of never being called. Each optional value is a nil pointer to the
// interface: (*DTMFListener)(nil). It returns nil when there is none.
func NearMisses(l any, optional ...any) []string {
	if isNil(l) {
		return nil
	}
	lt := reflect.TypeOf(l)
	var out []string
	for _, o := range optional {
		it := reflect.TypeOf(o).Elem()
		if lt.Implements(it) {
			continue
		}
		for i := range it.NumMethod() {
			want := it.Method(i)
			got, ok := lt.MethodByName(want.Name)
			if !ok || sameSignature(got.Type, want.Type) {
				continue
			}
			out = append(out, fmt.Sprintf("%v has method %s%s, but %v wants %s%s: it will never be called",
				lt, want.Name, strings.TrimPrefix(methodSig(got), "func"), it, want.Name, strings.TrimPrefix(want.Type.String(), "func")))
		}
	}
	return out
}

// sameSignature reports whether method m (its receiver first) has the
// signature of the interface method f.
func sameSignature(m, f reflect.Type) bool {
	if m.NumIn()-1 != f.NumIn() || m.NumOut() != f.NumOut() || m.IsVariadic() != f.IsVariadic() {
		return false
	}
	for i := range f.NumIn() {
		if m.In(i+1) != f.In(i) {
			return false
		}
	}
	for i := range f.NumOut() {
		if m.Out(i) != f.Out(i) {
			return false
		}
	}
	return true
}

// methodSig is a method's signature without its receiver.
func methodSig(m reflect.Method) string {
	t := m.Type
	in := make([]string, 0, t.NumIn())
	for i := 1; i < t.NumIn(); i++ {
		in = append(in, t.In(i).String())
	}
	out := make([]string, 0, t.NumOut())
	for i := range t.NumOut() {
		out = append(out, t.Out(i).String())
	}
	s := "func(" + strings.Join(in, ", ") + ")"
	switch len(out) {
	case 0:
	case 1:
		s += " " + out[0]
	default:
		s += " (" + strings.Join(out, ", ") + ")"
	}
	return s
}

// Package hook lets package sinch build the controllers of packages call,
// audio and video, which export no constructor: a user gets each
// controller from its SinchClient and has no use for one of their own.
//
// Each of those packages provides its constructor from init; package sinch
// gets it, by the constructor's exact function type, while its own package
// variables are initialised. Go runs the init functions of every imported
// package first, so a constructor is always there by then; one that is
// missing, or provided with another type, panics at program start, before
// any client exists, and every test of package sinch sees it.
//
// The hook is keyed by type because it cannot be a typed variable: such a
// variable would have to name *audio.Controller in a package that package
// audio imports to set it, an import cycle.
package hook

import (
	"fmt"
	"reflect"
	"sync"
)

var (
	mu    sync.Mutex
	ctors = map[reflect.Type]any{}
)

// Provide registers f as the constructor of its function type F. It is
// called once per F, from the init of the package whose type f builds.
func Provide[F any](f F) {
	t := reflect.TypeFor[F]()
	if t.Kind() != reflect.Func || reflect.ValueOf(f).IsNil() {
		panic(fmt.Sprintf("hook: Provide takes a non-nil function, not a %v", t))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := ctors[t]; dup {
		panic(fmt.Sprintf("hook: a constructor of type %v is already provided", t))
	}
	ctors[t] = f
}

// Get returns the constructor provided with type F. It panics when there
// is none: a package imported for its constructor did not provide one of
// exactly that type.
func Get[F any]() F {
	t := reflect.TypeFor[F]()
	mu.Lock()
	defer mu.Unlock()
	f, ok := ctors[t]
	if !ok {
		panic(fmt.Sprintf("hook: no constructor of type %v is provided", t))
	}
	return f.(F)
}

package hook

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type widget struct{ name string }

func TestProvideAndGet(t *testing.T) {
	Provide(func(name string) *widget { return &widget{name} })
	w := Get[func(string) *widget]()("w1")
	require.Equal(t, "w1", w.name)

	require.PanicsWithValue(t, "hook: no constructor of type func(int) *hook.widget is provided",
		func() { Get[func(int) *widget]() }, "a constructor of another type is not found")
	require.PanicsWithValue(t, "hook: a constructor of type func(string) *hook.widget is already provided",
		func() { Provide(func(string) *widget { return nil }) })
	require.PanicsWithValue(t, "hook: Provide takes a non-nil function, not a int", func() { Provide(3) })
	require.Panics(t, func() { Provide[func()](nil) })
}

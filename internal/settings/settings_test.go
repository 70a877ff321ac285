package settings

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

func TestFactory(t *testing.T) {
	var f Factory[string]
	require.Equal(t, "", f.For("c1"), "the zero value makes zero values")
	f.Set(func(id string) string { return "for " + id })
	require.Equal(t, "for c1", f.For("c1"))
	f.Set(nil)
	require.Equal(t, "", f.For("c1"))
}

func TestLive(t *testing.T) {
	done := make(chan struct{})
	require.NoError(t, Live(done, "audio", "mute"))
	close(done)
	err := Live(done, "audio", "mute")
	require.True(t, errors.Is(err, errs.ErrClientTerminated))
	require.Equal(t, "audio: mute: sinch: client terminated", err.Error())
}

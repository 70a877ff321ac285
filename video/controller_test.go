package video

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// TestControllerDefaults: a new video call gets no source and no sink
// until a factory is set, the factory's while it is; after the client
// terminates, changes are refused.
func TestControllerDefaults(t *testing.T) {
	done := make(chan struct{})
	c, d := newController(done)
	require.Nil(t, d.SourceFor("c1"))
	require.Nil(t, d.SinkFor("c1"))

	var src Source = &IVFSource{}
	sink := SinkFunc(func(Frame) {})
	require.NoError(t, c.SetSourceFactory(func(string) Source { return src }))
	require.NoError(t, c.SetSinkFactory(func(string) Sink { return sink }))
	require.Equal(t, src, d.SourceFor("c2"))
	require.NotNil(t, d.SinkFor("c2"))
	require.NoError(t, c.SetSourceFactory(nil))
	require.Nil(t, d.SourceFor("c3"))

	close(done)
	for _, err := range []error{c.SetSourceFactory(nil), c.SetSinkFactory(nil)} {
		require.True(t, errors.Is(err, errs.ErrClientTerminated), "%v", err)
	}
}

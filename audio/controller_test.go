package audio

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// TestControllerDefaults: a new call gets silence and no sink until a
// factory is set, the factory's source and sink while it is, and the
// defaults again once it is cleared; after the client terminates, changes
// are refused.
func TestControllerDefaults(t *testing.T) {
	done := make(chan struct{})
	c, d := newController(done)

	src, ok := d.SourceFor("c1").(silence)
	require.True(t, ok, "silence by default, got %T", src)
	require.Nil(t, d.SinkFor("c1"))

	tone := Tone(440, 0.5)
	var heard []string
	sink := SinkFunc(func([]int16) {})
	require.NoError(t, c.SetSourceFactory(func(id string) Source { heard = append(heard, id); return tone }))
	require.NoError(t, c.SetSinkFactory(func(string) Sink { return sink }))
	require.Equal(t, tone, d.SourceFor("c2"))
	require.NotNil(t, d.SinkFor("c2"))
	require.Equal(t, []string{"c2"}, heard, "the factory is asked with the call id")

	require.NoError(t, c.SetSourceFactory(nil))
	require.NoError(t, c.SetSinkFactory(nil))
	_, ok = d.SourceFor("c3").(silence)
	require.True(t, ok, "nil restores silence")
	require.Nil(t, d.SinkFor("c3"))

	require.NoError(t, c.Mute())
	require.True(t, c.IsMuted())
	close(done)
	for _, err := range []error{c.Mute(), c.Unmute(), c.SetSourceFactory(nil), c.SetSinkFactory(nil)} {
		require.True(t, errors.Is(err, errs.ErrClientTerminated), "%v", err)
	}
}

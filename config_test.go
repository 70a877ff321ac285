package sinch_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
)

// TestBuildReportsTheSameFirstBadFieldEveryTime: with two bad settings,
// Build names the same one every time (the settings are checked in a
// fixed order, not by ranging over a map).
func TestBuildReportsTheSameFirstBadFieldEveryTime(t *testing.T) {
	for name, tc := range map[string]struct {
		b    func() *sinch.SinchClientBuilder
		want string
	}{
		"two timeouts": {func() *sinch.SinchClientBuilder {
			return sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID("alice").
				PingInterval(-time.Second).CredentialsTimeout(-time.Second).MediaInactiveTimeout(-time.Second)
		}, "CredentialsTimeout must be positive"},
		"timeout and count": {func() *sinch.SinchClientBuilder {
			return sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID("alice").
				MaxIncomingCalls(-1).RequestTimeout(-time.Second)
		}, "RequestTimeout must be positive"},
		"key and user": {func() *sinch.SinchClientBuilder {
			return sinch.GetSinchClientBuilder().ApplicationKey("nope").UserID("a b")
		}, "ApplicationKey"},
	} {
		var first string
		for range 50 {
			_, err := tc.b().Build()
			require.ErrorIs(t, err, sinch.ErrInvalidArgument, name)
			if first == "" {
				first = err.Error()
				require.Contains(t, first, tc.want, name)
			}
			require.Equal(t, first, err.Error(), "%s: the first bad field changed between two Builds", name)
		}
	}
}

// TestZeroSettingsMeanTheDefaults: every optional setting set to its zero
// value builds, as if left unset.
func TestZeroSettingsMeanTheDefaults(t *testing.T) {
	c, err := sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID("alice").
		EnvironmentHost("").RequestTimeout(0).CredentialsTimeout(0).NoAnswerTimeouts(0, 0).
		CallSetupTimeout(0).MediaInactiveTimeout(0).PingInterval(0).MaxIncomingCalls(0).
		OpusComplexity(0).ReconnectDelay(nil).DeviceID("").Build()
	require.NoError(t, err)
	c.Terminate()
}

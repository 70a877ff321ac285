package sinch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/session"
)

// TestTheClientRunsOnTheDefaultsOfZeroSettings: what the client hands its
// registration and call engines is the default of every setting left at
// zero, one set of defaults for both.
func TestTheClientRunsOnTheDefaultsOfZeroSettings(t *testing.T) {
	c, err := GetSinchClientBuilder().ApplicationKey("a32e5a8d-f7d8-411c-9645-9038e8dd051d").UserID("alice").
		RequestTimeout(0).NoAnswerTimeouts(0, 0).Build()
	require.NoError(t, err)
	defer c.Terminate()
	s := clientSession{c}
	assert.Equal(t, session.Timeouts{
		OutboundNoAnswer: DefaultOutboundNoAnswer,
		InboundNoAnswer:  DefaultInboundNoAnswer,
		Setup:            DefaultCallSetupTimeout,
		MediaInactive:    DefaultMediaInactiveTimeout,
	}, s.Timeouts())
	assert.Equal(t, DefaultMaxIncomingCalls, s.MaxIncomingCalls())
	assert.NotEmpty(t, s.DeviceID(), "a random device id")
	cfg := c.settings
	assert.Equal(t, DefaultRequestTimeout, cfg.requestTimeout)
	assert.Equal(t, DefaultCredentialsTimeout, cfg.credentialsTimeout)
	assert.Equal(t, DefaultPingInterval, cfg.pingInterval)
	assert.Equal(t, DefaultMaxReconnects, cfg.maxReconnects)
	assert.Equal(t, DefaultEnvironmentHost, cfg.environmentHost)
	assert.NotNil(t, cfg.reconnectDelay)
	assert.NotNil(t, cfg.logger)
}

// TestBuilderChangesAfterBuildDoNotReachTheClient: the client keeps its
// own copy of the settings.
func TestBuilderChangesAfterBuildDoNotReachTheClient(t *testing.T) {
	b := GetSinchClientBuilder().ApplicationKey("a32e5a8d-f7d8-411c-9645-9038e8dd051d").UserID("alice")
	c, err := b.Build()
	require.NoError(t, err)
	defer c.Terminate()
	b.UserID("bob").MaxIncomingCalls(3)
	assert.Equal(t, "alice", c.UserID())
	assert.Equal(t, DefaultMaxIncomingCalls, clientSession{c}.MaxIncomingCalls())
}

package ocratest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConferenceMixesTheOthers(t *testing.T) {
	srv := newServer(t)
	tones := []float64{toneA, toneB, toneC}
	parties := make([]*tracked, len(tones))
	for i, hz := range tones {
		client := startClient(t, srv, fmt.Sprintf("user%d", i))
		c, err := client.CallController().CallConference("standup", nil)
		require.NoError(t, err)
		assert.Equal(t, "standup", c.RemoteUserID())
		parties[i] = track(c, hz)
	}
	for _, p := range parties {
		p.waitEstablished(t)
	}
	require.Eventually(t, func() bool { return srv.ConferenceParticipants("standup") == 3 }, waitTimeout, 10*time.Millisecond)

	// Each hears both others, well above its own voice.
	for _, p := range parties {
		p.listen(t, time.Second)
	}
	for i, p := range parties {
		own := p.hears.Power(tones[i])
		for j, hz := range tones {
			if j != i {
				assert.Greater(t, p.hears.Power(hz), 100*own+1, "participant %d hears %v Hz", i, hz)
			}
		}
	}

	// The last one leaves: the others stop hearing its tone.
	leaver := parties[2]
	require.NoError(t, leaver.Hangup())
	leaver.waitEnded(t)
	require.Eventually(t, func() bool { return srv.ConferenceParticipants("standup") == 2 }, waitTimeout, 10*time.Millisecond)
	for i, p := range parties[:2] {
		p.listen(t, time.Second)
		other := tones[1-i]
		assert.Greater(t, p.hears.Power(other), 100*p.hears.Power(toneC)+1, "participant %d still hears %v Hz, not the one that left", i, other)
	}
}

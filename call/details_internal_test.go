package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The durations follow Sinch's CallDetails: setup to Progressing, notifying
// to Ringing, ringing to the answer (the acceptance, inbound), connecting to
// Established.
func TestDetailsDurationsAreSinchs(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	out := Details{
		StartedTime: t0, ProgressedTime: at(100), RungTime: at(300), AnsweredTime: at(2300),
		EstablishedTime: at(2800), EndedTime: at(12800),
	}.withDurations(at(99999))
	assert.Equal(t, 100*time.Millisecond, out.SetupDuration)
	assert.Equal(t, 200*time.Millisecond, out.NotifyingDuration)
	assert.Equal(t, 2*time.Second, out.RingingDuration)
	assert.Equal(t, 500*time.Millisecond, out.ConnectingDuration)
	assert.Equal(t, 10*time.Second, out.Duration)

	in := Details{
		StartedTime: t0, RungTime: t0, AcceptedTime: at(1500), AnsweredTime: at(1510),
		EstablishedTime: at(1700), EndedTime: at(5000),
	}.withDurations(at(99999))
	assert.Zero(t, in.SetupDuration, "inbound calls have no setup duration")
	assert.Zero(t, in.NotifyingDuration)
	assert.Equal(t, 1500*time.Millisecond, in.RingingDuration, "an inbound call rings until the user accepts it")
	assert.Equal(t, 190*time.Millisecond, in.ConnectingDuration)

	ringing := Details{StartedTime: t0, ProgressedTime: at(50), RungTime: at(100)}.withDurations(at(1100))
	assert.Equal(t, time.Second, ringing.RingingDuration, "a call still ringing has rung until now")
	assert.Zero(t, ringing.ConnectingDuration)
	assert.Zero(t, ringing.Duration)

	unanswered := Details{StartedTime: t0, RungTime: at(100), EndedTime: at(600)}.withDurations(at(9999))
	assert.Equal(t, 500*time.Millisecond, unanswered.RingingDuration, "an unanswered call rang until it ended")
	assert.Zero(t, unanswered.SetupDuration, "a call that never progressed has no setup duration")
}

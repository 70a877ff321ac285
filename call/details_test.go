package call_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A user answering after a while sees every step's time and Sinch's
// durations on both sides, and the requested media.
func TestDetailsOfAnAnsweredCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, nil)

	out, outRec := dial(t, alice, "bob", nil)
	in := next(t, incoming)
	const ringFor = 300 * time.Millisecond
	time.Sleep(ringFor)
	before := time.Now()
	assert.NoError(t, in.call.Answer())
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)
	assert.NoError(t, out.Hangup())
	outRec.waitEnded(t)
	in.rec.waitEnded(t)

	o, i := out.Details(), in.call.Details()
	for _, d := range []call.Details{o, i} {
		assert.True(t, d.RequestedAudio)
		assert.False(t, d.RequestedVideo)
		assert.Equal(t, d.EstablishedTime.Sub(d.AnsweredTime), d.ConnectingDuration)
		assert.Equal(t, d.EndedTime.Sub(d.EstablishedTime), d.Duration)
	}
	assertOrdered(t, o.StartedTime, o.ProgressedTime, o.RungTime, o.AnsweredTime, o.EstablishedTime, o.EndedTime)
	assert.Equal(t, o.ProgressedTime.Sub(o.StartedTime), o.SetupDuration, "Sinch's setup duration: to Progressing")
	assert.Equal(t, o.RungTime.Sub(o.ProgressedTime), o.NotifyingDuration)
	assert.True(t, o.AcceptedTime.IsZero(), "only the callee accepts")
	assert.Equal(t, o.AnsweredTime.Sub(o.RungTime), o.RingingDuration)
	// The caller hears of the ringing and of the answer each a message's
	// trip after bob: its ringing lasts about as long as bob waited.
	assert.Greater(t, o.RingingDuration, ringFor/2, "the caller heard it ring while bob waited")

	assertOrdered(t, i.StartedTime, i.AcceptedTime, i.AnsweredTime, i.EstablishedTime, i.EndedTime)
	assert.True(t, i.ProgressedTime.IsZero(), "inbound calls do not progress")
	assert.Zero(t, i.SetupDuration)
	assert.Zero(t, i.NotifyingDuration)
	assert.False(t, i.AcceptedTime.Before(before), "accepted when Answer was called")
	assert.Equal(t, i.AcceptedTime.Sub(i.RungTime), i.RingingDuration, "the callee's call rang until the user accepted it")
	assert.GreaterOrEqual(t, i.RingingDuration, ringFor)
}

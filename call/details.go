package call

import "time"

// Details describes a call: when each step happened, how it ended and what
// media it had. Times of steps that did not happen are zero.
type Details struct {
	StartedTime     time.Time // placed (outbound) or the Invite arrived (inbound)
	ProgressedTime  time.Time // outbound: the server accepted the call
	RungTime        time.Time // a callee device is ringing
	AnsweredTime    time.Time
	EstablishedTime time.Time // media connected
	EndedTime       time.Time

	// Duration runs from EstablishedTime to EndedTime (to now while the
	// call is established); zero for a call never established.
	Duration time.Duration
	// SetupDuration runs from StartedTime to EstablishedTime; zero for a
	// call never established.
	SetupDuration time.Duration
	// RingingDuration runs from RungTime to AnsweredTime (to EndedTime, or
	// now, for a call not answered); zero for a call that never rang.
	RingingDuration time.Duration

	EndCause EndCause // None until the call ends
	// Error says why a call ended with Failure (usually a
	// *sinch.SinchError); nil otherwise.
	Error error

	RequestedVideo bool // the call was placed as a video call
	HadAudio       bool // remote audio arrived
	HadVideo       bool // remote video arrived
}

// withDurations returns d with its durations computed at now.
func (d Details) withDurations(now time.Time) Details {
	end := now
	if !d.EndedTime.IsZero() {
		end = d.EndedTime
	}
	if !d.EstablishedTime.IsZero() {
		d.Duration = end.Sub(d.EstablishedTime)
		d.SetupDuration = d.EstablishedTime.Sub(d.StartedTime)
	}
	if !d.RungTime.IsZero() {
		stop := end
		if !d.AnsweredTime.IsZero() {
			stop = d.AnsweredTime
		}
		d.RingingDuration = stop.Sub(d.RungTime)
	}
	return d
}

package call

import "time"

// Details describes a call: when each step happened, how it ended and what
// media it had. Times of steps that did not happen are zero. The fields and
// their meaning follow the CallDetails of Sinch's JavaScript and Android
// SDKs; where this SDK differs, the field says so.
type Details struct {
	StartedTime    time.Time // placed (outbound) or the Invite arrived (inbound)
	ProgressedTime time.Time // outbound: the server accepted the call; zero inbound
	// RungTime is when a callee device started ringing: outbound, when the
	// callee said so; inbound, when the Invite arrived (StartedTime).
	RungTime time.Time
	// AcceptedTime is when the user accepted an inbound call (Answer was
	// called on a ringing call); zero on outbound calls.
	AcceptedTime    time.Time
	AnsweredTime    time.Time // the call was answered (both directions)
	EstablishedTime time.Time // media connected
	EndedTime       time.Time

	// Duration runs from EstablishedTime to EndedTime (to now while the
	// call is established); zero for a call never established.
	Duration time.Duration
	// SetupDuration is Sinch's: the time it took the server to take the
	// call, from StartedTime to ProgressedTime (onCallProgressing). Zero on
	// inbound calls and until the call progressed. (Before this SDK
	// followed Sinch, it ran to EstablishedTime: that time is now
	// SetupDuration + NotifyingDuration + RingingDuration +
	// ConnectingDuration on an answered outbound call.)
	SetupDuration time.Duration
	// NotifyingDuration runs from ProgressedTime to RungTime: how long the
	// callee's devices took to be reached. Zero on inbound calls and until
	// the call rang.
	NotifyingDuration time.Duration
	// RingingDuration is how long the call rang: outbound, from RungTime
	// to AnsweredTime; inbound, from RungTime (the Invite's arrival) to
	// AcceptedTime. A call not answered rang until EndedTime, or now while
	// it rings. Zero for a call that never rang.
	RingingDuration time.Duration
	// ConnectingDuration runs from AnsweredTime to EstablishedTime: how
	// long the media took to connect once the call was answered. Zero
	// until the call is established.
	ConnectingDuration time.Duration

	EndCause EndCause // None until the call ends
	// Error says why a call ended with Failure (usually a
	// *sinch.SinchError); nil otherwise.
	Error error

	RequestedAudio bool // the call was placed with audio: always true in this SDK
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
	d.Duration = span(d.EstablishedTime, end)
	d.SetupDuration = span(d.StartedTime, d.ProgressedTime)
	d.NotifyingDuration = span(d.ProgressedTime, d.RungTime)
	d.ConnectingDuration = span(d.AnsweredTime, d.EstablishedTime)
	if !d.RungTime.IsZero() {
		stop := end
		switch {
		case !d.AcceptedTime.IsZero():
			stop = d.AcceptedTime
		case !d.AnsweredTime.IsZero():
			stop = d.AnsweredTime
		}
		d.RingingDuration = span(d.RungTime, stop)
	}
	return d
}

// span is the time from from to to, zero when either is unset or to is
// before from.
func span(from, to time.Time) time.Duration {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return to.Sub(from)
}

// stampAccepted records that the user accepted the inbound call now.
func (a *actor) stampAccepted() {
	now := time.Now()
	a.c.update(func(d *Details) { d.AcceptedTime = now })
}

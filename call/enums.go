package call

import "strconv"

// State is where a call is in its life. A call moves forward only:
// outbound calls go Initiating, Progressing, Ringing, Answered, Established,
// Ended (any prefix, then Ended); inbound calls start Ringing.
type State int

// Call states, as in the JS SDK.
const (
	Initiating State = iota
	Progressing
	Ringing
	Answered
	Established
	Ended
)

var stateNames = [...]string{"Initiating", "Progressing", "Ringing", "Answered", "Established", "Ended"}

// String returns the state's name, such as "Ringing".
func (s State) String() string { return enumName(stateNames[:], int(s), "State") }

// EndCause says why a call ended.
type EndCause int

// End causes, as in the JS SDK.
const (
	// None: the call has not ended.
	None EndCause = iota
	// Timeout: the call timed out.
	Timeout
	// Denied: the callee declined the call.
	Denied
	// NoAnswer: nobody answered before the no-answer timeout.
	NoAnswer
	// Failure: the call failed; Details.Error says why.
	Failure
	// HungUp: a party hung up an answered call, or the client terminated.
	HungUp
	// Canceled: the caller hung up before the call was answered.
	Canceled
	// OtherDeviceAnswered: another device of the callee answered the call.
	OtherDeviceAnswered
	// Inactive: the call ended for lack of activity.
	Inactive
)

var endCauseNames = [...]string{
	"None", "Timeout", "Denied", "NoAnswer", "Failure", "HungUp", "Canceled", "OtherDeviceAnswered", "Inactive",
}

// String returns the end cause's name, such as "HungUp".
func (e EndCause) String() string { return enumName(endCauseNames[:], int(e), "EndCause") }

// Direction says which side placed a call.
type Direction int

// Call directions.
const (
	// Inbound: the remote user called this client.
	Inbound Direction = iota
	// Outbound: this client placed the call.
	Outbound
)

var directionNames = [...]string{"Inbound", "Outbound"}

// String returns "Inbound" or "Outbound".
func (d Direction) String() string { return enumName(directionNames[:], int(d), "Direction") }

// enumName returns names[v], or "Type(v)" for a value outside names.
func enumName(names []string, v int, typ string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(v) + ")"
}

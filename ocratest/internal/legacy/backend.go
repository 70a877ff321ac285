package legacy

import (
	"encoding/json"
	"errors"
)

// Instance is an instance of a 1.x client, as its backend created it.
type Instance struct {
	ID   string // the instance id
	User string // the user id, from the ticket
	// Channels, opaque names chosen by the backend. The client subscribes
	// Broadcast and Transport while it runs (Invites arrive on Broadcast),
	// and Signal while it has a call (everything after the Invite).
	Broadcast, Signal, Transport string
	// Key is the instance's MXP key (16, 24 or 32 bytes), which encrypts
	// the Invites sent to it.
	Key []byte
}

// Call is a call placed by a 1.x client: the body of POST calls/:domain.
type Call struct {
	ID     string // chosen by the client: a UUID
	Domain string // "data" for app-to-app calls; "pstn", "sip", "conference" otherwise
	// Callee is the destination's endpoint (a user id for data calls), of
	// type DestinationType ("username" or "number").
	Callee, DestinationType string
	// SubInstanceID is the caller's sub-instance: its MXP fi is
	// "<instance id>:<SubInstanceID>".
	SubInstanceID string
	Offer         SessionDescription // the caller's offer, without candidates
	HeadersJSON   string             // the custom headers as a JSON object; "" for none
	Video         bool
}

// Route is the backend's answer to a call.
type Route struct {
	// SignalChannel is the call's virtual channel: what the caller sends
	// before any callee device acknowledged the call (a Cancel) is
	// published there, and the backend passes it on to the callee devices.
	SignalChannel string
	Key           []byte          // the call's MXP key, also given to each callee in its Invite
	Instances     []RouteInstance // the callee devices the call was offered to
}

// RouteInstance is a callee device of a routed call.
type RouteInstance struct {
	ID           string   `json:"instanceId"`
	Capabilities []string `json:"capabilities"`
}

// ErrUserNotFound is what PlaceCall returns when the callee has no instance:
// the caller is answered 404 40400, and its call fails.
var ErrUserNotFound = errors.New("legacy: destination user not found")

// Backend is what is behind the facade: the fake Sinch that owns the
// instances and routes the calls. Its methods are called concurrently.
// What clients publish needs no backend: it goes through the PubNub origin
// (Config.PubNub), shared by 1.x clients and others; a backend reads a
// call's virtual channel there (pubnub.Server.Listen).
type Backend interface {
	// CreateInstance makes an instance for user, a 1.x client that just
	// presented a valid ticket. With renew set the client asks to keep
	// the instance of that id: the backend returns it (same channels and
	// key) if it is user's, or a new instance otherwise.
	CreateInstance(user, renew string) (Instance, error)
	// PlaceCall routes a call placed by the 1.x instance from: it sends
	// each callee device its Invite (for 1.x devices, the frames of
	// Invite.Frames given to Facade.Deliver on their broadcast channel),
	// or returns ErrUserNotFound.
	PlaceCall(from Instance, call Call) (Route, error)
	// CallReport receives the report a 1.x client sends when a call ends.
	CallReport(from Instance, callID string, report json.RawMessage)
}

// Package mxp is Sinch's MXP signalling, protocol version 10 (protocol.md
// section 5 as amended by real-wire.md section 2): text frames, multi-part
// split and reassembly, AES-CBC encryption, the short-key message model,
// and the rules both sides of a call follow: who a message is from (fi, fd,
// fu, fc), whom it is for (nvps.to) and the Joined client body. The golden
// fixtures in testdata/golden pin every message kind on the wire.
package mxp

import "strconv"

// ProtocolVersion is the MXP version this package speaks.
const ProtocolVersion = 10

// Method is an MXP message method.
type Method int

// MXP methods.
const (
	Invite    Method = 1
	Ack       Method = 2
	Join      Method = 3
	Joined    Method = 4
	Leave     Method = 5
	Deny      Method = 6
	Cancel    Method = 7
	Update    Method = 8
	Error     Method = 9
	PeerEvent Method = 10
)

// Body types.
const (
	BodyMedia     = "media"
	BodySDP       = "sdp"
	BodyClient    = "client"
	BodyErrorJSON = "error/json"
)

// Names of the name/value pairs (nvps).
const (
	NVPKey        = "key"
	NVPSDP        = "sdp"
	NVPHeaders    = "ph"
	NVPTo         = "to"
	NVPEarlyMedia = "earlymedia"
	NVPDenyAll    = "denyall"
	NVPVideo      = "video"
)

// Message is one MXP message, with the wire's short JSON keys.
type Message struct {
	Method   Method `json:"md"`
	BodyType string `json:"bt,omitempty"`
	Body     string `json:"bd,omitempty"`
	// Version is sent as bv; DecodeMessage sets it to ProtocolVersion when
	// a message has none, as Sinch's 2.x messages do not.
	Version           int    `json:"bv"`
	FromUser          string `json:"fu,omitempty"`
	FromID            string `json:"fi,omitempty"` // instanceId:subInstanceId
	FromInstance      string `json:"fd,omitempty"`
	FromSubInstance   string `json:"fsi,omitempty"`
	FromSignalChannel string `json:"fs,omitempty"`
	// FromC is fc, which Sinch's SDKs send empty: its meaning is not
	// public. It is always sent (empty unless a peer sent otherwise).
	FromC string            `json:"fc"`
	NVPs  map[string]string `json:"nvps,omitempty"`
}

// NVPDisplayName carries the caller's display name in an Invite (designed:
// Sinch sends it in the push payload, which this SDK does not use).
const NVPDisplayName = "dn"

var methodNames = [...]string{
	Invite:    "Invite",
	Ack:       "Ack",
	Join:      "Join",
	Joined:    "Joined",
	Leave:     "Leave",
	Deny:      "Deny",
	Cancel:    "Cancel",
	Update:    "Update",
	Error:     "Error",
	PeerEvent: "PeerEvent",
}

// String returns the method's name, such as "Invite", or "Method(n)" for a
// number outside the protocol.
func (m Method) String() string {
	if m.valid() {
		return methodNames[m]
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// valid reports whether m is one of the protocol's methods.
func (m Method) valid() bool {
	return m >= Invite && m <= PeerEvent
}

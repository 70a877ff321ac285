package legacy

import (
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
)

// SessionDescription is an SDP offer or answer as the SDK sends it.
type SessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// Invite is the MXP Invite that the server sends a callee device for a call
// (docs/sinch-rtc-1x.md section 7): who calls, from which device and signal
// channel, the call's key and the caller's offer.
type Invite struct {
	CallID       string
	CallerUser   string // fu: the user id the callee sees
	CallerFromID string // fi: "<instanceId>:<subInstanceId>"; the callee addresses its Join to it
	CallerDevice string // fd: the caller's instance id
	CallerSignal string // fs: the caller's signal channel; the callee sends everything there
	Key          []byte // the call's MXP key (16, 24 or 32 bytes)
	Offer        SessionDescription
	HeadersJSON  string // nvps.ph: the call's custom headers as a JSON object; "" for none
}

// inviteMessage is the Invite's JSON. Body is always present: a 1.x callee
// reads it as the media relay descriptor, "" meaning none, and fails on an
// Invite without it.
type inviteMessage struct {
	Method   int               `json:"md"`
	BodyType string            `json:"bt"`
	Body     string            `json:"bd"`
	Version  int               `json:"bv"`
	FromUser string            `json:"fu"`
	FromID   string            `json:"fi"`
	FromDev  string            `json:"fd"`
	FromCl   string            `json:"fc"`
	FromSig  string            `json:"fs"`
	NVPs     map[string]string `json:"nvps"`
}

// Frames encrypts the Invite with the callee instance's key and splits it
// into MXP frames, to deliver in order on the callee's broadcast channel.
func (inv Invite) Frames(calleeKey []byte) ([]string, error) {
	if inv.CallID == "" || inv.CallerFromID == "" || inv.CallerSignal == "" || len(inv.Key) == 0 {
		return nil, errors.New("legacy: an Invite needs a call id, the caller's fi and signal channel, and the call's key")
	}
	offer, err := json.Marshal(inv.Offer)
	if err != nil {
		return nil, err
	}
	nvps := map[string]string{
		mxp.NVPKey: base64.StdEncoding.EncodeToString(inv.Key),
		mxp.NVPSDP: string(offer),
	}
	if inv.HeadersJSON != "" {
		nvps[mxp.NVPHeaders] = inv.HeadersJSON
	}
	plain, err := json.Marshal(inviteMessage{
		Method: int(mxp.Invite), BodyType: mxp.BodyMedia, Body: "", Version: mxp.ProtocolVersion,
		FromUser: inv.CallerUser, FromID: inv.CallerFromID, FromDev: inv.CallerDevice,
		FromSig: inv.CallerSignal, NVPs: nvps,
	})
	if err != nil {
		return nil, err
	}
	payload, err := mxp.Seal(calleeKey, plain)
	if err != nil {
		return nil, err
	}
	return mxp.Split(inv.CallID, payload), nil
}

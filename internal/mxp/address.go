package mxp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultSubInstance is the sub-instance id of this SDK's clients and of
// ocratest's far ends. Sinch names a sender instanceId:subInstanceId (fi)
// so that several SDK sessions may share one registered instance; here
// every client registers an instance of its own, so an instance has exactly
// one sub-instance and its id is constant. A server that builds an Invite
// from POST /calls can therefore write the caller's fi without being told.
const DefaultSubInstance = "0"

// ClientDomain is the domain of an app client in a Joined body.
const ClientDomain = "mxp"

// FI returns the fi form of a device: "<instance>:<sub>".
func FI(instance, sub string) string { return instance + ":" + sub }

// InstanceOfFI returns the instance part of an fi, everything before its
// last colon; an id without a colon is returned as it is.
func InstanceOfFI(fi string) string {
	if i := strings.LastIndexByte(fi, ':'); i >= 0 {
		return fi[:i]
	}
	return fi
}

// Sender is who sends a message, as its from-fields name it.
type Sender struct {
	User          string // fu: the user id
	Instance      string // fd: the instance id
	SubInstance   string // the part of fi after the colon; "" is DefaultSubInstance
	SignalChannel string // fs: the channel the sender receives its messages on
}

// FI returns the sender's fi, "<instance>:<sub-instance>".
func (s Sender) FI() string { return FI(s.Instance, s.sub()) }

func (s Sender) sub() string {
	if s.SubInstance == "" {
		return DefaultSubInstance
	}
	return s.SubInstance
}

// From sets m's from-fields to s: fu, fi, fd, fs, and fc empty. It sends
// no fsi: a 1.x peer names a sender fi followed directly by fsi
// ("inst:0" + "0" = "inst:00"), so a sender that sends one is not the
// device its Invite or Ack named, and the peer files its candidates and
// hang-ups under an unknown device (docs/sinch-rtc-1x.md section 10, 4).
func (m *Message) From(s Sender) {
	m.FromUser = s.User
	m.FromID = s.FI()
	m.FromInstance = s.Instance
	m.FromSubInstance = ""
	m.FromSignalChannel = s.SignalChannel
	m.FromC = ""
}

// SenderInstance returns the instance id of m's sender: fd, else the
// instance part of fi.
func (m *Message) SenderInstance() string {
	if m.FromInstance != "" {
		return m.FromInstance
	}
	return InstanceOfFI(m.FromID)
}

// CarriesTo reports whether messages of method carry nvps.to: Leave,
// Cancel and Joined do not (real-wire.md section 2).
func CarriesTo(method Method) bool {
	return method != Leave && method != Cancel && method != Joined
}

// Address sets nvps.to to to, the far-end device the message is for in its
// fi form, on methods that carry it (CarriesTo). An empty to (the far end
// is not known yet), or a method that carries none, leaves to out.
func (m *Message) Address(to string) {
	if to == "" || !CarriesTo(m.Method) {
		delete(m.NVPs, NVPTo)
		return
	}
	if m.NVPs == nil {
		m.NVPs = make(map[string]string, 1)
	}
	m.NVPs[NVPTo] = to
}

// AddressedTo reports whether m is for the device whose fi and bare
// instance id are given: m has no to, or its to is either of them.
func (m *Message) AddressedTo(fi, instance string) bool {
	to := m.NVPs[NVPTo]
	return to == "" || to == fi || to == instance
}

// Client is the body of a Joined (bt "client"): the device that answered
// the call. It carries the keys of both generations of Sinch SDKs: 1.x
// names the device by its fi (and its user, fu), 2.x by
// Client{userId, instanceId, channel, domain}.
type Client struct {
	FI         string `json:"fi,omitempty"`
	FU         string `json:"fu,omitempty"`
	UserID     string `json:"userId,omitempty"`
	InstanceID string `json:"instanceId,omitempty"`
	Channel    string `json:"channel,omitempty"`
	Domain     string `json:"domain,omitempty"`
}

// ClientOf returns the Joined body that names the app device s.
func ClientOf(s Sender) Client {
	return Client{
		FI:         s.FI(),
		FU:         s.User,
		UserID:     s.User,
		InstanceID: s.Instance,
		Channel:    s.SignalChannel,
		Domain:     ClientDomain,
	}
}

// ParseClient decodes a Joined body of either shape. It fails when the
// body is not a JSON object or names no device (neither fi nor instanceId).
func ParseClient(body string) (Client, error) {
	var c Client
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return Client{}, fmt.Errorf("mxp: Joined body is not a client object: %w", err)
	}
	if c.FI == "" && c.InstanceID == "" {
		return Client{}, errors.New("mxp: Joined body names no device (no fi, no instanceId)")
	}
	return c, nil
}

// Names reports whether c names the device whose fi and bare instance id
// are given. The 1.x fi wins when present; else the 2.x instanceId decides.
// Either may come in the fi form or as the bare instance id.
func (c Client) Names(fi, instance string) bool {
	id := c.FI
	if id == "" {
		id = c.InstanceID
	}
	return id != "" && (id == fi || id == instance)
}

// NewSDP returns an Ack, Join or PeerEvent: bt "sdp" and the JSON of v, a
// session description {type, sdp} or an ICE candidate, as its body. Join
// carries the callee's answer again: 1.x peers handle Join by method and
// body type, and one without bt "sdp" is not implemented there.
func NewSDP(method Method, v any) (*Message, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mxp: encoding the %v body: %w", method, err)
	}
	return &Message{Method: method, BodyType: BodySDP, Body: string(b)}, nil
}

// NewJoined returns the Joined that tells every device of the callee which
// one answered.
func NewJoined(c Client) *Message {
	b, _ := json.Marshal(c) // a struct of strings always marshals
	return &Message{Method: Joined, BodyType: BodyClient, Body: string(b)}
}

// NewError returns an Error message (bt "error/json", {code, reason}).
func NewError(code int, reason string) *Message {
	b, _ := json.Marshal(struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	}{code, reason}) // always marshals
	return &Message{Method: Error, BodyType: BodyErrorJSON, Body: string(b)}
}

// InviteParams are what a server puts in the Invite of a call to one
// callee device.
type InviteParams struct {
	Offer       any               // the caller's SDP offer, {type, sdp}
	SessionKey  string            // base64 of the call's session key
	Headers     map[string]string // the call's public headers
	Video       bool
	DisplayName string // the caller's; "" sends none
}

// NewInvite returns the Invite of a call (bt "media"; nvps key, sdp, ph,
// video and dn). The sender and nvps.to are for the caller to set.
func NewInvite(in InviteParams) (*Message, error) {
	sdp, err := json.Marshal(in.Offer)
	if err != nil {
		return nil, fmt.Errorf("mxp: encoding the Invite's offer: %w", err)
	}
	headers := in.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	ph, err := json.Marshal(headers)
	if err != nil {
		return nil, fmt.Errorf("mxp: encoding the Invite's headers: %w", err)
	}
	nvps := map[string]string{
		NVPKey:     in.SessionKey,
		NVPSDP:     string(sdp),
		NVPHeaders: string(ph),
		NVPVideo:   strconv.FormatBool(in.Video),
	}
	if in.DisplayName != "" {
		nvps[NVPDisplayName] = in.DisplayName
	}
	return &Message{Method: Invite, BodyType: BodyMedia, NVPs: nvps}, nil
}

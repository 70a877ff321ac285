// Package ocra holds the Ocra REST wire types (protocol.md section 3), request
// signing (section 2) and the REST client the SDK uses. The fake server in
// package ocratest uses the same types, so client and server cannot drift.
package ocra

import (
	"fmt"
	"time"
)

// ContentTypeJSON is the content type of every JSON body, signed byte for byte.
const ContentTypeJSON = "application/json; charset=UTF-8"

// Error codes of protocol.md section 2.
const (
	CodeValidation         = 40001
	CodeMissingAuth        = 40100
	CodeBadTimestamp       = 40101
	CodeInvalidSignature   = 40102
	CodeInvalidToken       = 40103
	CodeWrongScheme        = 40301
	CodeNotFound           = 40400
	CodeInternal           = 50000
	CodeServiceUnavailable = 50300
)

// APIError is the error body Ocra answers with, plus the HTTP status.
//
// The client also makes one for an answer that is not Ocra's, with Code
// Status*100, no Reference and a Message that names the request: a non-2xx
// body that is not Ocra's error JSON, a redirect (3xx; never followed), and
// a 2xx body that is not the JSON the request expects.
type APIError struct {
	Status    int    `json:"-"`
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Reference string `json:"reference,omitempty"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("ocra: %d %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// TimestampResponse answers GET /timestamp with the server's clock.
type TimestampResponse struct {
	Timestamp time.Time `json:"timestamp"`
}

// Version describes the client software.
type Version struct {
	OS       string `json:"os"`
	Platform string `json:"platform"`
	SDK      string `json:"sdk"`
}

// CreateInstanceRequest is the body of POST /instances.
type CreateInstanceRequest struct {
	UserID       string     `json:"userId"`
	DeviceID     string     `json:"deviceId"`
	Capabilities []string   `json:"capabilities"`
	Version      Version    `json:"version"`
	ExpireAt     *time.Time `json:"expireAt,omitempty"`
}

// Instance is a registered device of a user.
type Instance struct {
	ID           string    `json:"id"`
	Secret       string    `json:"secret"` // base64 of 32 bytes; signs every later request
	DeviceID     string    `json:"deviceId"`
	ExpireAt     time.Time `json:"expireAt"`
	Capabilities []string  `json:"capabilities"`
	Version      Version   `json:"version"`
}

// CreateInstanceResponse is the 201 answer to POST /instances.
type CreateInstanceResponse struct {
	Instance Instance `json:"instance"`
	Config   Config   `json:"config"`
}

// Config is an instance's configuration.
type Config struct {
	ConfigRefreshIntervalMs     int64      `json:"configRefreshIntervalMs"`
	UpdateInstanceTTLWindowDays float64    `json:"updateInstanceTtlWindowDays"`
	ICETransportPolicy          string     `json:"iceTransportPolicy,omitempty"`
	RTCProfile                  RTCProfile `json:"rtcProfile"`
	RTCConfig                   RTCConfig  `json:"rtcConfig"`
}

// RTCProfile names the instance's realtime channels and its MXP key.
type RTCProfile struct {
	BroadcastChannel string `json:"broadcastChannel"`
	SignalChannel    string `json:"signalChannel"`
	Key              string `json:"key"` // base64 of 16, 24 or 32 random bytes
}

// RTCConfig carries the pub/sub settings.
type RTCConfig struct {
	MXPPubSubConfig PubSubConfig `json:"mxpPubSubConfig"`
}

// Values of PubSubConfig.Transport.
const (
	TransportPubNub    = "pubnub"    // also the meaning of ""
	TransportWebSocket = "websocket" // protocol.md section 4
)

// PubSubConfig is where the realtime channel lives.
type PubSubConfig struct {
	// Transport names the realtime transport (designed; Sinch's service
	// never sends it): "" or "pubnub" is PubNub (real-wire.md section 1) at
	// Hostname:Port, over HTTPS unless Hostname is written "http://...";
	// "websocket" is the WebSocket of protocol.md section 4 on the REST
	// host, where Hostname and Port are not used.
	Transport             string `json:"transport,omitempty"`
	Hostname              string `json:"hostname"`
	Port                  int    `json:"port"`
	BroadcastSubscribeKey string `json:"broadcastSubscribeKey"`
	SignalSubscribeKey    string `json:"signalSubscribeKey"`
	SignalPublishKey      string `json:"signalPublishKey"`
}

// TTLResponse answers PUT /instances/{id}/ttl.
type TTLResponse struct {
	InstanceID string    `json:"instanceId"`
	ExpireAt   time.Time `json:"expireAt"`
}

// ICEServer is one STUN/TURN server for an instance.
type ICEServer struct {
	URLs           []string  `json:"urls"`
	Username       string    `json:"username,omitempty"`
	CredentialType string    `json:"credentialType,omitempty"`
	Password       string    `json:"password,omitempty"`
	ValidUntil     time.Time `json:"validUntil,omitempty"`
}

// Destination types of POST /calls.
const (
	DestUserID      = "userId"
	DestPhoneNumber = "phonenumber"
	DestSIP         = "sip"
	DestConference  = "conference"
)

// Destination is whom a call goes to.
type Destination struct {
	Domain   string `json:"domain"` // "mxp" for app-to-app, "pstn", "sip", "conference"
	Type     string `json:"type"`
	Identity string `json:"identity"`
}

// SessionDescription is an SDP offer or answer as JSON.
type SessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// CreateCallRequest is the body of POST /calls.
type CreateCallRequest struct {
	CallID            string             `json:"callId"`
	Destination       Destination        `json:"destination"`
	CLI               string             `json:"cli,omitempty"`
	SDP               SessionDescription `json:"sdp"`
	Video             bool               `json:"video"`
	PublicCallHeaders map[string]string  `json:"publicCallHeaders,omitempty"`
	// DisplayName is the caller's display name (designed: not in Sinch's
	// published body); the server passes it to callees in the Invite.
	DisplayName string `json:"displayName,omitempty"`
}

// CallInstance is one callee instance a call was routed to.
type CallInstance struct {
	ID           string   `json:"id"`
	Capabilities []string `json:"capabilities,omitempty"`
}

// CreateCallResponse answers POST /calls.
type CreateCallResponse struct {
	CallID            string            `json:"callId"`
	MXPEncryptionKey  string            `json:"mxpEncryptionKey"` // base64 of 16, 24 or 32 bytes
	MXPSignalChannel  string            `json:"mxpSignalChannel"` // the call's channel (opaque): what goes to every callee device
	Instances         []CallInstance    `json:"instances"`
	StartTime         time.Time         `json:"startTime"`
	PublicCallHeaders map[string]string `json:"publicCallHeaders,omitempty"`
}

// CallReport is the body of POST /calls/{callId}/reports: the full shape
// of real-wire.md section 2 (reportId, instance{id, deviceId, version},
// userId, the call's identifiers and its outcome).
type CallReport struct {
	ReportID     string         `json:"reportId"` // a random UUID, one per report
	CallID       string         `json:"callId"`
	Instance     ReportInstance `json:"instance"` // the reporting instance
	UserID       string         `json:"userId"`   // its user
	Direction    string         `json:"direction"`
	RemoteUserID string         `json:"remoteUserId,omitempty"` // whom the call was with
	StartTime    time.Time      `json:"startTime"`
	EndTime      time.Time      `json:"endTime"`
	Duration     float64        `json:"duration"` // seconds, established to ended
	Result       string         `json:"result"`   // the end cause
	Error        string         `json:"error,omitempty"`
}

// ReportInstance names the instance that sends a call report.
type ReportInstance struct {
	ID       string  `json:"id"`
	DeviceID string  `json:"deviceId"`
	Version  Version `json:"version"`
}

package rtc

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Candidate is the body of an MXP PeerEvent that carries an ICE candidate
// (protocol.md section 5). Unlike webrtc.ICECandidateInit it leaves out
// what is unset instead of sending nulls.
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// NewCandidate is the PeerEvent body of c.
func NewCandidate(c webrtc.ICECandidateInit) Candidate {
	return Candidate{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
}

// ParseCandidate decodes a PeerEvent body carrying an ICE candidate,
// accepting the cand and sdpMLI aliases of protocol.md section 5.
func ParseCandidate(body string) (webrtc.ICECandidateInit, error) {
	var c struct {
		Candidate
		Cand   string  `json:"cand"`
		SDPMLI *uint16 `json:"sdpMLI"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return webrtc.ICECandidateInit{}, fmt.Errorf("malformed ICE candidate: %w", err)
	}
	init := webrtc.ICECandidateInit{Candidate: c.Candidate.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	if init.Candidate == "" {
		init.Candidate = c.Cand
	}
	if init.SDPMLineIndex == nil {
		init.SDPMLineIndex = c.SDPMLI
	}
	if init.Candidate == "" {
		return init, errors.New("PeerEvent carries no ICE candidate")
	}
	return init, nil
}

// ParseDescription decodes a session description ({type, sdp} JSON, as in
// an Invite's nvps.sdp, an Ack or a renegotiating PeerEvent) that must be
// of type want.
func ParseDescription(s string, want webrtc.SDPType) (webrtc.SessionDescription, error) {
	var d webrtc.SessionDescription
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("malformed session description: %w", err)
	}
	if d.Type != want || d.SDP == "" {
		return d, fmt.Errorf("session description is not an %v", want)
	}
	return d, nil
}

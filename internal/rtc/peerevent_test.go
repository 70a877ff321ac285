package rtc

import (
	"encoding/json"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCandidateRoundTripAndAliases(t *testing.T) {
	mid, idx := "0", uint16(1)
	body, err := json.Marshal(NewCandidate(webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: &mid, SDPMLineIndex: &idx}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":1}`, string(body))
	c, err := ParseCandidate(string(body))
	require.NoError(t, err)
	assert.Equal(t, "0", *c.SDPMid)

	c, err = ParseCandidate(`{"cand":"candidate:2 1 udp 1 127.0.0.1 5001 typ host","sdpMLI":3}`)
	require.NoError(t, err)
	assert.Equal(t, "candidate:2 1 udp 1 127.0.0.1 5001 typ host", c.Candidate)
	assert.Equal(t, uint16(3), *c.SDPMLineIndex)

	_, err = ParseCandidate(`{"sdpMid":"0"}`)
	assert.ErrorContains(t, err, "no ICE candidate")
	_, err = ParseCandidate(`{`)
	assert.ErrorContains(t, err, "malformed ICE candidate")
}

func TestParseDescription(t *testing.T) {
	d, err := ParseDescription(`{"type":"answer","sdp":"v=0\r\n"}`, webrtc.SDPTypeAnswer)
	require.NoError(t, err)
	assert.Equal(t, "v=0\r\n", d.SDP)
	_, err = ParseDescription(`{"type":"offer","sdp":"v=0\r\n"}`, webrtc.SDPTypeAnswer)
	assert.ErrorContains(t, err, "is not an answer")
	_, err = ParseDescription(`{"type":"answer"}`, webrtc.SDPTypeAnswer)
	assert.Error(t, err)
}

// FuzzPeerEventBodies feeds arbitrary PeerEvent bodies to both decoders:
// they never panic, and what they accept is usable.
func FuzzPeerEventBodies(f *testing.F) {
	f.Add(`{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}`)
	f.Add(`{"cand":"candidate:1 1 udp 1 127.0.0.1 1 typ host","sdpMLI":1}`)
	f.Add(`{"type":"answer","sdp":"v=0\r\n"}`)
	f.Add(`{"candidate":""}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		if c, err := ParseCandidate(body); err == nil && c.Candidate == "" {
			t.Errorf("accepted a PeerEvent without candidate: %q", body)
		}
		if d, err := ParseDescription(body, webrtc.SDPTypeAnswer); err == nil && (d.Type != webrtc.SDPTypeAnswer || d.SDP == "") {
			t.Errorf("accepted %q as an answer", body)
		}
	})
}

package ocratest

import (
	"encoding/json"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// FuzzPeerEventBodies feeds arbitrary MXP bodies to the endpoints' parsers:
// they never panic, and what they accept is usable.
func FuzzPeerEventBodies(f *testing.F) {
	f.Add(`{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}`)
	f.Add(`{"cand":"candidate:1 1 udp 1 127.0.0.1 1 typ host","sdpMLI":1}`)
	f.Add(`{"type":"answer","sdp":"v=0\r\n"}`)
	f.Add(`{"candidate":""}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		if c, err := parseCandidate(body); err == nil && c.Candidate == "" {
			t.Errorf("accepted a PeerEvent without candidate: %q", body)
		}
		if d, err := parseDescription(body, webrtc.SDPTypeAnswer); err == nil && (d.Type != webrtc.SDPTypeAnswer || d.SDP == "") {
			t.Errorf("accepted %q as an answer", body)
		}
	})
}

// FuzzSVAML feeds arbitrary ICE answers to the router: it never panics, and
// every route it returns is a valid destination.
func FuzzSVAML(f *testing.F) {
	f.Add([]byte(`{"action":{"name":"connectMxp","destination":{"type":"username","endpoint":"bob"},"callHeaders":[{"key":"a","value":"b"}]}}`))
	f.Add([]byte(`{"action":{"name":"connectPstn","number":"+15550001"}}`))
	f.Add([]byte(`{"action":{"name":"connectConf","conferenceId":"room"}}`))
	f.Add([]byte(`{"action":{"name":"connectSip","destination":{"type":"sip","endpoint":"a@b"}}}`))
	f.Add([]byte(`{"action":{"name":"hangup"}}`))
	f.Add([]byte(`{"instructions":[{"name":"say"}]}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		var svaml SVAML
		if json.Unmarshal(answer, &svaml) != nil {
			return
		}
		dialled := target{dest: ocra.Destination{Domain: domainPhone, Type: ocra.DestPhoneNumber, Identity: "+15550001"}}
		got, err := applySVAML(dialled, svaml.Action)
		if err != nil || got.hangup {
			return
		}
		if peerTypes[got.dest.Type] == "" || got.dest.Identity == "" {
			t.Errorf("answer %q routes to %+v", answer, got.dest)
		}
	})
}

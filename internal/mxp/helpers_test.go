package mxp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testKey is printable so that tests can look for it in error text.
var testKey = []byte("k3y-0123456789abcdefghijklmnopqr")

// otherKey is a valid key that is not testKey.
var otherKey = []byte("another-key-0123456789abcdefghij")

// fakeSDP returns a plausible SDP offer of at least n bytes.
func fakeSDP(n int) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 0.0.0.0\r\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "a=candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host\r\n", i, 50000+i)
	}
	return b.String()
}

// invite returns an Invite as the server builds it, carrying an SDP offer of
// at least sdpLen bytes.
func invite(t testing.TB, sdpLen int) *Message {
	t.Helper()
	offer, err := json.Marshal(map[string]string{"type": "offer", "sdp": fakeSDP(sdpLen)})
	require.NoError(t, err)
	return &Message{
		Method:            Invite,
		BodyType:          BodyMedia,
		Version:           ProtocolVersion,
		FromUser:          "alice",
		FromID:            "inst-1:0",
		FromInstance:      "inst-1",
		FromSubInstance:   "0",
		FromSignalChannel: "s.inst-1",
		NVPs: map[string]string{
			NVPKey:     "c2Vzc2lvbi1rZXktMDEyMzQ1Njc4OWFiY2RlZg==",
			NVPSDP:     string(offer),
			NVPHeaders: `{"X-Trace":"1"}`,
		},
	}
}

// sealJSON seals raw message JSON with testKey, bypassing EncodeMessage's
// checks, to build payloads that a peer might send.
func sealJSON(t testing.TB, s string) string {
	t.Helper()
	payload, err := Seal(testKey, []byte(s))
	require.NoError(t, err)
	return payload
}

// requireNoKey fails if err's text contains testKey in any common spelling.
func requireNoKey(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.NotContains(t, msg, string(testKey))
	require.NotContains(t, msg, fmt.Sprintf("%x", testKey))
	require.NotContains(t, msg, fmt.Sprint(testKey))
}

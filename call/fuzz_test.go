package call

import (
	"bytes"
	"testing"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
)

// FuzzParseInvite feeds arbitrary Invite plaintexts through the decoder
// that turns an Invite into a call: it must never panic.
func FuzzParseInvite(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	f.Add(`{"md":1,"bv":10,"fu":"alice","fd":"i1","fs":"s.i1","nvps":{"key":"` +
		`AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","sdp":"{\"type\":\"offer\",\"sdp\":\"v=0\"}",` +
		`"ph":"{\"a\":\"b\"}","video":"true","dn":"Alice"}}`)
	f.Add(`{"md":1,"bv":10,"fu":"alice","fd":"i1","nvps":{"ph":"[1]"}}`)
	// 2.x: no bv, fi without fd, a 16-byte session key.
	f.Add(`{"md":1,"bt":"media","fu":"alice","fi":"i1:c7","fs":"chan","fc":"","nvps":{"key":"` +
		`AAAAAAAAAAAAAAAAAAAAAA==","sdp":"{\"type\":\"offer\",\"sdp\":\"v=0\"}","to":"i2"}}`)
	f.Add(`{"md":2,"bv":10}`)
	f.Fuzz(func(t *testing.T, plaintext string) {
		payload, err := mxp.Seal(key, []byte(plaintext))
		if err != nil {
			t.Fatal(err)
		}
		in, err := parseInvite(key, "call", payload)
		if err == nil && (in.user == "" || in.caller.instance == "" || len(in.key) == 0 || in.offer.SDP == "") {
			t.Fatalf("accepted an incomplete Invite: %+v", in)
		}
	})
}

// FuzzRemoteError checks the decoder of Error messages' bodies. (PeerEvent
// bodies are fuzzed in internal/rtc.)
func FuzzRemoteError(f *testing.F) {
	f.Add(`{"code":40400,"reason":"not found"}`)
	f.Add(`{"type":"offer","sdp":"v=0"}`)
	f.Fuzz(func(t *testing.T, body string) {
		if err := remoteError(&mxp.Message{Method: mxp.Error, Body: body}); err == nil {
			t.Fatal("an Error message gave no error")
		}
	})
}

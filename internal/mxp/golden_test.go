package mxp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden fixtures in testdata/golden pin the wire: ours/*.json hold
// each message kind this SDK (or ocratest's server, for the Invite) sends,
// peer/*.json what a Sinch peer may send instead. Each holds the decoded
// message JSON, the key and IV it is sealed with and the frames that
// result. They were written from real-wire.md section 2, not captured.
// go test -run Golden -update rewrites them from the encoder; review the
// diff before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden from the encoder")

// golden is one fixture file.
type golden struct {
	Description string          `json:"description"`
	SessionID   string          `json:"sessionId"`
	Key         string          `json:"key"` // standard base64
	IV          string          `json:"iv"`  // standard base64 of 16 bytes
	MsgID       string          `json:"msgId,omitempty"`
	PartLen     int             `json:"partLen,omitempty"` // peer fixtures: the part size the peer used
	Message     json.RawMessage `json:"message"`           // the message JSON, as sent
	Frames      []string        `json:"frames"`
}

// Fixed values of the fixtures: ids and channels are opaque to MXP.
const (
	gSession     = "5f8e2c1a-7b3d-4e6f-8a9b-0c1d2e3f4a5b"
	gAliceInst   = "2d7f0b8e-1c3a-4b5d-9e6f-7a8b9c0d1e2f"
	gBobInst     = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	gAliceSignal = "c81e728d-9d4c-4f63-a7e2-8b7d7a4c1f01S"
	gBobSignal   = "4e732ced-3463-4d6a-9b0f-2c8e1d9a5b02S"
	gMsgID       = "1234567890"
)

var (
	gSessionKey  = bytes.Repeat([]byte{0x5a, 0xa5}, 16)                         // 32 bytes
	gInstanceKey = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} // 16 bytes, as Sinch's
	gIV          = []byte("fixed-iv-16bytes")
	gAlice       = Sender{User: "alice", Instance: gAliceInst, SignalChannel: gAliceSignal}
	gBob         = Sender{User: "bob", Instance: gBobInst, SignalChannel: gBobSignal}
)

// gSDP is a short but complete audio offer or answer.
func gSDP(setup string) string {
	return "v=0\r\no=- 8224560871324510731 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
		"a=msid-semantic:WMS *\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=setup:" + setup + "\r\na=mid:0\r\na=ice-ufrag:QxEvbmNrYWtWcZJd\r\na=ice-pwd:lRnbHcmJzYXvwFjXgqMTPhaDkLeWuoiN\r\n" +
		"a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
		"a=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n" +
		"a=ssrc:2873453981 cname:sinch-go\r\na=sendrecv\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n"
}

// gDescription is a session description as pion's
// webrtc.SessionDescription encodes it: {type, sdp}.
func gDescription(kind, setup string) any {
	return struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	}{kind, gSDP(setup)}
}

// ourMessages builds each message kind we send with the builders that the
// SDK (package call) and ocratest use, and the key it is sealed with.
func ourMessages(t *testing.T) map[string]struct {
	m   *Message
	key []byte
} {
	t.Helper()
	sdp := func(method Method, v any, from Sender, to string) *Message {
		m, err := NewSDP(method, v)
		require.NoError(t, err)
		m.From(from)
		m.Address(to)
		return m
	}
	plain := func(method Method, from Sender, to string) *Message {
		m := &Message{Method: method}
		m.From(from)
		m.Address(to)
		return m
	}
	invite, err := NewInvite(InviteParams{
		Offer:       gDescription("offer", "actpass"),
		SessionKey:  base64.StdEncoding.EncodeToString(gSessionKey),
		Headers:     map[string]string{"topic": "lunch"},
		DisplayName: "Alice A.",
	})
	require.NoError(t, err)
	invite.From(gAlice)
	invite.Address(gBobInst) // the server addresses an Invite to the callee instance
	joined := NewJoined(ClientOf(gBob))
	joined.From(gAlice)
	callErr := NewError(50000, "the far end cannot answer the offer")
	callErr.From(gBob)
	callErr.Address(gAlice.FI())
	candidate := map[string]any{
		"candidate":     "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
		"sdpMLineIndex": 0,
		"sdpMid":        "0",
	}
	type sealed = struct {
		m   *Message
		key []byte
	}
	return map[string]sealed{
		"invite":    {invite, gInstanceKey},
		"ack":       {sdp(Ack, gDescription("answer", "active"), gBob, gAlice.FI()), gSessionKey},
		"join":      {sdp(Join, gDescription("answer", "active"), gBob, gAlice.FI()), gSessionKey},
		"joined":    {joined, gSessionKey},
		"leave":     {plain(Leave, gAlice, gBob.FI()), gSessionKey},
		"cancel":    {plain(Cancel, gAlice, ""), gSessionKey},
		"deny":      {plain(Deny, gBob, gAlice.FI()), gSessionKey},
		"peerevent": {sdp(PeerEvent, candidate, gAlice, gBob.FI()), gSessionKey},
		"error":     {callErr, gSessionKey},
	}
}

// encodeFixed runs the encoder with the fixture's IV and message id.
func encodeFixed(t *testing.T, m *Message, key []byte) (plaintext []byte, frames []string) {
	t.Helper()
	plaintext, err := encodeJSON(m)
	require.NoError(t, err)
	payload, err := sealWithIV(key, gIV, plaintext)
	require.NoError(t, err)
	return plaintext, split(gSession, payload, func() string { return gMsgID })
}

func goldenPath(dir, name string) string {
	return filepath.Join("testdata", "golden", dir, name+".json")
}

func writeGolden(t *testing.T, path string, g golden) {
	t.Helper()
	var msg bytes.Buffer
	require.NoError(t, json.Indent(&msg, g.Message, "  ", "  "))
	g.Message = msg.Bytes()
	b, err := json.MarshalIndent(g, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
}

func readGolden(t testing.TB, path string) golden {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

func decodeBase64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// TestGoldenOurMessages compares what our encoder produces, with a fixed
// IV and message id, to the fixtures: the message JSON byte for byte and
// every frame.
func TestGoldenOurMessages(t *testing.T) {
	msgs := ourMessages(t)
	for name, in := range msgs {
		t.Run(name, func(t *testing.T) {
			plaintext, frames := encodeFixed(t, in.m, in.key)
			path := goldenPath("ours", name)
			if *update {
				writeGolden(t, path, golden{
					Description: "what we send: " + in.m.Method.String(),
					SessionID:   gSession,
					Key:         base64.StdEncoding.EncodeToString(in.key),
					IV:          base64.StdEncoding.EncodeToString(gIV),
					MsgID:       msgIDOf(t, frames),
					Message:     plaintext,
					Frames:      frames,
				})
			}
			g := readGolden(t, path)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, g.Message))
			assert.Equal(t, compact.String(), string(plaintext), "message JSON")
			assert.Equal(t, g.Frames, frames, "frames")
			for _, f := range frames {
				fr, err := ParseFrame(f)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(fr.Data), SendPartLen(gSession, fr.MsgID), "part size rule")
			}

			got := decodeFrames(t, g.Frames, decodeBase64(t, g.Key))
			want := *in.m
			want.Version = ProtocolVersion
			assert.True(t, messagesEqual(&want, got), "decodes to what was built: %+v", got)
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "golden", "ours"))
	require.NoError(t, err)
	assert.Len(t, entries, len(msgs), "a fixture per message kind, none stale")
}

func msgIDOf(t *testing.T, frames []string) string {
	t.Helper()
	f, err := ParseFrame(frames[0])
	require.NoError(t, err)
	if f.MsgID == singlePart {
		return ""
	}
	return f.MsgID
}

// decodeFrames reassembles frames in order and decodes the message.
func decodeFrames(t testing.TB, frames []string, key []byte) *Message {
	t.Helper()
	r := NewReassembler(0, 0)
	var payload string
	complete := false
	for _, s := range frames {
		f, err := ParseFrame(s)
		require.NoError(t, err)
		payload, complete, err = r.Add(f, t0)
		require.NoError(t, err)
	}
	require.True(t, complete, "the frames make a whole message")
	m, err := DecodeMessage(key, payload)
	require.NoError(t, err)
	return m
}

// peerChecks say what a receiver must make of each message a Sinch peer
// may send; the fixtures in peer/ hold the messages.
var peerChecks = map[string]func(t *testing.T, m *Message){
	// 2.x: no bv, no to, a sub-instance id of its own.
	"ack-2x-no-bv-no-to": func(t *testing.T, m *Message) {
		assert.Equal(t, Ack, m.Method)
		assert.Equal(t, ProtocolVersion, m.Version)
		assert.True(t, m.AddressedTo(gAlice.FI(), gAliceInst), "no to: for this device")
		assert.Equal(t, gBobInst, m.SenderInstance())
		assert.Equal(t, "c7", m.FromSubInstance)
	},
	// 2.x Joined: a Client{userId, instanceId, channel, domain} body.
	"joined-2x-client": func(t *testing.T, m *Message) {
		assert.Equal(t, Joined, m.Method)
		c, err := ParseClient(m.Body)
		require.NoError(t, err)
		assert.True(t, c.Names(gBob.FI(), gBobInst))
		assert.False(t, c.Names("another:0", "another"))
	},
	// 1.x Joined: names the device by its fi only.
	"joined-1x-fi": func(t *testing.T, m *Message) {
		c, err := ParseClient(m.Body)
		require.NoError(t, err)
		assert.True(t, c.Names(gBob.FI(), gBobInst))
	},
	// A to naming another device of the user: not for this one.
	"peerevent-to-other-device": func(t *testing.T, m *Message) {
		assert.False(t, m.AddressedTo(gBob.FI(), gBobInst))
		assert.True(t, m.AddressedTo("0f0e0d0c-0b0a-4908-8706-050403020100:0", "0f0e0d0c-0b0a-4908-8706-050403020100"))
	},
	// 1.x addressing by the bare instance id.
	"leave-to-bare-instance": func(t *testing.T, m *Message) {
		assert.True(t, m.AddressedTo(gBob.FI(), gBobInst))
	},
	// An Invite sealed with a 16-byte instance key, carrying a 16-byte
	// session key.
	"invite-16-byte-keys": func(t *testing.T, m *Message) {
		assert.Equal(t, Invite, m.Method)
		assert.Len(t, decodeBase64(t, m.NVPs[NVPKey]), 16)
	},
	// 1.x (docs/sinch-rtc-1x.md section 7): bob is a 1.x callee whose
	// sub-instance is his own random integer, alice the caller.
	// The Ack: no nvps at all (no to), an answer without candidates, two
	// parts of 1449 characters.
	"ack-1x-no-candidates": func(t *testing.T, m *Message) {
		assert.Equal(t, Ack, m.Method)
		assert.True(t, m.AddressedTo(gAlice.FI(), gAliceInst), "no to: for the caller")
		assert.Equal(t, gBobInst+":2197748293", m.FromID)
		assert.Equal(t, gBobInst, m.SenderInstance())
		assert.Empty(t, m.FromSubInstance)
		assert.Contains(t, m.Body, `"type":"answer"`)
		assert.NotContains(t, m.Body, "a=candidate")
	},
	// The Join: bd null, to = the caller's fi.
	"join-1x-bd-null": func(t *testing.T, m *Message) {
		assert.Equal(t, Join, m.Method)
		assert.Equal(t, BodySDP, m.BodyType)
		assert.Empty(t, m.Body)
		assert.True(t, m.AddressedTo(gAlice.FI(), gAliceInst))
		assert.False(t, m.AddressedTo("another:0", "another"))
	},
	// The Joined of a 1.x caller: the sender record of the device that
	// answered, {fc, fd, fi, fs, fu}.
	"joined-1x-sender-record": func(t *testing.T, m *Message) {
		assert.Equal(t, Joined, m.Method)
		c, err := ParseClient(m.Body)
		require.NoError(t, err)
		assert.True(t, c.Names(gBob.FI(), gBobInst))
		assert.False(t, c.Names(gBobInst+":1", gBobInst), "another sub-instance of the instance")
	},
	// A candidate of a 1.x caller, to the acking device's fi.
	"peerevent-1x-cand-keys": func(t *testing.T, m *Message) {
		assert.Equal(t, PeerEvent, m.Method)
		assert.True(t, m.AddressedTo(gBob.FI(), gBobInst))
		assert.False(t, m.AddressedTo(gBobInst+":1", gBobInst+"-other"))
		assert.Contains(t, m.Body, `"candidate":"candidate:842163049`)
	},
	// A 1.x Leave: nothing but the method and the sender.
	"leave-1x-no-to": func(t *testing.T, m *Message) {
		assert.Equal(t, Leave, m.Method)
		assert.Empty(t, m.BodyType)
		assert.True(t, m.AddressedTo(gAlice.FI(), gAliceInst))
	},
	// Parts of 3 KiB, over our own part size.
	"ack-3k-parts": func(t *testing.T, m *Message) {
		assert.Equal(t, Ack, m.Method)
		assert.Greater(t, len(m.Body), 3<<10)
	},
}

// TestGoldenPeerMessages decodes what a Sinch peer may send. The fixtures'
// messages are written by hand; their frames are sealed with the fixture's
// key and IV and cut at its part size.
func TestGoldenPeerMessages(t *testing.T) {
	for name, check := range peerChecks {
		t.Run(name, func(t *testing.T) {
			path := goldenPath("peer", name)
			g := readGolden(t, path)
			key := decodeBase64(t, g.Key)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, g.Message))
			payload, err := sealWithIV(key, decodeBase64(t, g.IV), compact.Bytes())
			require.NoError(t, err)
			frames := peerFrames(g, payload)
			if *update {
				g.Frames = frames
				writeGolden(t, path, g)
			}
			assert.Equal(t, g.Frames, frames)
			for _, s := range g.Frames {
				f, err := ParseFrame(s)
				require.NoError(t, err)
				if g.PartLen > 0 {
					assert.LessOrEqual(t, len(f.Data), g.PartLen)
				}
			}
			raw, err := Open(key, joinData(t, g.Frames))
			require.NoError(t, err)
			assert.Equal(t, compact.String(), string(raw))
			check(t, decodeFrames(t, g.Frames, key))
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "golden", "peer"))
	require.NoError(t, err)
	assert.Len(t, entries, len(peerChecks), "a check per peer fixture")
}

// peerFrames cuts payload as the peer of fixture g would: in parts of
// g.PartLen characters, or in one frame.
func peerFrames(g golden, payload string) []string {
	if g.PartLen == 0 {
		return []string{Frame{SessionID: g.SessionID, MsgID: singlePart, Total: 1, Data: payload}.String()}
	}
	var frames []string
	for data := range slices.Chunk([]byte(payload), g.PartLen) {
		frames = append(frames, string(data))
	}
	for i, data := range frames {
		frames[i] = Frame{SessionID: g.SessionID, MsgID: g.MsgID, Part: i, Total: len(frames), Data: data}.String()
	}
	return frames
}

func joinData(t *testing.T, frames []string) string {
	t.Helper()
	var b strings.Builder
	for _, s := range frames {
		f, err := ParseFrame(s)
		require.NoError(t, err)
		b.WriteString(f.Data)
	}
	return b.String()
}

// goldenFrames returns the frames of every fixture, for the fuzz seeds.
func goldenFrames(t testing.TB) [][]string {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden fixtures: %v", err)
	}
	var out [][]string
	for _, p := range paths {
		out = append(out, readGolden(t, p).Frames)
	}
	return out
}

// goldenPlaintexts returns the message JSON of every fixture.
func goldenPlaintexts(t testing.TB) [][]byte {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, p := range paths {
		var compact bytes.Buffer
		if err := json.Compact(&compact, readGolden(t, p).Message); err != nil {
			t.Fatal(err)
		}
		out = append(out, compact.Bytes())
	}
	return out
}

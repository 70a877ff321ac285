package mxp

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMethodString(t *testing.T) {
	want := []string{"Invite", "Ack", "Join", "Joined", "Leave", "Deny", "Cancel", "Update", "Error", "PeerEvent"}
	for i, name := range want {
		assert.Equal(t, name, Method(i+1).String())
	}
	assert.Equal(t, "Method(0)", Method(0).String())
	assert.Equal(t, "Method(11)", Method(11).String())
	assert.Equal(t, "Method(-1)", Method(-1).String())
}

func TestEncodeDecodeEveryMethod(t *testing.T) {
	bodies := map[Method]struct{ bt, bd string }{
		Ack:       {BodySDP, `{"type":"answer","sdp":"v=0\r\n"}`},
		Joined:    {BodyClient, "inst-2:0"},
		Error:     {BodyErrorJSON, `{"code":500,"reason":"boom"}`},
		PeerEvent: {BodySDP, `{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMLineIndex":0,"sdpMid":"0"}`},
	}
	for m := Invite; m <= PeerEvent; m++ {
		t.Run(m.String(), func(t *testing.T) {
			in := &Message{
				Method:            m,
				BodyType:          bodies[m].bt,
				Body:              bodies[m].bd,
				FromUser:          "bob",
				FromID:            "inst-2:0",
				FromInstance:      "inst-2",
				FromSubInstance:   "0",
				FromSignalChannel: "s.inst-2",
				NVPs:              map[string]string{NVPTo: "inst-1"},
			}
			if m == Invite {
				in = invite(t, 500)
			}
			frames, err := Encode("call-1", testKey, in)
			require.NoError(t, err)
			require.Len(t, frames, 1)

			f, err := ParseFrame(frames[0])
			require.NoError(t, err)
			assert.Equal(t, "call-1", f.SessionID)
			assert.Equal(t, "-", f.MsgID)

			got, err := DecodeMessage(testKey, f.Data)
			require.NoError(t, err)
			want := *in
			want.Version = ProtocolVersion
			assert.Equal(t, &want, got)
		})
	}
}

func TestEncodeMessageUsesShortKeys(t *testing.T) {
	payload, err := EncodeMessage(testKey, &Message{Method: Leave, FromUser: "u", NVPs: map[string]string{NVPTo: "i"}})
	require.NoError(t, err)
	plaintext, err := Open(testKey, payload)
	require.NoError(t, err)
	assert.JSONEq(t, `{"md":5,"bv":10,"fu":"u","fc":"","nvps":{"to":"i"}}`, string(plaintext))
}

func TestEncodeMessageLeavesInputAlone(t *testing.T) {
	m := &Message{Method: Cancel}
	_, err := EncodeMessage(testKey, m)
	require.NoError(t, err)
	assert.Zero(t, m.Version)
}

func TestEncodeMessageRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		m    *Message
		want string
	}{
		"nil":            {nil, "nil message"},
		"version 9":      {&Message{Method: Ack, Version: 9}, "unsupported protocol version 9, want 10"},
		"method 0":       {&Message{Method: 0}, "unknown method 0"},
		"method 11":      {&Message{Method: 11}, "unknown method 11"},
		"over max bytes": {&Message{Method: Ack, Body: strings.Repeat("a", MaxMessageSize)}, "exceeds 65536"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := EncodeMessage(testKey, tc.m)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestEncodeRejectsBadSessionID(t *testing.T) {
	for _, id := range []string{"", "has space", "tab\there", strings.Repeat("x", 129)} {
		_, err := Encode(id, testKey, &Message{Method: Ack})
		assert.ErrorContains(t, err, "session id", "%q", id)
	}
}

func TestLargestMessageFitsInMaxParts(t *testing.T) {
	empty, err := json.Marshal(&Message{Method: Ack, Version: ProtocolVersion})
	require.NoError(t, err)
	m := &Message{Method: Ack, Body: strings.Repeat("a", MaxMessageSize-len(empty)-len(`,"bd":""`))}
	// The longest session id leaves the least room in each part.
	session := strings.Repeat("s", maxSessionIDLen)
	frames, err := Encode(session, testKey, m)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(frames), MaxParts)

	payload := reassemble(t, NewReassembler(0, 0), frames)
	got, err := DecodeMessage(testKey, payload)
	require.NoError(t, err)
	assert.Equal(t, m.Body, got.Body)
}

func TestMultiPartReverseOrder(t *testing.T) {
	in := invite(t, 3000)
	frames, err := Encode("call-7", testKey, in)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(frames), 2)

	var msgID string
	for i, s := range frames {
		f, err := ParseFrame(s)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(f.Data), SendPartLen("call-7", f.MsgID))
		assert.Equal(t, i, f.Part)
		assert.Equal(t, len(frames), f.Total)
		assert.Regexp(t, `^[1-9][0-9]*$`, f.MsgID)
		if i == 0 {
			msgID = f.MsgID
		}
		assert.Equal(t, msgID, f.MsgID, "all parts share the message id")
	}

	reversed := make([]string, len(frames))
	for i, s := range frames {
		reversed[len(frames)-1-i] = s
	}
	payload := reassemble(t, NewReassembler(0, 0), reversed)
	got, err := DecodeMessage(testKey, payload)
	require.NoError(t, err)
	assert.Equal(t, in, got)
}

// reassemble feeds frames to r and requires the last one, and only it, to
// complete the message.
func reassemble(t *testing.T, r *Reassembler, frames []string) string {
	t.Helper()
	now := time.Unix(1700000000, 0)
	for i, s := range frames {
		f, err := ParseFrame(s)
		require.NoError(t, err)
		payload, complete, err := r.Add(f, now)
		require.NoError(t, err)
		require.Equal(t, i == len(frames)-1, complete, "frame %d of %d", i, len(frames))
		if complete {
			return payload
		}
	}
	return ""
}

func TestDecodeMessageWrongKey(t *testing.T) {
	payload, err := EncodeMessage(otherKey, invite(t, 200))
	require.NoError(t, err)
	_, err = DecodeMessage(testKey, payload)
	assert.ErrorIs(t, err, ErrDecrypt)
	assert.ErrorContains(t, err, "wrong key or corrupted payload")
	requireNoKey(t, err)
}

func TestDecodeMessageTampered(t *testing.T) {
	payload, err := EncodeMessage(testKey, &Message{Method: Ack, Body: "answer"})
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(payload)
	require.NoError(t, err)
	// Garble the first plaintext byte, the JSON's opening brace.
	raw[0] ^= '{' ^ 'x'
	_, err = DecodeMessage(testKey, base64.StdEncoding.EncodeToString(raw))
	assert.ErrorIs(t, err, ErrDecrypt)
	requireNoKey(t, err)
}

func TestDecodeMessageTruncated(t *testing.T) {
	payload, err := EncodeMessage(testKey, invite(t, 200))
	require.NoError(t, err)
	_, err = DecodeMessage(testKey, payload[:len(payload)-4])
	assert.Error(t, err)
}

func TestDecodeMessageRejects(t *testing.T) {
	overMax := `{"md":2,"bv":10,"bd":"` + strings.Repeat("a", MaxMessageSize-len(`{"md":2,"bv":10,"bd":""}`)+1) + `"}`
	deep := `{"md":1,"bv":10,"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`
	for name, tc := range map[string]struct {
		payload string
		want    string
	}{
		"garbage":         {"\x00\xff garbage", "not standard base64"},
		"version 9":       {sealJSON(t, `{"md":1,"bv":9}`), "unsupported protocol version 9"},
		"method 0":        {sealJSON(t, `{"bv":10}`), "unknown method 0"},
		"method 11":       {sealJSON(t, `{"md":11,"bv":10}`), "unknown method 11"},
		"method string":   {sealJSON(t, `{"md":"1","bv":10}`), "malformed message"},
		"nested nvps":     {sealJSON(t, `{"md":1,"bv":10,"nvps":{"sdp":{"type":"offer"}}}`), "malformed message"},
		"array":           {sealJSON(t, `[1,2]`), "malformed message"},
		"not JSON":        {sealJSON(t, `md=1`), "wrong key or corrupted payload"},
		"deep JSON":       {sealJSON(t, deep), "nests deeper than 32 levels"},
		"over max bytes":  {sealJSON(t, overMax), "message of 65537 bytes exceeds 65536"},
		"over max length": {strings.Repeat("A", maxPayloadLen+4), "exceeds the 65536-byte message limit"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeMessage(testKey, tc.payload)
			assert.ErrorContains(t, err, tc.want)
			requireNoKey(t, err)
		})
	}
}

func TestDecodeMessageAccepts(t *testing.T) {
	// 32 levels: the limit itself, and the top-level object is one of them.
	deepest := `{"md":3,"bv":10,"x":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`
	for name, s := range map[string]string{
		"nesting at the limit":   deepest,
		"brackets inside string": `{"md":3,"bv":10,"bd":"` + strings.Repeat(`[{\"`, 50) + `"}`,
		"unknown fields":         `{"md":3,"bv":10,"zz":{"a":[1,2]}}`,
		"null nvps":              `{"md":3,"bv":10,"nvps":null}`,
		"no version (2.x)":       `{"md":3,"bt":"sdp"}`,
		"version 0":              `{"md":3,"bv":0}`,
	} {
		t.Run(name, func(t *testing.T) {
			m, err := DecodeMessage(testKey, sealJSON(t, s))
			require.NoError(t, err)
			assert.Equal(t, Join, m.Method)
			assert.Equal(t, ProtocolVersion, m.Version, "a message without bv is version 10")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	m := invite(b, 2048)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode("call-bench", testKey, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	frames, err := Encode("call-bench", testKey, invite(b, 2048))
	if err != nil {
		b.Fatal(err)
	}
	r := NewReassembler(0, 0)
	now := time.Unix(1700000000, 0)
	b.ReportAllocs()
	for b.Loop() {
		var payload string
		for _, s := range frames {
			f, err := ParseFrame(s)
			if err != nil {
				b.Fatal(err)
			}
			if payload, _, err = r.Add(f, now); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := DecodeMessage(testKey, payload); err != nil {
			b.Fatal(err)
		}
	}
}

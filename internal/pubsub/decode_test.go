package pubsub

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeFrameValid(t *testing.T) {
	tests := []struct {
		in   string
		want Frame
	}{
		{`{"op":"subscribe","id":1,"channels":["b.i1","s.i1"]}`, Frame{Op: OpSubscribe, ID: 1, Channels: []string{"b.i1", "s.i1"}}},
		{`{"op":"unsubscribe","channels":["s.i1"]}`, Frame{Op: OpUnsubscribe, Channels: []string{"s.i1"}}},
		{`{"op":"publish","id":7,"channel":"c.822aa4b7-05b4_257","message":"10 x - 0 1 QUJD"}`,
			Frame{Op: OpPublish, ID: 7, Channel: "c.822aa4b7-05b4_257", Message: "10 x - 0 1 QUJD"}},
		{`{"op":"ping","id":2}`, Frame{Op: OpPing, ID: 2}},
		{` {"op":"message","channel":"s.A:b=c.d","message":"m"}`, Frame{Op: OpMessage, Channel: "s.A:b=c.d", Message: "m"}},
		{`{"op":"message","channel":"b.x"}`, Frame{Op: OpMessage, Channel: "b.x"}},
		{`{"op":"ack","id":3}`, Frame{Op: OpAck, ID: 3}},
		{`{"op":"pong","id":4,"extra":true}`, Frame{Op: OpPong, ID: 4}},
		{`{"op":"error","code":40001,"message":"bad"}`, Frame{Op: OpError, Code: 40001, Message: "bad"}},
		{`{"op":"publish","id":1,"channel":"` + strings.Repeat("a", 128) + `","message":"m"}`,
			Frame{Op: OpPublish, ID: 1, Channel: strings.Repeat("a", 128), Message: "m"}},
		{`{"op":"subscribe","channels":["5f0c2d4e-2a77-4b51-9d2f-0a6c1e8b7d31B","x"]}`,
			Frame{Op: OpSubscribe, Channels: []string{"5f0c2d4e-2a77-4b51-9d2f-0a6c1e8b7d31B", "x"}}},
	}
	for _, tt := range tests {
		got, err := DecodeFrame([]byte(tt.in))
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestDecodeFrameInvalid(t *testing.T) {
	sixteen := `"s.1","s.2","s.3","s.4","s.5","s.6","s.7","s.8","s.9","s.10","s.11","s.12","s.13","s.14","s.15","s.16"`
	tests := []struct {
		in, wantErr string
	}{
		{``, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`["op"]`, "not a JSON object"},
		{`{"op":"ping","id":1`, "invalid frame JSON"},
		{`{"op":"ping","id":1} {}`, "invalid frame JSON"},
		{`{"op":"ping","id":-1}`, "invalid frame JSON"},
		{`{"op":"ping","id":"1"}`, "invalid frame JSON"},
		{`{}`, "without op"},
		{`{"op":"shout"}`, `unknown op "shout"`},
		{`{"op":"subscribe"}`, "subscribe frame without channels"},
		{`{"op":"unsubscribe","channels":[]}`, "unsubscribe frame without channels"},
		{`{"op":"subscribe","channels":[` + sixteen + `,"s.17"]}`, "17 channels, at most 16"},
		{`{"op":"subscribe","channels":[""]}`, "missing channel"},
		{`{"op":"subscribe","channels":["` + strings.Repeat("a", 129) + `"]}`, "name must be 1 to 128"},
		{`{"op":"subscribe","channels":["s.a b"]}`, "invalid character ' '"},
		{`{"op":"subscribe","channels":["s.a/b"]}`, "invalid character '/'"},
		{`{"op":"publish","channel":"s.a","message":"m"}`, "publish frame without id"},
		{`{"op":"publish","id":1,"message":"m"}`, "missing channel"},
		{`{"op":"publish","id":1,"channel":"s.a"}`, "publish frame without message"},
		{`{"op":"ping"}`, "ping frame without id"},
		{`{"op":"ack"}`, "ack frame without id"},
		{`{"op":"pong","id":0}`, "pong frame without id"},
		{`{"op":"message","message":"m"}`, "missing channel"},
		{`{"op":"error","id":1,"message":"m"}`, "error frame without code"},
	}
	for _, tt := range tests {
		_, err := DecodeFrame([]byte(tt.in))
		require.Error(t, err, tt.in)
		assert.Contains(t, err.Error(), tt.wantErr, tt.in)
	}
	_, err := DecodeFrame([]byte(`{"op":"subscribe","channels":[` + sixteen + `]}`))
	assert.NoError(t, err, "16 channels are allowed")
}

func TestDecodeFrameSizeLimit(t *testing.T) {
	frame := func(size int) []byte {
		const head, tail = `{"op":"publish","id":1,"channel":"s.a","message":"`, `"}`
		return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
	}
	_, err := DecodeFrame(frame(MaxFrameSize))
	require.NoError(t, err)
	_, err = DecodeFrame(frame(MaxFrameSize + 1))
	require.ErrorContains(t, err, "exceeds the 65536-byte limit")
}

func TestDecodeFrameKeepsIDOfInvalidFrame(t *testing.T) {
	f, err := DecodeFrame([]byte(`{"op":"publish","id":9,"channel":"s.a"}`))
	require.Error(t, err)
	assert.Equal(t, uint64(9), f.ID)
}

func TestEncodeFrameRefusesOversized(t *testing.T) {
	_, err := EncodeFrame(Frame{Op: OpPublish, ID: 1, Channel: "s.a", Message: strings.Repeat("x", MaxFrameSize)})
	require.ErrorContains(t, err, "exceeds the 65536-byte limit")
	_, err = EncodeFrame(Frame{Op: OpPublish, ID: 1, Channel: "s.a", Message: "<&>"})
	require.NoError(t, err)
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"op":"subscribe","id":1,"channels":["b.i1","s.i1"]}`,
		`{"op":"unsubscribe","channels":["s.i1"]}`,
		`{"op":"publish","id":7,"channel":"c.call_1","message":"10 x - 0 1 QUJD"}`,
		`{"op":"ping","id":2}`,
		`{"op":"message","channel":"s.A","message":"m"}`,
		`{"op":"ack","id":3}`,
		`{"op":"pong","id":4}`,
		`{"op":"error","id":5,"code":40301,"message":"no"}`,
		`{"op":"publish","id":1,"channel":"s.a","message":"\u00e9\ud800<>"}`,
		`{"OP":"ping","Id":1e2}`,
		`{"op":"subscribe","channels":[null]}`,
		`null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		// What decodes must survive a round trip through the encoder.
		enc, err := EncodeFrame(fr)
		if err != nil {
			if strings.Contains(err.Error(), "exceeds") {
				return // re-escaping (e.g. of invalid UTF-8) may grow a frame
			}
			t.Fatalf("decoded frame %+v does not encode: %v", fr, err)
		}
		again, err := DecodeFrame(enc)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", enc, err)
		}
		want, _ := json.Marshal(fr)
		got, _ := json.Marshal(again)
		if string(want) != string(got) {
			t.Fatalf("round trip changed the frame: %s -> %s", want, got)
		}
	})
}

package rtc

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rtpBytes(t testing.TB, pt uint8, payload []byte) []byte {
	t.Helper()
	raw, err := (&rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: 1, Timestamp: 160, SSRC: 42},
		Payload: payload,
	}).Marshal()
	require.NoError(t, err)
	return raw
}

func TestDecodeAudioPacket(t *testing.T) {
	var pkt rtp.Packet
	pcm, ok := decodeAudioPacket(nil, &pkt, rtpBytes(t, PayloadTypePCMU, []byte{0xFF, 0xCE, 0x80}))
	require.True(t, ok)
	assert.Equal(t, []int16{0, 988, 32124}, pcm)

	for name, raw := range map[string][]byte{
		"telephone-event": rtpBytes(t, PayloadTypeTelephoneEvent, []byte{1, 0x0a, 0, 160}),
		"comfort noise":   rtpBytes(t, 13, []byte{0x40}),
		"empty payload":   rtpBytes(t, PayloadTypePCMU, nil),
		"truncated":       rtpBytes(t, PayloadTypePCMU, []byte{1})[:5],
	} {
		_, ok := decodeAudioPacket(nil, &pkt, raw)
		assert.False(t, ok, name)
	}
}

func FuzzDecodeAudioPacket(f *testing.F) {
	f.Add(rtpBytes(f, PayloadTypePCMU, make([]byte, samplesPerFrame)))
	f.Add(rtpBytes(f, PayloadTypeTelephoneEvent, []byte{1, 0x0a, 0, 160}))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pkt rtp.Packet
		pcm, ok := decodeAudioPacket(nil, &pkt, raw)
		if ok && len(pcm) != len(pkt.Payload) {
			t.Fatalf("%d samples from a %d-byte payload", len(pcm), len(pkt.Payload))
		}
	})
}

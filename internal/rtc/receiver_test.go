package rtc

import (
	"testing"
	"time"

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
	require.NoError(t, pkt.Unmarshal(rtpBytes(t, PayloadTypePCMU, []byte{0xFF, 0xCE, 0x80})))
	pcm, ok := decodeAudioPacket(nil, &pkt)
	require.True(t, ok)
	assert.Equal(t, []int16{0, 988, 32124}, pcm)

	for name, raw := range map[string][]byte{
		"telephone-event": rtpBytes(t, PayloadTypeTelephoneEvent, []byte{1, 0x0a, 0, 160}),
		"comfort noise":   rtpBytes(t, 13, []byte{0x40}),
		"empty payload":   rtpBytes(t, PayloadTypePCMU, nil),
	} {
		require.NoError(t, pkt.Unmarshal(raw), name)
		_, ok := decodeAudioPacket(nil, &pkt)
		assert.False(t, ok, name)
	}
}

// FuzzReceivePacket feeds what the audio receiver does with the bytes of
// one packet: parse, count, decode.
func FuzzReceivePacket(f *testing.F) {
	f.Add(rtpBytes(f, PayloadTypePCMU, make([]byte, samplesPerFrame)))
	f.Add(rtpBytes(f, PayloadTypeTelephoneEvent, []byte{1, 0x0a, 0, 160}))
	f.Add(rtpBytes(f, PayloadTypePCMU, []byte{1})[:5])
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pkt rtp.Packet
		if pkt.Unmarshal(raw) != nil {
			return
		}
		stats := newReceiveStats(8000)
		stats.add(&pkt.Header, len(pkt.Payload), time.Now())
		if got := stats.snapshot(); got != (ReceiveStats{PacketsReceived: 1, BytesReceived: uint64(len(pkt.Payload))}) {
			t.Fatalf("one packet of %d bytes: %+v", len(pkt.Payload), got)
		}
		pcm, ok := decodeAudioPacket(nil, &pkt)
		if ok && len(pcm) != len(pkt.Payload) {
			t.Fatalf("%d samples from a %d-byte payload", len(pcm), len(pkt.Payload))
		}
	})
}

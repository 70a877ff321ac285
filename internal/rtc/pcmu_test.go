package rtc

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference values of G.711 μ-law with 16-bit linear input, as in the ITU-T
// G.191 and Sun reference implementations.
var pcmuVectors = []struct {
	linear  int16
	encoded byte
	decoded int16
}{
	{0, 0xFF, 0},
	{-1, 0x7F, 0},
	{8, 0xFE, 8},
	{-8, 0x7E, -8},
	{1000, 0xCE, 988},
	{-100, 0x73, -96},
	{32636, 0x80, 32124}, // 8159 in 14-bit units: top of the range
	{-32636, 0x00, -32124},
	{math.MaxInt16, 0x80, 32124}, // clipped
	{math.MinInt16, 0x00, -32124},
}

func TestPCMUReferenceValues(t *testing.T) {
	for _, v := range pcmuVectors {
		enc := EncodePCMU(nil, []int16{v.linear})
		assert.Equal(t, []byte{v.encoded}, enc, "encode %d", v.linear)
		assert.Equal(t, []int16{v.decoded}, DecodePCMU(nil, []byte{v.encoded}), "decode %#02x", v.encoded)
	}
}

func TestPCMURoundTripErrorIsBounded(t *testing.T) {
	pcm := make([]int16, 0, 1<<16)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		pcm = append(pcm, int16(v))
	}
	got := DecodePCMU(nil, EncodePCMU(nil, pcm))
	for i, x := range pcm {
		diff := math.Abs(float64(got[i]) - float64(x))
		limit := math.Abs(float64(x))/32 + 8 // half a step of μ-law's 4-bit mantissa
		if math.Abs(float64(x)) > 32124 {
			limit = math.Abs(float64(x)) - 32124 // clipped to the largest code
		}
		if diff > limit {
			t.Fatalf("round trip of %d gave %d (error %v, limit %v)", x, got[i], diff, limit)
		}
	}
}

func TestPCMUAppends(t *testing.T) {
	enc := EncodePCMU([]byte{0x42}, []int16{0, 1000})
	assert.Equal(t, []byte{0x42, 0xFF, 0xCE}, enc)
	dec := DecodePCMU([]int16{7}, []byte{0xCE})
	assert.Equal(t, []int16{7, 988}, dec)
}

func BenchmarkEncodePCMUFrame(b *testing.B) {
	frame := make([]int16, samplesPerFrame)
	for i := range frame {
		frame[i] = int16(10000 * math.Sin(float64(i)/5))
	}
	dst := make([]byte, 0, samplesPerFrame)
	b.ReportAllocs()
	b.SetBytes(int64(2 * len(frame)))
	for b.Loop() {
		dst = EncodePCMU(dst[:0], frame)
	}
}

func BenchmarkDecodePCMUFrame(b *testing.B) {
	payload := make([]byte, samplesPerFrame)
	for i := range payload {
		payload[i] = byte(i)
	}
	dst := make([]int16, 0, samplesPerFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		dst = DecodePCMU(dst[:0], payload)
	}
}

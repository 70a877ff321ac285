package rtc

import "github.com/zaf/g711"

// EncodePCMU appends the G.711 μ-law encoding of pcm (one byte per sample) to
// dst and returns the extended slice.
func EncodePCMU(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, g711.EncodeUlawFrame(s))
	}
	return dst
}

// DecodePCMU appends the linear samples of the G.711 μ-law payload to dst and
// returns the extended slice.
func DecodePCMU(dst []int16, payload []byte) []int16 {
	for _, b := range payload {
		dst = append(dst, g711.DecodeUlawFrame(b))
	}
	return dst
}

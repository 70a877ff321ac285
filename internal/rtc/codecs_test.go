package rtc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const sdpHead = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

func TestOffersPCMU(t *testing.T) {
	for _, tc := range []struct {
		name, sdp  string
		want, opus bool // OffersPCMU; OffersAudio also accepts Opus
	}{
		{"chromium: opus first, pcmu later", sdpHead +
			"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n", true, false},
		{"dynamic pcmu", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 pcmu/8000\r\n", true, false},
		{"opus only", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", false, true},
		{"opus without channels", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 OPUS/48000\r\n", false, true},
		{"opus at another clock", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/480000\r\n", false, false},
		{"video only", sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", true, false},
		{"second audio without pcmu", sdpHead + "m=audio 9 RTP/AVP 0\r\nm=audio 9 RTP/AVP 8\r\n", false, false},
		{"garbage", "not sdp", false, false},
	} {
		assert.Equal(t, tc.want, OffersPCMU(tc.sdp), tc.name)
		assert.Equal(t, tc.want || tc.opus, OffersAudio(tc.sdp, false), tc.name)
	}
}

func FuzzOffersPCMU(f *testing.F) {
	f.Add(sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n")
	f.Add(sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		if OffersPCMU(offer) && strings.Contains(offer, "m=audio") && !strings.Contains(strings.ToLower(offer), "pcmu") && !strings.Contains(offer, " 0") {
			t.Fatalf("PCMU found in an offer that does not mention it: %q", offer)
		}
	})
}

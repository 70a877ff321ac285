package rtc

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offerAndAnswer returns a real audio+video offer and pion's answer to it.
func offerAndAnswer(t testing.TB) (offer, answer string) {
	t.Helper()
	caller, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer caller.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		_, err := caller.AddTransceiverFromKind(kind)
		require.NoError(t, err)
	}
	o, err := caller.CreateOffer(nil)
	require.NoError(t, err)
	callee, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer callee.Close()
	require.NoError(t, callee.SetRemoteDescription(o))
	a, err := callee.CreateAnswer(nil)
	require.NoError(t, err)
	return o.SDP, a.SDP
}

func TestCheckAnswer(t *testing.T) {
	offer, answer := offerAndAnswer(t)
	mids := MediaIDs(offer)
	require.Equal(t, []string{"0", "1"}, mids)
	assert.NoError(t, CheckAnswer(mids, answer))

	// An answer to another offer (audio only) does not answer this one.
	assert.Error(t, CheckAnswer(mids[:1], answer))
	assert.Error(t, CheckAnswer([]string{"audio", "video"}, answer), "other mids")
	noMID := strings.ReplaceAll(answer, "a=mid:", "a=x-mid:")
	assert.NoError(t, CheckAnswer(mids, noMID), "sections without a mid are taken by their place")
	noFingerprint := strings.ReplaceAll(answer, "a=fingerprint:", "a=x-fingerprint:")
	assert.ErrorContains(t, CheckAnswer(mids, noFingerprint), "fingerprint")
	noUfrag := strings.ReplaceAll(answer, "a=ice-ufrag:", "a=x-ufrag:")
	assert.Error(t, CheckAnswer(mids, noUfrag))
	assert.Error(t, CheckAnswer(mids, "not sdp"))
}

func TestMediaIDsIsBounded(t *testing.T) {
	sdp := sdpHead + strings.Repeat("m=audio 9 RTP/AVP 0\r\na=mid:x\r\n", 1000)
	assert.Len(t, MediaIDs(sdp), maxMediaSections)
	assert.Equal(t, []string{"", "a"}, MediaIDs(sdpHead+"m=audio 9 RTP/AVP 0\nm=video 9 RTP/AVP 96\na=mid:a\n"))
}

func TestCandidateInMedia(t *testing.T) {
	mids := []string{"0", "1"}
	mid := func(s string) *string { return &s }
	index := func(i uint16) *uint16 { return &i }
	assert.True(t, CandidateInMedia(mids, webrtc.ICECandidateInit{SDPMid: mid("1")}))
	assert.False(t, CandidateInMedia(mids, webrtc.ICECandidateInit{SDPMid: mid("7")}), "unknown mid")
	assert.True(t, CandidateInMedia(mids, webrtc.ICECandidateInit{SDPMLineIndex: index(1)}))
	assert.False(t, CandidateInMedia(mids, webrtc.ICECandidateInit{SDPMLineIndex: index(2)}), "no such section")
	assert.False(t, CandidateInMedia(mids, webrtc.ICECandidateInit{SDPMid: mid("9"), SDPMLineIndex: index(0)}), "the mid wins")
	assert.True(t, CandidateInMedia(mids, webrtc.ICECandidateInit{}), "neither: the bundle's")
}

func FuzzCheckAnswer(f *testing.F) {
	offer, answer := offerAndAnswer(f)
	f.Add(offer, answer)
	f.Add(offer, "m=audio\na=mid:0\n")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, offer, answer string) {
		mids := MediaIDs(offer)
		if len(mids) > maxMediaSections {
			t.Fatalf("%d media sections read, at most %d", len(mids), maxMediaSections)
		}
		if CheckAnswer(mids, answer) == nil && !strings.Contains(answer, "a=fingerprint:") {
			t.Fatalf("an answer without a fingerprint passed: %q", answer)
		}
	})
}

package call_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// toneSink records, for each frame carrying sound, whether its call's
// listener had been told OnCallAnswered when the frame arrived.
type toneSink struct {
	rec *recorder // the call's listener; nil until set

	mu           sync.Mutex
	tones        int // frames with sound
	beforeAnswer int // of which before OnCallAnswered
}

func (s *toneSink) WriteFrame(frame []int16) error {
	loud := false
	for _, v := range frame {
		if v > 1000 || v < -1000 {
			loud = true
			break
		}
	}
	if !loud {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tones++
	if s.rec == nil || !containsEvent(s.rec.Events(), "answered") {
		s.beforeAnswer++
	}
	return nil
}

func (s *toneSink) counts() (tones, beforeAnswer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tones, s.beforeAnswer
}

func containsEvent(events []string, e string) bool {
	for _, got := range events {
		if got == e {
			return true
		}
	}
	return false
}

// mediaState reads c's peer connection.
func mediaState(t *testing.T, c *call.Call) call.MediaState {
	t.Helper()
	st, err := call.MediaStateOf(c)
	require.NoError(t, err)
	return st
}

// preconnected places a call from alice to bob's only device, both sides
// sending a tone into sinks, and waits until its media connected while it
// rings.
func preconnected(t *testing.T, srv *ocratest.Server) (out *call.Call, outRec *recorder, in inbound, aliceHears, bobHears *toneSink) {
	t.Helper()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	bobHears = &toneSink{}
	incoming := onIncoming(bob, func(c *call.Call) {
		c.SetAudioSource(audio.Tone(880, 0.5))
		c.SetAudioSink(bobHears)
	})
	aliceHears = &toneSink{}
	out, outRec = dial(t, alice, "bob", nil)
	aliceHears.mu.Lock()
	aliceHears.rec = outRec
	aliceHears.mu.Unlock()
	out.SetAudioSource(audio.Tone(440, 0.5))
	out.SetAudioSink(aliceHears)
	in = next(t, incoming)
	bobHears.mu.Lock()
	bobHears.rec = in.rec
	bobHears.mu.Unlock()
	require.Eventually(t, func() bool {
		return mediaState(t, out).Connection == webrtc.PeerConnectionStateConnected &&
			mediaState(t, in.call).Connection == webrtc.PeerConnectionStateConnected
	}, waitTimeout, time.Millisecond, "ICE and DTLS complete while the call rings")
	assert.Equal(t, call.Ringing, out.State())
	assert.Equal(t, call.Ringing, in.call.State())
	return out, outRec, in, aliceHears, bobHears
}

// TestPreconnectedCallPlaysNothingBeforeTheAnswer: with one callee device,
// the call's media connects while it rings, yet neither side sends or
// plays audio before the answer: both send a tone, and no tone frame
// reaches a sink before its side's OnCallAnswered. Answered, the call is
// established and both hear each other.
func TestPreconnectedCallPlaysNothingBeforeTheAnswer(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	out, outRec, in, aliceHears, bobHears := preconnected(t, srv)

	time.Sleep(300 * time.Millisecond) // connected and ringing: 15 frames' time
	tones, _ := aliceHears.counts()
	assert.Zero(t, tones, "alice hears bob before he answered")
	tones, _ = bobHears.counts()
	assert.Zero(t, tones, "bob hears alice before he answered")

	require.NoError(t, in.call.Answer())
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.Eventually(t, func() bool {
		a, _ := aliceHears.counts()
		b, _ := bobHears.counts()
		return a > 10 && b > 10
	}, waitTimeout, 5*time.Millisecond, "both hear the other's tone once answered")
	_, early := aliceHears.counts()
	assert.Zero(t, early, "tone frames reached alice's sink before her OnCallAnswered")
	_, early = bobHears.counts()
	assert.Zero(t, early, "tone frames reached bob's sink before his OnCallAnswered")

	require.NoError(t, out.Hangup())
	outRec.waitEnded(t)
	in.rec.waitEnded(t)
	assert.Equal(t, []string{"progressing", "ringing", "answered", "established", "ended"}, outRec.Events())
	assert.Equal(t, []string{"incoming", "answered", "established", "ended"}, in.rec.Events())
}

// TestPreconnectedCallEndsAsBefore: a pre-connected call that the caller
// cancels or the callee declines ends with the causes of any ringing call.
func TestPreconnectedCallEndsAsBefore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel bool
		cause  call.EndCause
	}{{"canceled", true, call.Canceled}, {"declined", false, call.Denied}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			out, outRec, in, aliceHears, bobHears := preconnected(t, srv)
			if tc.cancel {
				require.NoError(t, out.Hangup())
			} else {
				require.NoError(t, in.call.Hangup())
			}
			outRec.waitEnded(t)
			in.rec.waitEnded(t)
			assert.Equal(t, tc.cause, out.Details().EndCause)
			assert.Equal(t, tc.cause, in.call.Details().EndCause)
			assert.Equal(t, []string{"progressing", "ringing", "ended"}, outRec.Events())
			assert.Equal(t, []string{"incoming", "ended"}, in.rec.Events())
			tones, _ := aliceHears.counts()
			assert.Zero(t, tones)
			tones, _ = bobHears.counts()
			assert.Zero(t, tones)
		})
	}
}

// TestSeveralCalleeDevicesConnectAtTheAnswer: a call to a user with two
// devices applies no answer while it rings (each device's answer would
// need a peer connection of its own); the device that answers, even after
// ringing longer than ICE's old checking deadline (6 s in loopback mode),
// gets its media connected then, and the other device's call ends.
func TestSeveralCalleeDevicesConnectAtTheAnswer(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob1 := startClient(t, srv, "bob")
	bob2 := startClient(t, srv, "bob")
	incoming1 := onIncoming(bob1, nil)
	incoming2 := onIncoming(bob2, nil)

	out, rec := dial(t, alice, "bob", nil)
	in1 := next(t, incoming1)
	in2 := next(t, incoming2)
	require.Eventually(t, func() bool { return out.State() == call.Ringing }, waitTimeout, time.Millisecond)
	time.Sleep(6500 * time.Millisecond) // the devices gather and check, unanswered
	assert.False(t, mediaState(t, out).Remote, "no device's answer is applied while the call rings")

	require.NoError(t, in2.call.Answer())
	rec.waitEstablished(t)
	in2.rec.waitEstablished(t)
	in1.rec.waitEnded(t)
	assert.Equal(t, call.OtherDeviceAnswered, in1.call.Details().EndCause)
	require.NoError(t, out.Hangup())
	in2.rec.waitEnded(t)
}

// candidateMessage is a PeerEvent carrying an ICE candidate of media
// section mid.
func candidateMessage(t *testing.T, candidate, mid string) *mxp.Message {
	t.Helper()
	m, err := mxp.NewSDP(mxp.PeerEvent, rtc.NewCandidate(webrtc.ICECandidateInit{Candidate: candidate, SDPMid: &mid}))
	require.NoError(t, err)
	return m
}

// TestBadAcksDoNotFailTheCall: an Ack whose answer does not answer the
// offer, and an Ack and a Join from a device the call initiation response
// did not name, are dropped: the legitimate device that acks and joins
// next gets the call.
func TestBadAcksDoNotFailTheCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob1 := newRawPeer(t, srv, "bob")
	bob2 := newRawPeer(t, srv, "bob")

	out, rec := dial(t, alice, "bob", nil)
	inv := bob1.nextInvite(t)
	bob2.nextInvite(t)
	callerChannel := inv.m.FromSignalChannel
	answer := answerTo(t, inv.offer)
	sdp := func(method mxp.Method, d webrtc.SessionDescription) *mxp.Message {
		m, err := mxp.NewSDP(method, d)
		require.NoError(t, err)
		return m
	}

	// A device registered after the call was placed, holding the call's
	// key: not one of the call's devices.
	intruder := newRawPeer(t, srv, "bob")
	intruder.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Ack, answer))
	intruder.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Join, answer))

	// bob1's first Ack answers other media sections, its second has no
	// DTLS fingerprint: WebRTC would refuse either at the Join.
	otherMID := answer
	otherMID.SDP = strings.ReplaceAll(answer.SDP, "a=mid:0", "a=mid:7")
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Ack, otherMID))
	noFingerprint := answer
	noFingerprint.SDP = strings.ReplaceAll(answer.SDP, "a=fingerprint:", "a=x-fingerprint:")
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Ack, noFingerprint))
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Ack, answer))
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, sdp(mxp.Join, answer))

	require.Eventually(t, func() bool { return out.State() == call.Answered }, waitTimeout, time.Millisecond)
	joined := bob2.next(t, inv.sessionKey, mxp.Joined)
	assert.Contains(t, joined.m.Body, bob1.cr.InstanceID, "bob1 answered the call")
	assert.NotContains(t, joined.m.Body, intruder.cr.InstanceID)
	require.NoError(t, out.Hangup())
	rec.waitEnded(t)
	assert.Equal(t, call.HungUp, out.Details().EndCause, "the call did not fail: %v", out.Details().Error)
}

// TestCandidateOfUnknownMediaIsDropped: the only callee device's answer is
// applied at its Ack; its candidates follow at once, except one for a
// media section the offer does not have.
func TestCandidateOfUnknownMediaIsDropped(t *testing.T) {
	out, rec, bob, inv := callRawPeer(t)
	callerChannel := inv.m.FromSignalChannel
	ack, err := mxp.NewSDP(mxp.Ack, answerTo(t, inv.offer))
	require.NoError(t, err)
	bob.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, ack)
	bob.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID,
		candidateMessage(t, "candidate:1 1 udp 2130706431 127.0.0.1 40001 typ host", "7"))
	bob.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID,
		candidateMessage(t, "candidate:2 1 udp 2130706431 127.0.0.1 40002 typ host", "0"))

	require.Eventually(t, func() bool { return mediaState(t, out).RemoteCandidates > 0 }, waitTimeout, time.Millisecond)
	st := mediaState(t, out)
	assert.True(t, st.Remote, "the only device's answer is applied while the call rings")
	assert.Equal(t, 1, st.RemoteCandidates, "the candidate of media section 7 is dropped")
	assert.Equal(t, call.Ringing, out.State())
	require.NoError(t, out.Hangup())
	rec.waitEnded(t)
	assert.Equal(t, call.Canceled, out.Details().EndCause)
}

package sinch_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func relayOnly(b *sinch.SinchClientBuilder) { b.ICETransportPolicy(webrtc.ICETransportPolicyRelay) }

// Two relay-only clients connect through the TURN server ocratest hands
// out (capability turn.2, with credentials of each instance): both sides'
// selected candidate pair is relay to relay, and the audio gets through.
func TestRelayOnlyCallConnectsThroughTURN(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithTURN())
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice", relayOnly)
	bob := newPeer(t, srv, srv.URL(), "bob", relayOnly)

	out, in := establish(t, alice, bob)
	hears := audio.NewToneDetector(700 * time.Millisecond)
	in.SetAudioSink(hears)
	out.SetAudioSource(audio.Tone(700, 0.5))
	require.NoError(t, hears.Wait(waitCtxTB(t, 20*time.Second), 200*time.Millisecond), "bob hears alice through the relay")

	relayPair := func(c *call.Call) call.CandidatePair { return c.Stats().CandidatePair }
	for name, c := range map[string]*call.Call{"alice": out, "bob": in} {
		p := relayPair(c)
		assert.Equal(t, call.CandidateRelay, p.Local.Type, "%s's local candidate: %+v", name, p)
		assert.Equal(t, call.CandidateRelay, p.Remote.Type, "%s's remote candidate: %+v", name, p)
		assert.Equal(t, "127.0.0.1", p.Local.Address, name)
		assert.Equal(t, "udp", p.Local.Protocol, name)
		assert.NotZero(t, p.Local.Port, name)
		assert.Equal(t, "relay", p.Local.Type.String())
	}
	// Each side's relay is the other's remote candidate.
	assert.Equal(t, relayPair(out).Local.Port, relayPair(in).Remote.Port)
	assert.Equal(t, relayPair(in).Local.Port, relayPair(out).Remote.Port)
	assert.GreaterOrEqual(t, srv.TURNAllocations(), 2, "each side allocated a relay")
	t.Logf("through the relay: connected %v after the answer, ICE RTT %v, %d allocations",
		out.Details().ConnectingDuration, out.Stats().ICERoundTripTime, srv.TURNAllocations())

	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
	assert.Equal(t, call.CandidateRelay, out.Stats().CandidatePair.Local.Type, "an ended call keeps its last pair")
}

// The server's configuration can ask for relay-only calls
// (iceTransportPolicy "relay"): clients that did not choose a policy obey.
func TestServerConfigurationMakesCallsRelayOnly(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithTURN(), ocratest.WithICETransportPolicy("relay"))
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, srv.URL(), "bob")
	out, in := establish(t, alice, bob)
	require.Eventually(t, func() bool { return out.Stats().CandidatePair.Local.Type != call.CandidateUnknown }, 10*time.Second, 10*time.Millisecond)
	for _, c := range []*call.Call{out, in} {
		p := c.Stats().CandidatePair
		assert.Equal(t, call.CandidateRelay, p.Local.Type, "%+v", p)
		assert.Equal(t, call.CandidateRelay, p.Remote.Type, "%+v", p)
	}
	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
}

// Without the relay-only policy, the same clients connect directly even
// though a TURN server is offered: host candidates on 127.0.0.1.
func TestDefaultPolicyPrefersDirectCandidates(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithTURN())
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, srv.URL(), "bob")
	out, in := establish(t, alice, bob)
	require.Eventually(t, func() bool { return out.Stats().CandidatePair.Local.Type != call.CandidateUnknown }, 10*time.Second, 10*time.Millisecond)
	for _, c := range []*call.Call{out, in} {
		p := c.Stats().CandidatePair
		assert.Equal(t, call.CandidateHost, p.Local.Type, "%+v", p)
		assert.Equal(t, call.CandidateHost, p.Remote.Type, "%+v", p)
	}
	t.Logf("direct: connected %v after the answer", out.Details().ConnectingDuration)
	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
}

// A relay-only client with no TURN server could never connect: its calls
// fail at once, saying why, on either side.
func TestRelayOnlyWithoutTURNFailsClearly(t *testing.T) {
	srv := ocratest.NewServer() // hands out no TURN server
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice", relayOnly)
	bob := newPeer(t, srv, srv.URL(), "bob")

	out, outRec := alice.callUser(t, "bob")
	waitClosed(t, outRec.ended, 10*time.Second, "alice's relay-only call ends")
	d := out.Details()
	assert.Equal(t, call.Failure, d.EndCause)
	require.Error(t, d.Error)
	assert.Contains(t, d.Error.Error(), "TURN")
	assert.Contains(t, d.Error.Error(), "ICETransportPolicy")
	assert.True(t, d.EstablishedTime.IsZero(), "never established")
	assert.Equal(t, call.CandidateUnknown, out.Stats().CandidatePair.Local.Type, "no pair was ever selected")

	// Called, the relay-only client cannot take the call either: the
	// caller's call ends instead of ringing until it gives up.
	out, outRec = bob.callUser(t, "alice")
	waitClosed(t, outRec.ended, 10*time.Second, "bob's call to relay-only alice ends")
	assert.NotEqual(t, call.NoAnswer, out.Details().EndCause, "the caller is told at once")
	t.Logf("the caller's call to a relay-only client without TURN ended %v: %v", out.Details().EndCause, out.Details().Error)
	requireEachCallEndedOnce(t, alice, bob)
}

func TestBuildRefusesAnUnknownICETransportPolicy(t *testing.T) {
	_, err := sinch.GetSinchClientBuilder().
		ApplicationKey("d6b4a26b-8d36-4b1f-9d77-5a1a8b0e7e4c").UserID("alice").
		ICETransportPolicy(webrtc.ICETransportPolicyNoHost).Build()
	require.ErrorIs(t, err, sinch.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "ICETransportPolicy")
}

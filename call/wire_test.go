package call_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/rtc"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// These tests put the SDK opposite raw peers (rawpeer_test.go) to check
// the MXP it sends and how it takes what Sinch peers may send
// (real-wire.md section 2).

// requireSentBy checks the from-fields of a message the SDK sent.
func requireSentBy(t *testing.T, r received, user, instance, signal string) {
	t.Helper()
	m := r.m
	assert.Equal(t, user, m.FromUser, "fu")
	assert.Equal(t, instance+":0", m.FromID, "fi is instance:subInstance")
	assert.Equal(t, instance, m.FromInstance, "fd")
	assert.Equal(t, signal, m.FromSignalChannel, "fs")
	assert.Contains(t, r.plaintext, `"bv":10`, "bv is sent")
	assert.Contains(t, r.plaintext, `"fc":""`, "fc is sent empty")
	assert.NotContains(t, r.plaintext, `"fsi"`, "no fsi: a 1.x peer would name the sender fi+fsi")
}

// TestCallerSendsCandidatesToTheAckingDevice: a 1.x callee device (a sub-
// instance id of its own, no to, an Ack and never a candidate) starts
// listening on its signal channel only when the Invite comes, so the
// caller's candidates sent before are lost to it, and it takes candidates
// addressed to its fi only after its Ack: the caller sends it the
// candidates gathered so far when it acks, to its fi
// (docs/sinch-rtc-1x.md section 10, 7).
func TestCallerSendsCandidatesToTheAckingDevice(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := newRawPeer(t, srv, "bob")
	aliceID := srv.Instances("alice")[0].ID

	out, rec := dial(t, alice, "bob", nil)
	inv := bob.nextInvite(t)
	sender := bob.sender()
	sender.SubInstance = "2197748293"
	ack, err := mxp.NewSDP(mxp.Ack, answerTo(t, inv.offer))
	require.NoError(t, err)
	ack.From(sender)
	frames, err := mxp.Encode(inv.callID, inv.sessionKey, ack)
	require.NoError(t, err)
	for _, f := range frames {
		require.NoError(t, bob.conn.Publish(ctx(t), inv.m.FromSignalChannel, f))
	}
	for {
		cand := bob.next(t, inv.sessionKey, mxp.PeerEvent)
		if cand.m.NVPs[mxp.NVPTo] == "" {
			continue // sent to every device before the Ack
		}
		requireSentBy(t, cand, "alice", aliceID, inv.m.FromSignalChannel)
		assert.Equal(t, bob.cr.InstanceID+":2197748293", cand.m.NVPs[mxp.NVPTo], "to the acking device's fi")
		assert.Equal(t, bob.signal, cand.channel, "on the device's own channel")
		assert.Contains(t, cand.m.Body, "candidate")
		break
	}
	require.NoError(t, out.Hangup())
	rec.waitEnded(t)
}

// TestJoinBeforeAckAnswersTheCall: a callee device whose Join overtakes
// its Ack answers the call once the Ack arrives; the other device gets
// Joined naming the answering one in both client shapes, without to.
func TestJoinBeforeAckAnswersTheCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob1 := newRawPeer(t, srv, "bob")
	bob2 := newRawPeer(t, srv, "bob")
	aliceID := srv.Instances("alice")[0].ID

	out, rec := dial(t, alice, "bob", nil)
	inv := bob1.nextInvite(t)
	bob2.nextInvite(t)
	assert.Equal(t, aliceID+":0", inv.m.FromID)
	callerChannel := inv.m.FromSignalChannel
	require.NotEmpty(t, callerChannel, "the Invite names the caller's signal channel")

	// Before any device answered, the caller's candidates go to every
	// device, addressed to none.
	cand := bob1.next(t, inv.sessionKey, mxp.PeerEvent)
	requireSentBy(t, cand, "alice", aliceID, callerChannel)
	assert.NotContains(t, cand.m.NVPs, mxp.NVPTo)

	answer := answerTo(t, inv.offer)
	join, err := mxp.NewSDP(mxp.Join, answer)
	require.NoError(t, err)
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, join)
	ack, err := mxp.NewSDP(mxp.Ack, answer)
	require.NoError(t, err)
	bob1.send(t, callerChannel, inv.callID, inv.sessionKey, inv.m.FromID, ack)

	require.Eventually(t, func() bool { return out.State() == call.Answered }, waitTimeout, time.Millisecond)
	// The callbacks run on the dispatcher, after the state changed.
	require.Eventually(t, func() bool { return len(rec.Events()) >= 3 }, waitTimeout, time.Millisecond)
	assert.Equal(t, []string{"progressing", "ringing", "answered"}, rec.Events()[:3])

	joined := bob2.next(t, inv.sessionKey, mxp.Joined)
	requireSentBy(t, joined, "alice", aliceID, callerChannel)
	assert.Equal(t, mxp.BodyClient, joined.m.BodyType)
	assert.NotContains(t, joined.m.NVPs, mxp.NVPTo, "Joined carries no to")
	assert.JSONEq(t, fmt.Sprintf(`{"fi":%q,"fu":"bob","userId":"bob","instanceId":%q,"channel":%q,"domain":"mxp"}`,
		bob1.fi(), bob1.cr.InstanceID, bob1.signal), joined.m.Body)

	require.NoError(t, out.Hangup())
	leave := bob1.next(t, inv.sessionKey, mxp.Leave)
	assert.Equal(t, bob1.signal, leave.channel)
	assert.NotContains(t, leave.m.NVPs, mxp.NVPTo, "Leave carries no to")
	rec.waitEnded(t)
}

// TestCallerRepliesOnTheChannelTheDeviceNames: channel names are opaque;
// the caller sends a device what follows its Ack on the channel the
// device's messages name (fs), not on one built from its instance id.
func TestCallerRepliesOnTheChannelTheDeviceNames(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := newRawPeer(t, srv, "bob")
	elsewhere := newRawPeer(t, srv, "carol") // only its channel is used

	out, rec := dial(t, alice, "bob", nil)
	inv := bob.nextInvite(t)
	answer := answerTo(t, inv.offer)
	for _, method := range []mxp.Method{mxp.Ack, mxp.Join} {
		m, err := mxp.NewSDP(method, answer)
		require.NoError(t, err)
		m.Address(inv.m.FromID)
		m.From(bob.sender())
		m.FromSignalChannel = elsewhere.signal
		frames, err := mxp.Encode(inv.callID, inv.sessionKey, m)
		require.NoError(t, err)
		for _, f := range frames {
			require.NoError(t, bob.conn.Publish(ctx(t), inv.m.FromSignalChannel, f))
		}
	}
	require.Eventually(t, func() bool { return out.State() == call.Answered }, waitTimeout, time.Millisecond)
	require.NoError(t, out.Hangup())
	leave := elsewhere.next(t, inv.sessionKey, mxp.Leave)
	assert.Equal(t, elsewhere.signal, leave.channel)
	assert.Equal(t, inv.callID, leave.callID)
	rec.waitEnded(t)
}

// TestCalleeFollowsTheWireRules: opposite a raw caller, the callee's Ack
// is addressed to the caller's fi; a 2.x Joined naming the other device
// ends it OtherDeviceAnswered, one naming itself does not; a message
// addressed to another device is dropped; a message without bv or to is
// taken.
func TestCalleeFollowsTheWireRules(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	bob1 := startClient(t, srv, "bob")
	bob2 := startClient(t, srv, "bob")
	in1, in2 := onIncoming(bob1, nil), onIncoming(bob2, nil)
	alice := newRawPeer(t, srv, "alice")
	bobs := srv.Instances("bob") // oldest first: bob1's, then bob2's
	id1, id2 := bobs[0].ID, bobs[1].ID

	key, _ := alice.call(t, "raw-call-1", "bob")
	first, second := next(t, in1), next(t, in2)
	devices := map[string]received{} // by instance id
	for range 2 {
		ack := alice.next(t, key, mxp.Ack)
		require.Equal(t, alice.signal, ack.channel)
		id := ack.m.FromInstance
		require.Contains(t, []string{id1, id2}, id, "an Ack from one of bob's instances")
		requireSentBy(t, ack, "bob", id, ack.m.FromSignalChannel)
		assert.Equal(t, mxp.BodySDP, ack.m.BodyType)
		assert.Equal(t, alice.fi(), ack.m.NVPs[mxp.NVPTo], "the Ack is addressed to the caller's fi")
		devices[id] = ack
	}
	answered := fmt.Sprintf(`{"userId":"bob","instanceId":%q,"channel":%q,"domain":"mxp"}`, id1, devices[id1].m.FromSignalChannel)
	joined := func() string { // 2.x: no bv, no to
		return fmt.Sprintf(`{"md":4,"bt":"client","bd":%q,"fu":"alice","fi":%q,"fd":%q,"fsi":"0","fs":%q,"fc":""}`,
			answered, alice.fi(), alice.cr.InstanceID, alice.signal)
	}

	alice.publish(t, devices[id2].m.FromSignalChannel, "raw-call-1", key, joined())
	second.rec.waitEnded(t)
	assert.Equal(t, call.OtherDeviceAnswered, second.call.Details().EndCause)

	ch1 := devices[id1].m.FromSignalChannel
	alice.publish(t, ch1, "raw-call-1", key, joined()) // names this device: it goes on
	failure := mxp.NewError(50000, "not for this device")
	alice.send(t, ch1, "raw-call-1", key, "another-instance:0", failure)
	alice.publish(t, ch1, "raw-call-1", key, fmt.Sprintf(`{"md":7,"fu":"alice","fi":%q,"fd":%q,"fs":%q}`,
		alice.fi(), alice.cr.InstanceID, alice.signal)) // a 2.x Cancel
	first.rec.waitEnded(t)
	assert.Equal(t, call.Canceled, first.call.Details().EndCause,
		"the Joined naming this device and the Error for another device were ignored")
	assert.Equal(t, []string{"incoming", "ended"}, first.rec.Events())
}

// TestSessionKeySizes: calls whose session key is 16 or 24 bytes work
// end to end, and each side reports the call in full.
func TestSessionKeySizes(t *testing.T) {
	for _, size := range []int{16, 24} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			srv := ocratest.NewServer(ocratest.WithSessionKeySize(size))
			defer srv.Close()
			alice := startClient(t, srv, "alice")
			bob := startClient(t, srv, "bob")
			incoming := onIncoming(bob, answer)
			out, rec := dial(t, alice, "bob", nil)
			in := next(t, incoming)
			rec.waitEstablished(t)
			in.rec.waitEstablished(t)
			require.NoError(t, out.Hangup())
			rec.waitEnded(t)
			in.rec.waitEnded(t)

			require.Eventually(t, func() bool { return len(srv.Reports()) == 2 }, waitTimeout, 10*time.Millisecond)
			reports := map[string]ocratest.CallReport{}
			for _, r := range srv.Reports() {
				reports[r.Direction] = r
			}
			uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
			for dir, want := range map[string]struct{ user, remote string }{"outbound": {"alice", "bob"}, "inbound": {"bob", "alice"}} {
				r := reports[dir]
				assert.Regexp(t, uuid, r.ReportID, dir)
				assert.Equal(t, out.ID(), r.CallID, dir)
				assert.Equal(t, srv.Instances(want.user)[0].ID, r.Instance.ID, dir)
				assert.NotEmpty(t, r.Instance.Version.OS, dir)
				assert.Equal(t, sinch.Version, r.Instance.Version.SDK, dir)
				assert.Equal(t, srv.Instances(want.user)[0].DeviceID, r.Instance.DeviceID, dir)
				assert.NotEmpty(t, r.Instance.DeviceID, dir)
				assert.Equal(t, want.user, r.UserID, dir)
				assert.Equal(t, want.remote, r.RemoteUserID, dir)
				assert.Equal(t, "HungUp", r.Result, dir)
				assert.False(t, r.EndTime.Before(r.StartTime), dir)
			}
			assert.NotEqual(t, reports["outbound"].ReportID, reports["inbound"].ReportID)
		})
	}
}

// TestCalleeAckCarriesItsFirstCandidate: the callee's Ack waits for its
// first local ICE candidate and carries it in its answer, so that a caller
// can start ICE when the Ack arrives; any candidate the callee sends in a
// PeerEvent comes after the Ack (its Join may not: it is published at
// once, and a caller keeps a Join that overtook the Ack).
func TestCalleeAckCarriesItsFirstCandidate(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, answer)
	alice := newRawPeer(t, srv, "alice")

	key, _ := alice.call(t, "raw-call-ack", "bob")
	in := next(t, incoming)
	first := alice.next(t, key, mxp.Ack, mxp.PeerEvent)
	require.Equal(t, mxp.Ack, first.m.Method, "no candidate before the Ack")
	assert.Regexp(t, `(?m)^a=candidate:`, sdpOf(t, first.m.Body), "the Ack's answer carries a candidate")
	require.NoError(t, in.call.Hangup())
	in.rec.waitEnded(t)
}

// TestHangupDoesNotWaitForTheFarEndsFirstPacket: a call whose media is up
// but whose far end has sent no RTP yet (a raw callee whose peer
// connection connects and sends nothing) is hung up at once: Hangup and
// the call's end do not wait the grace that closing its peer connection
// waits for pion's RTP start, which happens in the background (goleak
// checks it ends).
func TestHangupDoesNotWaitForTheFarEndsFirstPacket(t *testing.T) {
	out, rec, bob, inv := callRawPeer(t)
	api, err := rtc.NewAPI(rtc.Config{Loopback: true})
	require.NoError(t, err)
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	require.NoError(t, pc.SetRemoteDescription(inv.offer))
	answer, err := pc.CreateAnswer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(pc)
	require.NoError(t, pc.SetLocalDescription(answer))
	<-gathered
	for _, method := range []mxp.Method{mxp.Ack, mxp.Join} {
		m, err := mxp.NewSDP(method, pc.LocalDescription())
		require.NoError(t, err)
		bob.send(t, inv.m.FromSignalChannel, inv.callID, inv.sessionKey, inv.m.FromID, m)
	}
	rec.waitEstablished(t)

	start := time.Now()
	require.NoError(t, out.Hangup())
	require.Less(t, time.Since(start), call.RTPStartGrace, "Hangup waited for the far end's first packet")
	rec.waitEnded(t)
}

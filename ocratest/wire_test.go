package ocratest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// TestPhoneTakesAJoinBeforeItsAck: a phone calling an app keeps a device's
// Join that overtakes its Ack, answers once the Ack is in, and tells the
// other devices with a Joined that names the answering one in both client
// shapes, without nvps.to.
func TestPhoneTakesAJoinBeforeItsAck(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	bob1, reg1 := register(t, s, c, "bob")
	bob2, reg2 := register(t, s, c, "bob")
	conn1, rx1 := realtime(t, s, c, bob1)
	_, rx2 := realtime(t, s, c, bob2)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, s.CallFromPhone(ctx, "+15550001", "bob"))

	key1, err := ocra.DecodeSecret(reg1.Config.RTCProfile.Key)
	require.NoError(t, err)
	key2, err := ocra.DecodeSecret(reg2.Config.RTCProfile.Key)
	require.NoError(t, err)
	callID, _, inv := receiveMessage(t, rx1, key1)
	receiveMessage(t, rx2, key2)
	key, err := ocra.DecodeSecret(inv.NVPs[mxp.NVPKey])
	require.NoError(t, err)
	require.NotEmpty(t, inv.FromSignalChannel)

	var offer webrtc.SessionDescription
	require.NoError(t, json.Unmarshal([]byte(inv.NVPs[mxp.NVPSDP]), &offer))
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer pc.Close()
	require.NoError(t, pc.SetRemoteDescription(offer))
	answer, err := pc.CreateAnswer(nil)
	require.NoError(t, err)

	me := mxp.Sender{User: "bob", Instance: bob1.InstanceID, SignalChannel: reg1.Config.RTCProfile.SignalChannel}
	for _, method := range []mxp.Method{mxp.Join, mxp.Ack} { // Join first
		m, err := mxp.NewSDP(method, answer)
		require.NoError(t, err)
		m.From(me)
		m.Address(inv.FromID)
		frames, err := mxp.Encode(callID, key, m)
		require.NoError(t, err)
		for _, frame := range frames {
			require.NoError(t, conn1.Publish(ctx, inv.FromSignalChannel, frame))
		}
	}

	_, channel, joined := receiveMessage(t, rx2, key)
	assert.Equal(t, reg2.Config.RTCProfile.SignalChannel, channel)
	assert.Equal(t, mxp.Joined, joined.Method)
	assert.Equal(t, inv.FromID, joined.FromID, "the phone signs as it did in the Invite")
	assert.NotContains(t, joined.NVPs, mxp.NVPTo)
	assert.JSONEq(t, fmt.Sprintf(`{"fi":"%s:0","fu":"bob","userId":"bob","instanceId":%q,"channel":%q,"domain":"mxp"}`,
		bob1.InstanceID, bob1.InstanceID, me.SignalChannel), joined.Body)
}

// receiveMessage reassembles the next whole MXP message of rx and opens it
// with key.
func receiveMessage(t *testing.T, rx <-chan message, key []byte) (callID, channel string, m *mxp.Message) {
	t.Helper()
	r := mxp.NewReassembler(0, 0)
	for {
		msg := receive(t, rx)
		f, err := mxp.ParseFrame(msg.text)
		require.NoError(t, err)
		payload, complete, err := r.Add(f, time.Now())
		require.NoError(t, err)
		if complete {
			m, err := mxp.DecodeMessage(key, payload)
			require.NoError(t, err)
			return f.SessionID, msg.channel, m
		}
	}
}

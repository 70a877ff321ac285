package mxp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var bob = Sender{User: "bob", Instance: "inst-b", SignalChannel: "chan-b"}

func TestSenderStampsFromFields(t *testing.T) {
	m := &Message{Method: Ack}
	m.From(bob)
	assert.Equal(t, &Message{Method: Ack, FromUser: "bob", FromID: "inst-b:0", FromInstance: "inst-b",
		FromSignalChannel: "chan-b"}, m)
	assert.Equal(t, "inst-b:7", Sender{Instance: "inst-b", SubInstance: "7"}.FI())
}

func TestSenderInstance(t *testing.T) {
	assert.Equal(t, "fd", (&Message{FromInstance: "fd", FromID: "fi:0"}).SenderInstance())
	assert.Equal(t, "inst", (&Message{FromID: "inst:sub"}).SenderInstance(), "2.x peers may send fi only")
	assert.Equal(t, "a:b", (&Message{FromID: "a:b:c"}).SenderInstance())
	assert.Equal(t, "bare", (&Message{FromID: "bare"}).SenderInstance())
	assert.Empty(t, (&Message{}).SenderInstance())
}

func TestAddressCarriesToExceptOnLeaveCancelJoined(t *testing.T) {
	for m := Invite; m <= PeerEvent; m++ {
		msg := &Message{Method: m}
		msg.Address("inst-a:0")
		if m == Leave || m == Cancel || m == Joined {
			assert.NotContains(t, msg.NVPs, NVPTo, "%v carries no to", m)
		} else {
			assert.Equal(t, "inst-a:0", msg.NVPs[NVPTo], "%v", m)
		}
	}
	msg := &Message{Method: Ack, NVPs: map[string]string{NVPTo: "old", NVPSDP: "x"}}
	msg.Address("")
	assert.Equal(t, map[string]string{NVPSDP: "x"}, msg.NVPs, "an unknown far end leaves to out")
}

func TestAddressedTo(t *testing.T) {
	for to, want := range map[string]bool{
		"":         true, // no to: for every device
		"inst-b:0": true, // its fi
		"inst-b":   true, // its bare instance id (1.x)
		"inst-b:1": false,
		"inst-c:0": false, // another device of the user
		"bob":      false, // a user id names no device
	} {
		m := &Message{Method: PeerEvent}
		if to != "" {
			m.NVPs = map[string]string{NVPTo: to}
		}
		assert.Equal(t, want, m.AddressedTo("inst-b:0", "inst-b"), "to %q", to)
	}
}

func TestJoinedBodyCarriesBothShapes(t *testing.T) {
	m := NewJoined(ClientOf(bob))
	assert.Equal(t, Joined, m.Method)
	assert.Equal(t, BodyClient, m.BodyType)
	assert.JSONEq(t, `{"fi":"inst-b:0","fu":"bob","userId":"bob","instanceId":"inst-b","channel":"chan-b","domain":"mxp"}`, m.Body)
}

func TestParseClient(t *testing.T) {
	for name, tc := range map[string]struct {
		body       string
		bob, other bool // whether it names inst-b, inst-c
	}{
		"ours":               {`{"fi":"inst-b:0","fu":"bob","userId":"bob","instanceId":"inst-b","channel":"c","domain":"mxp"}`, true, false},
		"1.x fi":             {`{"fi":"inst-b:0"}`, true, false},
		"1.x bare":           {`{"fi":"inst-b"}`, true, false},
		"1.x other sub":      {`{"fi":"inst-b:9"}`, false, false},
		"2.x":                {`{"userId":"bob","instanceId":"inst-c","channel":"x","domain":"mxp"}`, false, true},
		"2.x fi form":        {`{"instanceId":"inst-c:0"}`, false, true},
		"fi wins":            {`{"fi":"inst-b:0","instanceId":"inst-c"}`, true, false},
		"extra keys ignored": {`{"instanceId":"inst-b","capabilities":["p2p"],"n":1}`, true, false},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseClient(tc.body)
			require.NoError(t, err)
			assert.Equal(t, tc.bob, c.Names("inst-b:0", "inst-b"))
			assert.Equal(t, tc.other, c.Names("inst-c:0", "inst-c"))
		})
	}
	for _, body := range []string{"", "inst-b", `"inst-b"`, `[]`, `{}`, `{"userId":"bob"}`, `{"fi":1}`} {
		_, err := ParseClient(body)
		assert.Error(t, err, "%q", body)
	}
}

func TestNewSDPAndError(t *testing.T) {
	m, err := NewSDP(Join, map[string]string{"type": "answer", "sdp": "v=0"})
	require.NoError(t, err)
	assert.Equal(t, &Message{Method: Join, BodyType: BodySDP, Body: `{"sdp":"v=0","type":"answer"}`}, m)
	_, err = NewSDP(PeerEvent, func() {})
	assert.ErrorContains(t, err, "PeerEvent body")

	e := NewError(50000, "boom")
	assert.Equal(t, &Message{Method: Error, BodyType: BodyErrorJSON, Body: `{"code":50000,"reason":"boom"}`}, e)
}

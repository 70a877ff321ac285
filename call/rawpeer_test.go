package call_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// rawPeer is an instance that speaks MXP by hand, as another SDK would, so
// that tests can see exactly what the SDK sends and send it what a Sinch
// peer may: its own message order, shapes and addressing.
type rawPeer struct {
	user      string
	cr        ocra.Credentials
	rest      *ocra.Client
	broadcast string // its channels, as the server named them
	signal    string
	key       []byte          // its instance key
	conn      pubsub.Conn     // PubNub or the WebSocket, as the server's config says
	rx        chan rawMessage // its signal channel's messages
	// invites are its broadcast channel's. Over PubNub the two channels are
	// two polls: a caller's first messages may overtake its Invite.
	invites chan rawMessage
}

// rawMessage is a whole MXP message received by a rawPeer, still sealed.
type rawMessage struct {
	channel, callID, payload string
}

// newRawPeer registers an instance of user on srv and subscribes it to its
// channels. It is closed when the test ends.
func newRawPeer(t *testing.T, srv *ocratest.Server, user string) *rawPeer {
	t.Helper()
	rest, err := ocra.NewClient(srv.URL(), srv.Client())
	require.NoError(t, err)
	resp, err := rest.CreateInstance(ctx(t), srv.Token(user), ocra.CreateInstanceRequest{
		UserID: user, DeviceID: "raw-" + user, Capabilities: []string{"p2p"},
		Version: ocra.Version{OS: "test", Platform: "raw", SDK: "none"},
	})
	require.NoError(t, err)
	secret, err := ocra.DecodeSecret(resp.Instance.Secret)
	require.NoError(t, err)
	key, err := ocra.DecodeSecret(resp.Config.RTCProfile.Key)
	require.NoError(t, err)
	p := &rawPeer{
		user:      user,
		cr:        ocra.Credentials{InstanceID: resp.Instance.ID, Secret: secret},
		rest:      rest,
		broadcast: resp.Config.RTCProfile.BroadcastChannel,
		signal:    resp.Config.RTCProfile.SignalChannel,
		key:       key,
		rx:        make(chan rawMessage, 256),
		invites:   make(chan rawMessage, 16),
	}
	reasm := mxp.NewReassembler(0, 0)
	handler := func(channel, text string) { // on the connection's read goroutine
		f, err := mxp.ParseFrame(text)
		if err != nil {
			return
		}
		if payload, complete, err := reasm.Add(f, time.Now()); err == nil && complete {
			q := p.rx
			if channel == p.broadcast {
				q = p.invites
			}
			select {
			case q <- rawMessage{channel, f.SessionID, payload}:
			default:
			}
		}
	}
	ps := resp.Config.RTCConfig.MXPPubSubConfig
	if ps.Transport == ocra.TransportWebSocket {
		ws, err := pubsub.Dial(ctx(t), rest.PubSubURL(), pubsub.DialOptions{Header: rest.PubSubHeader(p.cr), Handler: handler})
		require.NoError(t, err)
		t.Cleanup(func() { _ = ws.Close() })
		require.NoError(t, ws.Subscribe(ctx(t), p.broadcast, p.signal))
		p.conn = ws
		return p
	}
	pn, err := pubsub.DialPubNub(ctx(t), pubsub.PubNubOptions{
		Origin:                pubsub.PubNubOrigin(ps.Hostname, ps.Port),
		BroadcastSubscribeKey: ps.BroadcastSubscribeKey, BroadcastChannel: p.broadcast,
		SignalSubscribeKey: ps.SignalSubscribeKey, SignalPublishKey: ps.SignalPublishKey, SignalChannel: p.signal,
		Handler:    handler,
		HTTPClient: srv.Client(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pn.Close() })
	p.conn = pn
	return p
}

// sender is how the peer signs its messages.
func (p *rawPeer) sender() mxp.Sender {
	return mxp.Sender{User: p.user, Instance: p.cr.InstanceID, SignalChannel: p.signal}
}

func (p *rawPeer) fi() string { return p.sender().FI() }

// received is a message a rawPeer got, decoded, with its plaintext JSON.
type received struct {
	channel, callID string
	m               *mxp.Message
	plaintext       string
}

// next returns the next message, opened with key, whose method is one of
// methods; others are skipped.
func (p *rawPeer) next(t *testing.T, key []byte, methods ...mxp.Method) received {
	t.Helper()
	return p.nextOn(t, p.rx, key, methods...)
}

// nextOn is next on the queue q.
func (p *rawPeer) nextOn(t *testing.T, q <-chan rawMessage, key []byte, methods ...mxp.Method) received {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case rm := <-q:
			plaintext, err := mxp.Open(key, rm.payload)
			require.NoError(t, err, "a message on %s that does not open", rm.channel)
			m, err := mxp.DecodeMessage(key, rm.payload)
			require.NoError(t, err)
			if slices.Contains(methods, m.Method) {
				return received{rm.channel, rm.callID, m, string(plaintext)}
			}
		case <-deadline:
			t.Fatalf("no %v message reached %s", methods, p.user)
			return received{}
		}
	}
}

// publish seals plaintext with key and publishes it, in frames, to channel.
func (p *rawPeer) publish(t *testing.T, channel, callID string, key []byte, plaintext string) {
	t.Helper()
	payload, err := mxp.Seal(key, []byte(plaintext))
	require.NoError(t, err)
	for _, f := range mxp.Split(callID, payload) {
		require.NoError(t, p.conn.Publish(ctx(t), channel, f))
	}
}

// send signs m as the peer, addresses it to to and publishes it.
func (p *rawPeer) send(t *testing.T, channel, callID string, key []byte, to string, m *mxp.Message) {
	t.Helper()
	m.From(p.sender())
	m.Address(to)
	frames, err := mxp.Encode(callID, key, m)
	require.NoError(t, err)
	for _, f := range frames {
		require.NoError(t, p.conn.Publish(ctx(t), channel, f))
	}
}

// inviteOf is what a raw callee takes from an Invite.
type inviteOf struct {
	callID     string
	m          *mxp.Message
	sessionKey []byte
	offer      webrtc.SessionDescription
}

// nextInvite waits for an Invite on the peer's broadcast channel.
func (p *rawPeer) nextInvite(t *testing.T) inviteOf {
	t.Helper()
	r := p.nextOn(t, p.invites, p.key, mxp.Invite)
	require.Equal(t, p.broadcast, r.channel, "Invites come on the broadcast channel")
	key, err := base64.StdEncoding.DecodeString(r.m.NVPs[mxp.NVPKey])
	require.NoError(t, err)
	var offer webrtc.SessionDescription
	offer.Type = webrtc.SDPTypeOffer
	offer.SDP = sdpOf(t, r.m.NVPs[mxp.NVPSDP])
	return inviteOf{callID: r.callID, m: r.m, sessionKey: key, offer: offer}
}

// sdpOf returns the sdp of a {type, sdp} JSON.
func sdpOf(t *testing.T, description string) string {
	t.Helper()
	var d webrtc.SessionDescription
	require.NoError(t, json.Unmarshal([]byte(description), &d))
	return d.SDP
}

// answerTo returns a WebRTC answer to offer, made by a peer connection
// that gathers nothing (the tests need the answer, not media).
func answerTo(t *testing.T, offer webrtc.SessionDescription) webrtc.SessionDescription {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	require.NoError(t, pc.SetRemoteDescription(offer))
	answer, err := pc.CreateAnswer(nil)
	require.NoError(t, err)
	return answer
}

// newOffer returns an audio offer made by a peer connection that gathers
// nothing.
func newOffer(t *testing.T) webrtc.SessionDescription {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
	require.NoError(t, err)
	offer, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	return offer
}

// callRawPeer starts a server, a client of alice and a raw peer of bob,
// and places a call from alice to bob: it returns alice's call, its
// recorder, the raw peer and the Invite it got. The server closes, and
// the client terminates, at the end of the test.
func callRawPeer(t *testing.T) (*call.Call, *recorder, *rawPeer, inviteOf) {
	t.Helper()
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	alice := startClient(t, srv, "alice")
	bob := newRawPeer(t, srv, "bob")
	out, rec := dial(t, alice, "bob", nil)
	return out, rec, bob, bob.nextInvite(t)
}

// call places a call from the raw peer to user through the server's REST
// API, as another SDK would; it returns the call's session key and signal
// channel.
func (p *rawPeer) call(t *testing.T, callID, user string) (key []byte, channel string) {
	t.Helper()
	offer := newOffer(t)
	resp, err := p.rest.CreateCall(context.Background(), p.cr, ocra.CreateCallRequest{
		CallID:      callID,
		Destination: ocra.Destination{Domain: "mxp", Type: ocra.DestUserID, Identity: user},
		SDP:         ocra.SessionDescription{Type: offer.Type.String(), SDP: offer.SDP},
	})
	require.NoError(t, err)
	key, err = base64.StdEncoding.DecodeString(resp.MXPEncryptionKey)
	require.NoError(t, err)
	return key, resp.MXPSignalChannel
}

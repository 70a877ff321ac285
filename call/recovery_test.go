package call_test

import (
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// lossyLink is the UDP socket of a client's media, on 127.0.0.1, that a
// test can cut. Cutting it drops every packet both ways and kills the ICE
// sessions in use, as a network change does: their STUN checks stay
// dropped after Heal, so only an ICE restart (new credentials) brings the
// media back.
type lossyLink struct {
	net.PacketConn

	mu        sync.Mutex
	cut       bool
	seen      map[string]bool // STUN usernames, one per ICE session and direction
	dead      map[string]bool // usernames of the sessions the cut killed
	restarted chan struct{}   // closed when a new session's STUN shows up after a cut
}

// media makes the client's peer connections use a new lossy link; it is
// closed when the test ends.
func (l *lossyLink) media(t testing.TB) func(*sinch.SinchClientBuilder) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	l.PacketConn, l.seen, l.restarted = conn, map[string]bool{}, make(chan struct{})
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: l})
	t.Cleanup(func() { _ = mux.Close() })
	return func(b *sinch.SinchClientBuilder) {
		b.WebRTCSettings(func(s *webrtc.SettingEngine) { s.SetICEUDPMux(mux) })
	}
}

// Cut drops every packet from now on, for good or until Heal.
func (l *lossyLink) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut, l.dead = true, make(map[string]bool, len(l.seen))
	for u := range l.seen {
		l.dead[u] = true
	}
}

// Heal lets packets through again, except the dead sessions' checks.
func (l *lossyLink) Heal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = false
}

func (l *lossyLink) pass(p []byte) bool {
	user := stunUsername(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	if user != "" && !l.seen[user] {
		l.seen[user] = true
		if l.dead != nil && !l.dead[user] {
			select {
			case <-l.restarted:
			default:
				close(l.restarted)
			}
		}
	}
	return !l.cut && !l.dead[user]
}

func (l *lossyLink) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := l.PacketConn.ReadFrom(p)
		if err != nil || l.pass(p[:n]) {
			return n, addr, err
		}
	}
}

func (l *lossyLink) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !l.pass(p) {
		return len(p), nil // lost on the way
	}
	return l.PacketConn.WriteTo(p, addr)
}

// stunUsername returns the USERNAME attribute of a STUN message, "" for
// other packets.
func stunUsername(p []byte) string {
	const header, magic, attrUsername = 20, 0x2112A442, 0x0006
	if len(p) < header || p[0]>>6 != 0 || binary.BigEndian.Uint32(p[4:8]) != magic {
		return ""
	}
	for rest := p[header:]; len(rest) >= 4; {
		typ, n := binary.BigEndian.Uint16(rest[0:2]), int(binary.BigEndian.Uint16(rest[2:4]))
		if len(rest) < 4+n {
			return ""
		}
		if typ == attrUsername {
			return string(rest[4 : 4+n])
		}
		rest = rest[4+(n+3)&^3:]
	}
	return ""
}

// TestICERestartBringsMediaBack cuts the caller's media path long enough
// for both sides to lose the connection: the caller restarts ICE over the
// realtime channel, and once the network heals the callee hears the
// caller's tone again, on the same established call.
func TestICERestartBringsMediaBack(t *testing.T) {
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	var link lossyLink
	alice := startClient(t, srv, "alice", link.media(t))
	bob := startClient(t, srv, "bob")
	bobHears := audio.NewToneDetector(500 * time.Millisecond)
	out, in := established(t, alice, bob, func(c *call.Call) { c.SetAudioSink(bobHears) },
		func(c *call.Call) { c.SetAudioSource(audio.Tone(600, 0.5)) })
	hearsTone(t, bobHears, 600)

	link.Cut()
	wait(t, link.restarted, "the caller's ICE restart")
	link.Heal()
	hearsTone(t, bobHears, 600)

	require.Equal(t, call.Established, out.State())
	require.Equal(t, call.Established, in.call.State())
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	assert.Equal(t, call.HungUp, in.call.Details().EndCause)
	assert.Equal(t, []string{"incoming", "answered", "established", "ended"}, in.rec.Events())
}

// TestMediaLostForGoodEndsInactive cuts the media path for good: each side
// ends the call once, Inactive, after MediaInactiveTimeout, saying why.
func TestMediaLostForGoodEndsInactive(t *testing.T) {
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	var link lossyLink
	inactive := func(b *sinch.SinchClientBuilder) { b.MediaInactiveTimeout(3 * time.Second) }
	alice := startClient(t, srv, "alice", link.media(t), inactive)
	bob := startClient(t, srv, "bob", inactive)
	out, in := established(t, alice, bob, nil, nil)
	outRec := newRecorder() // what comes after Established
	out.AddListener(outRec)

	link.Cut()
	outRec.waitEnded(t)
	in.rec.waitEnded(t)
	for _, c := range []*call.Call{out, in.call} {
		d := c.Details()
		assert.Equal(t, call.Inactive, d.EndCause, c.Direction())
		require.Error(t, d.Error)
		assert.Contains(t, d.Error.Error(), "media lost")
		assert.Contains(t, d.Error.Error(), "MediaInactiveTimeout")
	}
	alice.Terminate()
	bob.Terminate()
	assert.Equal(t, []string{"ended"}, outRec.Events(), "one OnCallEnded")
	assert.Equal(t, []string{"incoming", "answered", "established", "ended"}, in.rec.Events())
}

package rtc

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
)

// newLoopbackPair returns two connected peer connections: the offerer sends
// track through sender, the answerer receives that kind of media and
// reports its remote track.
func newLoopbackPair(t *testing.T, track webrtc.TrackLocal) (offerer, answerer *webrtc.PeerConnection, sender *webrtc.RTPSender, remote <-chan *webrtc.TrackRemote) {
	t.Helper()
	return newLoopbackPairWith(t, Config{Loopback: true}, track)
}

// newLoopbackPairWith is newLoopbackPair for peers built from cfg.
func newLoopbackPairWith(t *testing.T, cfg Config, track webrtc.TrackLocal) (offerer, answerer *webrtc.PeerConnection, sender *webrtc.RTPSender, remote <-chan *webrtc.TrackRemote) {
	t.Helper()
	api, err := NewAPI(cfg)
	require.NoError(t, err)
	offerer, err = api.NewPeerConnection(cfg.PeerConnectionConfig())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, offerer.Close()) })
	answerer, err = api.NewPeerConnection(cfg.PeerConnectionConfig())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, answerer.Close()) })

	sender, err = offerer.AddTrack(track)
	require.NoError(t, err)
	_, err = answerer.AddTransceiverFromKind(track.Kind(),
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	require.NoError(t, err)
	tracks := make(chan *webrtc.TrackRemote, 1)
	answerer.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { tracks <- tr })

	offer, err := offerer.CreateOffer(nil)
	require.NoError(t, err)
	setLocalAndGather(t, offerer, offer)
	require.NoError(t, answerer.SetRemoteDescription(*offerer.LocalDescription()))
	answer, err := answerer.CreateAnswer(nil)
	require.NoError(t, err)
	setLocalAndGather(t, answerer, answer)
	require.NoError(t, offerer.SetRemoteDescription(*answerer.LocalDescription()))
	return offerer, answerer, sender, tracks
}

func setLocalAndGather(t *testing.T, pc *webrtc.PeerConnection, desc webrtc.SessionDescription) {
	t.Helper()
	gathered := webrtc.GatheringCompletePromise(pc)
	require.NoError(t, pc.SetLocalDescription(desc))
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("ICE gathering did not complete")
	}
}

// candidateAddresses returns the connection address of every candidate line.
func candidateAddresses(t *testing.T, sdp string) []string {
	t.Helper()
	var addrs []string
	for line := range strings.Lines(sdp) {
		if !strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		fields := strings.Fields(line)
		require.GreaterOrEqual(t, len(fields), 5, "candidate line %q", line)
		addrs = append(addrs, fields[4])
	}
	return addrs
}

func TestLoopbackCallCarriesTone(t *testing.T) {
	t.Run("opus", func(t *testing.T) { testLoopbackTone(t, false) })
	t.Run("pcmu", func(t *testing.T) { testLoopbackTone(t, true) })
}

func testLoopbackTone(t *testing.T, pcmuOnly bool) {
	track := NewAudioTrack("audio", "sinch")
	offerer, answerer, _, remote := newLoopbackPairWith(t, Config{Loopback: true, PCMUOnly: pcmuOnly}, track)

	for _, pc := range []*webrtc.PeerConnection{offerer, answerer} {
		sdp := pc.LocalDescription().SDP
		addrs := candidateAddresses(t, sdp)
		require.NotEmpty(t, addrs, "no candidates in SDP")
		for _, a := range addrs {
			assert.Equal(t, "127.0.0.1", a, "loopback SDP has a candidate that is not 127.0.0.1")
		}
		assert.NotContains(t, sdp, ".local", "mDNS candidate in loopback SDP")
		assert.Contains(t, sdp, "a=rtpmap:0 PCMU/8000")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tone := audio.Tone(1000, 0.5)
	sender := NewAudioSender(track, func(frame []int16) { require.NoError(t, tone.ReadFrame(frame)) })
	sendDone := make(chan error, 1)
	go func() { sendDone <- sender.Run(ctx) }()

	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-ctx.Done():
		t.Fatal("no remote track")
	}
	if pcmuOnly {
		assert.Equal(t, webrtc.MimeTypePCMU, tr.Codec().MimeType)
		assert.EqualValues(t, PayloadTypePCMU, tr.PayloadType())
	} else {
		assert.Equal(t, webrtc.MimeTypeOpus, tr.Codec().MimeType, "Opus is negotiated first")
		assert.EqualValues(t, PayloadTypeOpus, tr.PayloadType())
	}

	detector := audio.NewToneDetector(500 * time.Millisecond)
	receiver := NewAudioReceiver(tr, func(frame []int16) { _ = detector.WriteFrame(frame) })
	recvDone := make(chan error, 1)
	go func() { recvDone <- receiver.Run(ctx) }()

	// Skip the first frames, then measure a full window of received audio.
	require.NoError(t, detector.Wait(ctx, 100*time.Millisecond))
	detector.Reset()
	require.NoError(t, detector.Wait(ctx, 500*time.Millisecond))

	freq, ratio := detector.Dominant(500, 1000, 1500)
	assert.Equal(t, 1000.0, freq)
	assert.GreaterOrEqual(t, ratio, 10.0)
	p := detector.Power(1000)
	assert.GreaterOrEqual(t, p, 10*detector.Power(500))
	assert.GreaterOrEqual(t, p, 10*detector.Power(1500))
	assert.InEpsilon(t, 0.5*32767/1.4142, detector.RMS(), 0.12, "received level within 1 dB")

	// The track ends when the receiving peer connection closes.
	require.NoError(t, answerer.Close())
	require.NoError(t, <-recvDone)
	receiver.Close()

	sender.Close()
	require.NoError(t, <-sendDone)
}

// silentLoopbackCall connects a loopback pair whose offerer sends silence
// from a running AudioSender, and returns the answerer's remote track. ctx
// bounds the test; the sender stops when the test ends.
func silentLoopbackCall(t *testing.T) (context.Context, *AudioSender, *webrtc.TrackRemote) {
	t.Helper()
	track := NewPCMUTrack("audio", "sinch")
	_, _, _, remote := newLoopbackPair(t, track)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	sender := NewAudioSender(track, func(frame []int16) { clear(frame) })
	go func() { _ = sender.Run(ctx) }()
	t.Cleanup(sender.Close)
	select {
	case tr := <-remote:
		return ctx, sender, tr
	case <-ctx.Done():
		t.Fatal("no remote track")
		return nil, nil, nil
	}
}

func TestReceiverCloseUnblocksRead(t *testing.T) {
	ctx, sender, tr := silentLoopbackCall(t)
	frames := make(chan struct{}, 1)
	receiver := NewAudioReceiver(tr, func([]int16) {
		select {
		case frames <- struct{}{}:
		default:
		}
	})
	done := make(chan error, 1)
	go func() { done <- receiver.Run(ctx) }()
	select {
	case <-frames:
	case <-ctx.Done():
		t.Fatal("no audio received")
	}

	// With the sender stopped, Run waits for a packet that never comes
	// until Close expires the read.
	sender.Close()
	receiver.Close()
	require.NoError(t, <-done)
	assert.ErrorIs(t, receiver.Run(ctx), errClosed)
}

func TestRunTwiceFails(t *testing.T) {
	track := NewPCMUTrack("audio", "sinch")
	sender := NewAudioSender(track, func(frame []int16) { clear(frame) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An unbound track accepts and drops samples, so the Run that starts
	// first keeps going until cancelled; the other fails at once.
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- sender.Run(ctx) }()
	}
	require.ErrorIs(t, <-done, errAlreadyRunning)
	cancel()
	require.NoError(t, <-done)
	sender.Close()
	assert.ErrorIs(t, sender.Run(ctx), errClosed)
}

func TestFrameClockStaysOnGrid(t *testing.T) {
	start := time.Unix(1000, 0)
	c := frameClock{start: start}
	assert.Equal(t, time.Duration(0), c.next(start), "first frame is due at once")

	// Each frame is sent 3 ms late: the waits shrink so frames stay on the
	// 20 ms grid instead of drifting by 3 ms per frame.
	now := start
	for i := 1; i <= 100; i++ {
		now = now.Add(3 * time.Millisecond)
		wait := c.next(now)
		assert.Equal(t, 17*time.Millisecond, wait, "frame %d", i)
		now = now.Add(wait)
		assert.Equal(t, start.Add(time.Duration(i)*frameDuration), now)
	}

	// Behind by less than maxLag: catch up with frames due at once.
	now = now.Add(60 * time.Millisecond)
	assert.Equal(t, -40*time.Millisecond, c.next(now))

	// Stalled beyond maxLag: the schedule restarts from now.
	now = now.Add(time.Second)
	assert.Equal(t, time.Duration(0), c.next(now))
	assert.Equal(t, frameDuration, c.next(now))
}

func TestNewAPIModes(t *testing.T) {
	for _, loopback := range []bool{false, true} {
		cfg := Config{
			Loopback:           loopback,
			ICEServers:         []webrtc.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}},
			ICETransportPolicy: webrtc.ICETransportPolicyRelay,
		}
		api, err := NewAPI(cfg)
		require.NoError(t, err)
		pcc := cfg.PeerConnectionConfig()
		assert.Equal(t, cfg.ICEServers, pcc.ICEServers)
		assert.Equal(t, webrtc.ICETransportPolicyRelay, pcc.ICETransportPolicy)

		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		require.NoError(t, err)
		_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
		require.NoError(t, err)
		_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo)
		require.NoError(t, err)
		offer, err := pc.CreateOffer(nil)
		require.NoError(t, err)
		assert.Contains(t, offer.SDP, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 110 101\r\n", "Opus first, then PCMU, and DTMF at both clocks")
		assert.Contains(t, offer.SDP, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1")
		assert.Contains(t, offer.SDP, "a=rtpmap:101 telephone-event/8000")
		assert.Contains(t, offer.SDP, "a=rtpmap:110 telephone-event/48000")
		assert.Contains(t, offer.SDP, "a=rtpmap:96 VP8/90000")
		require.NoError(t, pc.Close())
	}
	assert.True(t, loopbackInterfaces()[loopbackName(t)])

	api, err := NewAPI(Config{PCMUOnly: true})
	require.NoError(t, err)
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer func() { require.NoError(t, pc.Close()) }()
	_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
	require.NoError(t, err)
	offer, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	assert.Contains(t, offer.SDP, "m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\n", "PCMUOnly: PCMU and DTMF only")
}

// TestAnswerPrefersOpus: an offer that lists PCMU before Opus (as some
// peers do) still gets Opus from an answerer whose codecs PreferAudioCodecs
// ordered.
func TestAnswerPrefersOpus(t *testing.T) {
	api, err := NewAPI(Config{Loopback: true})
	require.NoError(t, err)
	offerer, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer func() { require.NoError(t, offerer.Close()) }()
	tr, err := offerer.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
	require.NoError(t, err)
	codecs := tr.Receiver().GetParameters().Codecs
	require.NoError(t, tr.SetCodecPreferences([]webrtc.RTPCodecParameters{codecs[1], codecs[0], codecs[2], codecs[3]}))
	offer, err := offerer.CreateOffer(nil)
	require.NoError(t, err)
	require.Contains(t, offer.SDP, "m=audio 9 UDP/TLS/RTP/SAVPF 0 111 ", "the offer lists PCMU first")

	answerer, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	defer func() { require.NoError(t, answerer.Close()) }()
	require.NoError(t, answerer.SetRemoteDescription(offer))
	_, err = answerer.AddTrack(NewAudioTrack("audio", "s"))
	require.NoError(t, err)
	for _, at := range answerer.GetTransceivers() {
		require.NoError(t, PreferAudioCodecs(at))
	}
	answer, err := answerer.CreateAnswer(nil)
	require.NoError(t, err)
	assert.Contains(t, answer.SDP, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 ", "the answer puts Opus first")
}

// loopbackName returns the name of the host's loopback interface.
func loopbackName(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 {
			return ifi.Name
		}
	}
	t.Skip("no loopback interface")
	return ""
}

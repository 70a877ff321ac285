package rtc

import (
	"sync"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/thesyncim/gopus"
)

func TestDTMFKeysAndEvents(t *testing.T) {
	for i, k := range []byte("0123456789*#ABCD") {
		e, ok := DTMFEvent(k)
		require.True(t, ok, "%c", k)
		assert.EqualValues(t, i, e, "RFC 4733 code of %c", k)
		back, ok := DTMFKey(e)
		require.True(t, ok)
		assert.Equal(t, k, back)
	}
	e, ok := DTMFEvent('b')
	assert.True(t, ok)
	assert.EqualValues(t, 13, e, "lower-case letters are keys too")
	_, ok = DTMFKey(16) // flash
	assert.False(t, ok)

	assert.NoError(t, ValidDTMF("123#*ABCDabcd"))
	for _, bad := range []string{"", "12E", "1 2", "+", "\x00"} {
		assert.Error(t, ValidDTMF(bad), "%q", bad)
	}
}

func TestTelephoneEventRoundTrip(t *testing.T) {
	e := TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}
	b := e.Append(nil)
	assert.Equal(t, []byte{11, 0x8a, 0x03, 0x20}, b, "RFC 4733 figure 1 layout")
	got, err := ParseTelephoneEvent(b)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	_, err = ParseTelephoneEvent(b[:3])
	assert.Error(t, err)
}

// fakeBinding is a TrackLocalContext that records what is written to it.
type fakeBinding struct {
	codecs []webrtc.RTPCodecParameters

	mu      sync.Mutex
	packets []rtp.Packet
}

func (f *fakeBinding) CodecParameters() []webrtc.RTPCodecParameters { return f.codecs }
func (f *fakeBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return nil
}
func (f *fakeBinding) SSRC() webrtc.SSRC                       { return 1234 }
func (f *fakeBinding) SSRCRetransmission() webrtc.SSRC         { return 0 }
func (f *fakeBinding) SSRCForwardErrorCorrection() webrtc.SSRC { return 0 }
func (f *fakeBinding) WriteStream() webrtc.TrackLocalWriter    { return f }
func (f *fakeBinding) ID() string                              { return "binding" }
func (f *fakeBinding) RTCPReader() interceptor.RTCPReader      { return nil }
func (f *fakeBinding) Write(b []byte) (int, error)             { return len(b), nil }
func (f *fakeBinding) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.packets = append(f.packets, rtp.Packet{Header: *h, Payload: append([]byte(nil), p...)})
	return len(p), nil
}

func (f *fakeBinding) Packets() []rtp.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rtp.Packet(nil), f.packets...)
}

func sdkCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: PCMUCodec(), PayloadType: PayloadTypePCMU},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeTypeTelephoneEvent, ClockRate: 8000}, PayloadType: 101},
	}
}

func TestPacketizerInterleavesDTMFWithAudio(t *testing.T) {
	track := NewPCMUTrack("audio", "s")
	out := &fakeBinding{codecs: sdkCodecs()}
	codec, err := track.Bind(out)
	require.NoError(t, err)
	assert.Equal(t, webrtc.MimeTypePCMU, codec.MimeType)

	sender := NewAudioSender(track, func(frame []int16) { clear(frame) })
	require.NoError(t, sender.SendDTMF("1#"))
	p := newPacketizer(track, &sender.sent)
	frame := make([]int16, samplesPerFrame)
	// 2 keys of 5 frames and 3 frames of audio after each, then one more.
	const frames = 2*(dtmfToneFrames+dtmfGapFrames) + 1
	for range frames {
		require.NoError(t, sender.sendFrame(p, frame, 8000, 1))
	}
	audioTSWant := []uint32{800, 960, 1120, 2080, 2240, 2400, 2560}
	pkts := out.Packets()
	require.Len(t, pkts, frames+2*(dtmfEndCopies-1))
	n, b := sender.Sent()
	assert.EqualValues(t, len(pkts), n)
	assert.EqualValues(t, len(audioTSWant)*samplesPerFrame+(len(pkts)-len(audioTSWant))*TelephoneEventSize, b)

	first := pkts[0]
	assert.True(t, first.Marker, "an event starts with the marker bit")
	assert.EqualValues(t, 101, first.PayloadType)
	var keys []byte
	d := NewDTMFDetector()
	audioTS := []uint32{}
	for i, pkt := range pkts {
		assert.EqualValues(t, 1234, pkt.SSRC)
		assert.Equal(t, first.SequenceNumber+uint16(i), pkt.SequenceNumber, "one sequence for audio and events")
		if pkt.PayloadType == PayloadTypePCMU {
			assert.Len(t, pkt.Payload, samplesPerFrame)
			audioTS = append(audioTS, pkt.Timestamp-first.Timestamp)
			continue
		}
		if k, ok := d.Packet(&pkt); ok {
			keys = append(keys, k)
		}
	}
	assert.Equal(t, "1#", string(keys))
	// Audio frames keep the clock of the 20 ms grid across the events.
	assert.Equal(t, audioTSWant, audioTS)

	ev := func(i int) TelephoneEvent {
		e, err := ParseTelephoneEvent(pkts[i].Payload)
		require.NoError(t, err)
		return e
	}
	for i := range dtmfToneFrames - 1 {
		assert.Equal(t, TelephoneEvent{Event: 1, Volume: dtmfVolume, Duration: uint16(160 * (i + 1))}, ev(i))
		assert.Equal(t, first.Timestamp, pkts[i].Timestamp, "every packet of an event has its start timestamp")
	}
	for i := dtmfToneFrames - 1; i < dtmfToneFrames-1+dtmfEndCopies; i++ {
		assert.Equal(t, TelephoneEvent{Event: 1, End: true, Volume: dtmfVolume, Duration: 800}, ev(i), "end packet %d", i)
	}
	assert.ErrorContains(t, sender.SendDTMF("12x"), `'x'`)
}

func TestSendDTMFNeedsTelephoneEvent(t *testing.T) {
	track := NewPCMUTrack("audio", "s")
	sender := NewAudioSender(track, func(frame []int16) { clear(frame) })
	assert.ErrorIs(t, sender.SendDTMF("1"), errUnbound)
	_, err := track.Bind(&fakeBinding{codecs: sdkCodecs()[:1]})
	require.NoError(t, err)
	assert.ErrorIs(t, sender.SendDTMF("1"), errNoTelephoneEvent)
}

func eventPacket(ts uint32, e TelephoneEvent) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Timestamp: ts}, Payload: e.Append(nil)}
}

func TestDTMFDetector(t *testing.T) {
	d := NewDTMFDetector()
	var keys []byte
	feed := func(ts uint32, e TelephoneEvent) {
		if k, ok := d.Packet(eventPacket(ts, e)); ok {
			keys = append(keys, k)
		}
	}
	// "5": its first packet was lost, updates and three end packets.
	feed(1000, TelephoneEvent{Event: 5, Duration: 320})
	feed(1000, TelephoneEvent{Event: 5, Duration: 480})
	for range 3 {
		feed(1000, TelephoneEvent{Event: 5, End: true, Duration: 800})
	}
	// "5" again: a new timestamp is a new press.
	feed(3000, TelephoneEvent{Event: 5, Duration: 160})
	feed(3000, TelephoneEvent{Event: 5, End: true, Duration: 800})
	// A late packet of the first event does not bring it back.
	feed(1000, TelephoneEvent{Event: 5, Duration: 640})
	// A long "#" split in two segments is one press.
	feed(5000, TelephoneEvent{Event: 11, Duration: 0xffff})
	feed(5000+0xffff, TelephoneEvent{Event: 11, Duration: 160})
	// Flash (16) is not a key; a short payload is ignored.
	feed(80000, TelephoneEvent{Event: 16, Duration: 160})
	_, ok := d.Packet(&rtp.Packet{Header: rtp.Header{Timestamp: 90000}, Payload: []byte{1, 2}})
	assert.False(t, ok)
	// Timestamps wrap around.
	d = NewDTMFDetector()
	feed(0xffffff00, TelephoneEvent{Event: 0, Duration: 160})
	feed(0x00000100, TelephoneEvent{Event: 1, Duration: 160})
	feed(0xffffff00, TelephoneEvent{Event: 0, End: true, Duration: 160})
	assert.Equal(t, "55#01", string(keys))
}

func FuzzDTMFDetector(f *testing.F) {
	f.Add(uint32(1000), []byte{1, 0x0a, 0, 160}, uint32(1000), []byte{1, 0x8a, 3, 32})
	f.Add(uint32(0), []byte{16, 0, 0, 0}, uint32(1), []byte{11, 0x80, 0xff, 0xff})
	f.Add(uint32(7), []byte{}, uint32(7), []byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, ts1 uint32, p1 []byte, ts2 uint32, p2 []byte) {
		d := NewDTMFDetector()
		for _, p := range []*rtp.Packet{
			{Header: rtp.Header{Timestamp: ts1}, Payload: p1},
			{Header: rtp.Header{Timestamp: ts2}, Payload: p2},
			{Header: rtp.Header{Timestamp: ts2}, Payload: p2},
		} {
			e, err := ParseTelephoneEvent(p.Payload)
			if err == nil && len(e.Append(nil)) != TelephoneEventSize {
				t.Fatal("event does not re-encode to 4 bytes")
			}
			if k, ok := d.Packet(p); ok {
				if _, valid := DTMFEvent(k); !valid || err != nil {
					t.Fatalf("detector reported %q from %x", k, p.Payload)
				}
			}
		}
		// The same packet twice is one press at most.
		d = NewDTMFDetector()
		_, first := d.Packet(&rtp.Packet{Header: rtp.Header{Timestamp: ts1}, Payload: p1})
		if _, again := d.Packet(&rtp.Packet{Header: rtp.Header{Timestamp: ts1}, Payload: p1}); again {
			t.Fatalf("duplicate packet reported twice (first: %v)", first)
		}
	})
}

func TestDTMFOverLoopbackCall(t *testing.T) {
	ctx, sender, tr := silentLoopbackCall(t)
	require.Equal(t, webrtc.MimeTypeOpus, tr.Codec().MimeType)
	keys := make(chan byte, 16)
	receiver := NewAudioReceiver(tr, func([]int16) {})
	receiver.OnDTMF(PayloadTypeTelephoneEvent48k, func(k byte) { keys <- k })
	go func() { _ = receiver.Run(ctx) }()
	defer receiver.Close()

	const sent = "123#*0ABCD9"
	require.NoError(t, sender.SendDTMF(sent))
	var got []byte
	for len(got) < len(sent) {
		select {
		case k := <-keys:
			got = append(got, k)
		case <-ctx.Done():
			t.Fatalf("received %q of %q", got, sent)
		}
	}
	assert.Equal(t, sent, string(got))
	st := receiver.Stats()
	assert.Greater(t, st.PacketsReceived, uint64(len(sent)), "audio and events counted")
	assert.Zero(t, st.PacketsLost, "events and audio share one sequence")
}

// TestBindPrefersOpus: Bind sends Opus whenever it was negotiated, whatever
// the order pion lists the codecs in (the remote offer's), and PCMU else.
func TestBindPrefersOpus(t *testing.T) {
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: OpusCodec(), PayloadType: 109}
	te48 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeTypeTelephoneEvent, ClockRate: 48000}, PayloadType: 110}
	for name, tc := range map[string]struct {
		codecs []webrtc.RTPCodecParameters
		mime   string
		pt     uint8
		event  uint8
	}{
		"pcmu listed first": {append(sdkCodecs(), opus, te48), webrtc.MimeTypeOpus, 109, 110},
		"opus first":        {append([]webrtc.RTPCodecParameters{opus, te48}, sdkCodecs()...), webrtc.MimeTypeOpus, 109, 110},
		"pcmu only":         {sdkCodecs(), webrtc.MimeTypePCMU, PayloadTypePCMU, 101},
	} {
		track := NewAudioTrack("audio", "s")
		codec, err := track.Bind(&fakeBinding{codecs: tc.codecs})
		require.NoError(t, err, name)
		assert.Equal(t, tc.mime, codec.MimeType, name)
		assert.Equal(t, tc.pt, track.binding.audio, name)
		assert.Equal(t, tc.event, track.binding.event, name+": the telephone-event of the audio's clock")
	}
}

// TestSetPacketLossSizesOpusFEC: the FEC follows SetPacketLoss: none at 0 %,
// some in-band redundancy at the default and at 20 %.
func TestSetPacketLossSizesOpusFEC(t *testing.T) {
	for _, tc := range []struct {
		loss int // -1: never set
		fec  bool
	}{{-1, true}, {0, false}, {20, true}} {
		track := NewAudioTrack("audio", "s")
		out := &fakeBinding{codecs: []webrtc.RTPCodecParameters{opusParams}}
		_, err := track.Bind(out)
		require.NoError(t, err)
		sender := NewAudioSender(track, NewToneForTest(440))
		if tc.loss >= 0 {
			sender.SetPacketLoss(tc.loss)
		}
		p := newPacketizer(track, &sender.sent)
		frame := make([]int16, samplesPerFrame)
		for range 20 {
			NewToneForTest(440)(frame)
			p.loss = int(sender.loss.Load())
			require.NoError(t, sender.sendFrame(p, frame, 8000, 1))
		}
		withFEC := 0
		for _, pkt := range out.Packets() {
			if gopus.PacketHasLBRR(pkt.Payload) {
				withFEC++
			}
		}
		assert.Equal(t, tc.fec, withFEC > 0, "loss %d%%: %d packets of 20 with FEC", tc.loss, withFEC)
	}
}

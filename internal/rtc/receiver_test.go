package rtc

import (
	"math"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rtpBytes(t testing.TB, pt uint8, payload []byte) []byte {
	t.Helper()
	return rtpPacket(t, pt, 1, 160, payload)
}

func rtpPacket(t testing.TB, pt uint8, seq uint16, ts uint32, payload []byte) []byte {
	t.Helper()
	raw, err := (&rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 42},
		Payload: payload,
	}).Marshal()
	require.NoError(t, err)
	return raw
}

var (
	pcmuParams = webrtc.RTPCodecParameters{RTPCodecCapability: PCMUCodec(), PayloadType: PayloadTypePCMU}
	opusParams = webrtc.RTPCodecParameters{RTPCodecCapability: OpusCodec(), PayloadType: PayloadTypeOpus}
)

// offline is an AudioReceiver without a track, fed packets and played out
// by hand on a fake clock.
type offline struct {
	r      *AudioReceiver
	p      *playout
	dtmf   *DTMFDetector
	pkt    rtp.Packet
	now    time.Time
	frames [][]int16
	stamps []uint32 // the RTP timestamp of each frame
}

func newOffline(t testing.TB, codec webrtc.RTPCodecParameters) *offline {
	o := &offline{dtmf: NewDTMFDetector(), now: time.Unix(1000, 0)}
	o.r = newAudioReceiver(nil, codec, narrowband, func(f []int16, _, _ int, ts uint32) {
		o.frames = append(o.frames, append([]int16(nil), f...))
		o.stamps = append(o.stamps, ts)
	})
	o.r.OnDTMF(PayloadTypeTelephoneEvent, func(byte) {})
	var err error
	o.p, err = newPlayout(o.r)
	require.NoError(t, err)
	return o
}

func (o *offline) receive(raw []byte) { o.r.receive(raw, true, o.now, &o.pkt, o.dtmf) }

// tick advances the clock one frame and plays what is due.
func (o *offline) tick() {
	o.now = o.now.Add(frameDuration)
	for {
		f, ok := o.r.jb.Pop(o.now)
		if !ok {
			return
		}
		o.p.play(&f)
	}
}

func TestReceiverPlaysPCMUAndConcealsLoss(t *testing.T) {
	o := newOffline(t, pcmuParams)
	tone := NewToneForTest(440)
	frame := make([]int16, samplesPerFrame)
	for i := range 50 {
		tone(frame)
		if i%5 != 2 { // every fifth packet lost
			o.receive(rtpPacket(t, PayloadTypePCMU, uint16(i), uint32(i*samplesPerFrame), EncodePCMU(nil, frame)))
		}
		o.tick()
	}
	for range 5 {
		o.tick()
	}
	require.GreaterOrEqual(t, len(o.frames), 45)
	for _, f := range o.frames {
		assert.Len(t, f, samplesPerFrame, "every frame is 20 ms")
	}
	st := o.r.Stats()
	assert.GreaterOrEqual(t, st.Concealed, uint64(10), "the lost packets are concealed")
	assert.Greater(t, o.r.Level(), 0.1)
}

// Every frame comes with the RTP timestamp of its slot: they increase by one
// frame per frame, across lost packets (concealed in their slot) and the
// wrap of the timestamp, for Opus (48 kHz clock) and PCMU (8 kHz).
func TestReceiverFramesCarryTheirRTPTimestamps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec webrtc.RTPCodecParameters
		step  uint32
	}{{"opus", opusParams, 960}, {"pcmu", pcmuParams, uint32(samplesPerFrame)}} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOffline(t, tc.codec)
			var enc *OpusEncoder
			if tc.step == 960 {
				var err error
				enc, err = NewOpusEncoder(OpusEncoderConfig{SampleRate: 8000})
				require.NoError(t, err)
			}
			tone := NewToneForTest(440)
			frame := make([]int16, samplesPerFrame)
			first := uint32(math.MaxUint32 - 20*tc.step + 1) // wraps at the 21st packet
			for i := range 60 {
				tone(frame)
				pt, payload := uint8(PayloadTypePCMU), EncodePCMU(nil, frame)
				if enc != nil {
					var err error
					pt = PayloadTypeOpus
					payload, err = enc.Encode(nil, frame)
					require.NoError(t, err)
				}
				if i%7 != 3 && i != 30 && i != 31 { // lost: every seventh, and two in a row
					o.receive(rtpPacket(t, pt, uint16(i), first+uint32(i)*tc.step, payload))
				}
				o.tick()
			}
			for range 5 {
				o.tick()
			}
			require.GreaterOrEqual(t, len(o.stamps), 58)
			assert.Equal(t, first, o.stamps[0], "the first frame has the first packet's timestamp")
			for i := 1; i < len(o.stamps); i++ {
				require.Equal(t, tc.step, o.stamps[i]-o.stamps[i-1], "frame %d: one frame after the one before", i)
			}
			assert.GreaterOrEqual(t, o.r.Stats().Concealed, uint64(10), "the lost packets were concealed in their slots")
		})
	}
}

func TestReceiverDecodesOpusAndSurvivesBadPayloads(t *testing.T) {
	o := newOffline(t, opusParams)
	enc, err := NewOpusEncoder(OpusEncoderConfig{SampleRate: 8000, FEC: true})
	require.NoError(t, err)
	tone := NewToneForTest(440)
	frame := make([]int16, samplesPerFrame)
	bad := [][]byte{{0xff}, {0x03}, {0x03, 0x00}, {0xfc, 0xff, 0xff}, make([]byte, 1400)}
	for i := range 100 {
		tone(frame)
		payload, err := enc.Encode(nil, frame)
		require.NoError(t, err)
		switch {
		case i%10 == 3: // lost
		case i%10 == 6: // corrupt
			o.receive(rtpPacket(t, PayloadTypeOpus, uint16(65500+i), uint32(i*960), bad[i/10%len(bad)]))
		default: // the sequence wraps at i = 36
			o.receive(rtpPacket(t, PayloadTypeOpus, uint16(65500+i), uint32(i*960), payload))
		}
		o.tick()
	}
	for range 5 {
		o.tick()
	}
	var total int
	for _, f := range o.frames {
		// 20 ms, or 10 ms for the all-zero payload: a valid 10 ms SILK TOC
		assert.Contains(t, []int{samplesPerFrame / 2, samplesPerFrame}, len(f))
		total += len(f)
	}
	assert.GreaterOrEqual(t, total, 95*samplesPerFrame, "20 ms of audio per 20 ms, lost and corrupt packets concealed")
	st := o.r.Stats()
	assert.GreaterOrEqual(t, st.Concealed, uint64(15))
	assert.Greater(t, o.r.Level(), 0.1, "the tone is heard")
	assert.Less(t, st.TargetDelay, 100*time.Millisecond)
}

func TestReceiverDropsLatePackets(t *testing.T) {
	o := newOffline(t, pcmuParams)
	payload := make([]byte, samplesPerFrame)
	for i := range 20 {
		if i != 5 {
			o.receive(rtpPacket(t, PayloadTypePCMU, uint16(i), uint32(i*samplesPerFrame), payload))
		}
		o.tick()
	}
	o.receive(rtpPacket(t, PayloadTypePCMU, 5, 5*uint32(samplesPerFrame), payload)) // its slot was concealed long ago
	st := o.r.Stats()
	assert.EqualValues(t, 20, st.PacketsReceived)
	assert.EqualValues(t, 1, st.Late, "the packet that came after its slot is dropped and counted")
	assert.NotPanics(t, o.tick)
}

// NewToneForTest returns a generator of a full-scale/2 sine at freq Hz, 8 kHz.
func NewToneForTest(freq float64) func([]int16) {
	var n int
	return func(f []int16) {
		for i := range f {
			f[i] = int16(16000 * math.Sin(2*math.Pi*freq*float64(n)/8000))
			n++
		}
	}
}

// FuzzReceivePacket feeds the audio receive path with packets: parse,
// count, jitter buffer, decode or conceal, for Opus and PCMU. raw is split
// into packets at every 0xAA 0x55 pair, each played out a frame later.
func FuzzReceivePacket(f *testing.F) {
	enc, err := NewOpusEncoder(OpusEncoderConfig{SampleRate: 8000, FEC: true})
	require.NoError(f, err)
	opus, err := enc.Encode(nil, make([]int16, samplesPerFrame))
	require.NoError(f, err)
	f.Add(rtpBytes(f, PayloadTypePCMU, make([]byte, samplesPerFrame)), false)
	f.Add(rtpBytes(f, PayloadTypeTelephoneEvent, []byte{1, 0x0a, 0, 160}), false)
	f.Add(rtpBytes(f, PayloadTypePCMU, []byte{1})[:5], false)
	f.Add([]byte{0x80}, false)
	f.Add(rtpBytes(f, PayloadTypeOpus, opus), true)
	f.Add(append(append(rtpPacket(f, PayloadTypeOpus, 1, 0, opus), 0xAA, 0x55), rtpPacket(f, PayloadTypeOpus, 5, 9600000, []byte{0x03, 0x30})...), true)
	f.Add(rtpBytes(f, PayloadTypeOpus, []byte{0xfc, 0xff, 0xff}), true)
	f.Fuzz(func(t *testing.T, raw []byte, useOpus bool) {
		codec := pcmuParams
		if useOpus {
			codec = opusParams
		}
		o := newOffline(t, codec)
		var packets int
		for len(raw) > 0 && packets < 32 {
			n := len(raw)
			for i := 0; i+1 < len(raw); i++ {
				if raw[i] == 0xAA && raw[i+1] == 0x55 {
					n = i
					break
				}
			}
			o.receive(raw[:n])
			raw = raw[min(n+2, len(raw)):]
			packets++
			o.tick()
		}
		for range 10 {
			o.tick()
		}
		for _, f := range o.frames {
			if len(f) == 0 || len(f) > 8*maxOpusPacketMillis {
				t.Fatalf("a frame of %d samples", len(f))
			}
		}
	})
}

// TestWidebandThroughOpusNotPCMU: a 6 kHz tone at 16 kHz, sent and received
// at 16 kHz, comes through Opus (wideband) but not through PCMU, whose 8
// kHz sampling cannot carry it. A 1 kHz tone comes through both.
func TestWidebandThroughOpusNotPCMU(t *testing.T) {
	for _, tc := range []struct {
		name      string
		codec     webrtc.RTPCodecParameters
		freq      float64
		heard     bool
		rate, out int
	}{
		{"opus 6 kHz", opusParams, 6000, true, 16000, 16000},
		{"opus 6 kHz to 48 kHz stereo", opusParams, 6000, true, 16000, 48000},
		{"pcmu 6 kHz", pcmuParams, 6000, false, 16000, 16000},
		{"opus 1 kHz from 44.1 kHz", opusParams, 1000, true, 44100, 16000},
		{"pcmu 1 kHz", pcmuParams, 1000, true, 16000, 16000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			track := NewAudioTrack("a", "s")
			bound := &fakeBinding{codecs: []webrtc.RTPCodecParameters{tc.codec}}
			_, err := track.Bind(bound)
			require.NoError(t, err)
			p := newPacketizer(track, &counters{})
			outCh := 1
			if tc.out == 48000 {
				outCh = 2
			}
			o := newOffline(t, tc.codec)
			var got []int16
			o.r.format = func() (int, int) { return tc.out, outCh }
			o.r.onFrame = func(f []int16, rate, ch int, _ uint32) {
				assert.Equal(t, tc.out, rate)
				assert.Len(t, f, rate/50*ch)
				for i := 0; i < len(f); i += ch {
					got = append(got, f[i])
				}
			}
			src := make([]int16, tc.rate/50)
			var n int
			for range 50 {
				for j := range src {
					src[j] = int16(12000 * math.Sin(2*math.Pi*tc.freq*float64(n)/float64(tc.rate)))
					n++
				}
				require.NoError(t, p.frame(src, tc.rate, 1))
				pkts := bound.Packets()
				raw, err := pkts[len(pkts)-1].Marshal()
				require.NoError(t, err)
				o.receive(raw)
				o.tick()
			}
			for range 5 {
				o.tick()
			}
			require.Greater(t, len(got), tc.out/2, "half a second of audio at least")
			tail := got[len(got)-tc.out/4:]
			power := goertzel(tail, tc.out, tc.freq)
			rms := rmsOf(tail)
			if tc.heard {
				assert.Greater(t, power, rms*rms/4, "the tone dominates what is heard (rms %.0f)", rms)
				assert.InEpsilon(t, 12000/math.Sqrt2, rms, 0.25, "its level is kept")
			} else {
				assert.Less(t, power, 100.0, "no trace of the tone (rms %.0f)", rms)
			}
		})
	}
}

func goertzel(x []int16, rate int, freq float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+coeff*s1-s2, s1
	}
	n := float64(len(x))
	return max(s1*s1+s2*s2-coeff*s1*s2, 0) / (n * n)
}

func rmsOf(x []int16) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(x), 1)))
}

// Package rtc builds the pion WebRTC stack the SDK uses for call media and
// moves audio between Go code and pion tracks.
//
// [NewAPI] is the single place where codecs, interceptors and ICE settings are
// chosen; [AudioSender] and [AudioReceiver] are the audio media pipeline of a
// call (Opus or PCMU), independent of signalling.
package rtc

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Payload types the media engine registers. PCMU's is the static one of RFC
// 3551; the others are the dynamic ones browsers commonly use.
const (
	PayloadTypePCMU           = 0
	PayloadTypeVP8            = 96
	PayloadTypeTelephoneEvent = 101
	// PayloadTypeOpus and PayloadTypeTelephoneEvent48k are Chromium's.
	PayloadTypeOpus              = 111
	PayloadTypeTelephoneEvent48k = 110
)

// OpusFmtp is the format line of the SDK's Opus: 10 ms packets and longer
// are accepted, and in-band FEC is welcome (RFC 7587 section 6.1).
const OpusFmtp = "minptime=10;useinbandfec=1"

// MimeTypeTelephoneEvent is the MIME type of RFC 4733 DTMF events.
const MimeTypeTelephoneEvent = "audio/telephone-event"

// ICE timeouts. A connection with no check answered for the
// disconnected timeout is Disconnected, which an established call treats as
// lost media (its own MediaInactive timeout ends it). ICE never moves to
// Failed by itself (failed timeout 0): pion's agent fails a connection
// still checking after disconnected+failed timeouts and drops its
// candidates for good, yet a callee gathers while its call rings (a
// pre-connected call, docs/media.md) and its checks may go unanswered for
// the whole ringing, until the caller applies its answer at Join. The
// call's own setup timeout bounds a connection that never comes up.
const (
	disconnectedTimeout = 5 * time.Second // pion's default
	keepAlive           = 2 * time.Second // pion's default
	// Loopback mode: a test call on 127.0.0.1 notices lost media fast.
	loopbackDisconnectedTimeout = 2 * time.Second
	loopbackKeepAlive           = 500 * time.Millisecond
)

// Config selects how peer connections are built.
type Config struct {
	// Loopback restricts ICE to 127.0.0.1 host candidates over UDP on the
	// loopback interface, without mDNS and with short ICE timeouts. It is
	// for tests: such a peer connection reaches only peers in the same host.
	Loopback bool
	// ICEServers are the STUN and TURN servers, usually from Ocra.
	ICEServers []webrtc.ICEServer
	// ICETransportPolicy is webrtc.ICETransportPolicyAll (the zero value) or
	// webrtc.ICETransportPolicyRelay to force TURN.
	ICETransportPolicy webrtc.ICETransportPolicy
	// Customize, when not nil, is given the SettingEngine after the SDK
	// has set its defaults (mDNS off, network types, the Loopback
	// restrictions), so that it can change any of them: port ranges, NAT
	// 1:1 IPs, interface filters, a virtual network (SetNet) in tests.
	Customize func(*webrtc.SettingEngine)
	// PCMUOnly leaves Opus unregistered: calls negotiate PCMU (G.711) or
	// nothing. PCMU costs a fraction of Opus's CPU per call (docs/media.md);
	// by default Opus is negotiated first and PCMU is the fallback.
	PCMUOnly bool
}

// NewAPI returns a pion API whose peer connections negotiate Opus (unless
// cfg.PCMUOnly), PCMU and telephone-event for audio and VP8 for video, with
// pion's default interceptors (NACK, RTCP reports, TWCC).
//
// Opus is registered first, so offers list it first; answers put it first
// as well once [PreferAudioCodecs] ordered the transceiver's codecs. Every
// WebRTC endpoint must support PCMU, the fallback; an offer with neither is
// refused with a clear error (see OffersAudio).
func NewAPI(cfg Config) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m, cfg.PCMUOnly); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("rtc: registering interceptors: %w", err)
	}
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(m),
		webrtc.WithInterceptorRegistry(ir),
		webrtc.WithSettingEngine(cfg.settingEngine()),
	), nil
}

// PeerConnectionConfig returns the configuration for API.NewPeerConnection.
func (c Config) PeerConnectionConfig() webrtc.Configuration {
	return webrtc.Configuration{
		ICEServers:         c.ICEServers,
		ICETransportPolicy: c.ICETransportPolicy,
	}
}

// PCMUCodec is the capability of the SDK's audio tracks.
func PCMUCodec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}
}

// OpusCodec is the capability of the SDK's Opus: 48 kHz RTP clock, two
// channels as RFC 7587 requires the SDP to say (the stream itself is mono).
func OpusCodec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: OpusClockRate, Channels: 2, SDPFmtpLine: OpusFmtp}
}

// audioCodecs are the audio codecs of a media engine, preferred first.
func audioCodecs(pcmuOnly bool) []webrtc.RTPCodecParameters {
	var audio []webrtc.RTPCodecParameters
	if !pcmuOnly {
		audio = append(audio, webrtc.RTPCodecParameters{RTPCodecCapability: OpusCodec(), PayloadType: PayloadTypeOpus})
	}
	audio = append(audio, webrtc.RTPCodecParameters{RTPCodecCapability: PCMUCodec(), PayloadType: PayloadTypePCMU})
	if !pcmuOnly {
		audio = append(audio, webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: MimeTypeTelephoneEvent, ClockRate: OpusClockRate, SDPFmtpLine: "0-16",
			},
			PayloadType: PayloadTypeTelephoneEvent48k,
		})
	}
	return append(audio, webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: MimeTypeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16",
		},
		PayloadType: PayloadTypeTelephoneEvent,
	})
}

// PreferAudioCodecs orders the codecs of an audio transceiver so that Opus
// comes first, then PCMU, then the rest in their order: an answer then
// chooses Opus even when the offer listed PCMU first. Call it after the
// remote offer is set (the transceiver then carries the offer's payload
// types) or before creating an offer. Other kinds are left alone.
func PreferAudioCodecs(tr *webrtc.RTPTransceiver) error {
	if tr.Kind() != webrtc.RTPCodecTypeAudio {
		return nil
	}
	codecs := tr.Receiver().GetParameters().Codecs
	rank := func(c webrtc.RTPCodecParameters) int {
		switch {
		case strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus):
			return 0
		case strings.EqualFold(c.MimeType, webrtc.MimeTypePCMU):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(codecs, func(a, b webrtc.RTPCodecParameters) int { return rank(a) - rank(b) })
	if len(codecs) == 0 {
		return nil
	}
	if err := tr.SetCodecPreferences(codecs); err != nil {
		return fmt.Errorf("rtc: ordering the audio codecs: %w", err)
	}
	return nil
}

func registerCodecs(m *webrtc.MediaEngine, pcmuOnly bool) error {
	audio := audioCodecs(pcmuOnly)
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return fmt.Errorf("rtc: registering %s: %w", c.MimeType, err)
		}
	}
	vp8 := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
				{Type: "nack"}, {Type: "nack", Parameter: "pli"},
			},
		},
		PayloadType: PayloadTypeVP8,
	}
	if err := m.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("rtc: registering %s: %w", vp8.MimeType, err)
	}
	return nil
}

func (c Config) settingEngine() webrtc.SettingEngine {
	var s webrtc.SettingEngine
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// The owner of a peer connection closes it (a call, when it ends): pion
	// closing it by itself on a DTLS close_notify would race the call's own
	// teardown (its pipelines and the pion Close workaround in package call).
	s.DisableCloseByDTLS(true)
	if c.Loopback {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		s.SetIncludeLoopbackCandidate(true)
		loopbacks := loopbackInterfaces()
		s.SetInterfaceFilter(func(name string) bool { return loopbacks[name] })
		s.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
		s.SetICETimeouts(loopbackDisconnectedTimeout, 0, loopbackKeepAlive)
	} else {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
		s.SetICETimeouts(disconnectedTimeout, 0, keepAlive)
	}
	if c.ICETransportPolicy == webrtc.ICETransportPolicyRelay {
		// Relay candidates only: no better pair can come, so the first relay
		// pair that works is taken at once, not after pion's 2 s wait.
		s.SetRelayAcceptanceMinWait(0)
	}
	if c.Customize != nil {
		c.Customize(&s)
	}
	return s
}

// loopbackInterfaces names the loopback interfaces ("lo" on Linux, "lo0" on
// macOS). It asks the kernel once per API: pion calls the interface filter
// for every interface on every gathering, and a lookup per call cost 13 % of
// a loopback call's setup CPU (cmd/sinchbench profile).
func loopbackInterfaces() map[string]bool {
	names := make(map[string]bool)
	ifs, err := net.Interfaces()
	if err != nil {
		return names
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 {
			names[ifi.Name] = true
		}
	}
	return names
}

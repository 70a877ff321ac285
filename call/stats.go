package call

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// Stats is a snapshot of a call's media statistics (Call.Stats). Counters
// are cumulative since the call's media started.
type Stats struct {
	Time  time.Time // when the snapshot was taken
	Audio StreamStats
	Video StreamStats // zero on an audio-only call
	// ICERoundTripTime is the latest round trip time of STUN checks on the
	// connection's selected candidate pair, 0 when unknown.
	ICERoundTripTime time.Duration
	// CandidatePair is the ICE candidate pair the media flows through:
	// both types are CandidateRelay when it goes through a TURN server.
	// Zero until ICE has selected a pair.
	CandidatePair CandidatePair
}

// CandidatePair is a pair of ICE candidates, this device's and the far
// end's, as the far end's appears here.
type CandidatePair struct {
	Local, Remote Candidate
}

// Candidate is one ICE candidate (RFC 8445): a transport address media
// may flow through.
type Candidate struct {
	Type     CandidateType
	Protocol string // "udp" or "tcp"
	Address  string // an IP address (or an mDNS name, as a browser may give)
	Port     int
}

// CandidateType is the kind of an ICE candidate.
type CandidateType int

// ICE candidate types; String gives their names in WebRTC statistics.
const (
	CandidateUnknown         CandidateType = iota // no candidate
	CandidateHost                                 // an address of the device itself: "host"
	CandidateServerReflexive                      // its address seen by a STUN server, past a NAT: "srflx"
	CandidatePeerReflexive                        // its address seen by the far end: "prflx"
	CandidateRelay                                // an address of a TURN relay: "relay"
)

var candidateTypeNames = [...]string{"unknown", "host", "srflx", "prflx", "relay"}

// String returns the type's name in WebRTC statistics, such as "relay".
func (t CandidateType) String() string {
	return enumName(candidateTypeNames[:], int(t), "CandidateType")
}

// candidateOf converts pion's candidate.
func candidateOf(c *webrtc.ICECandidate) Candidate {
	if c == nil {
		return Candidate{}
	}
	types := map[webrtc.ICECandidateType]CandidateType{
		webrtc.ICECandidateTypeHost: CandidateHost, webrtc.ICECandidateTypeSrflx: CandidateServerReflexive,
		webrtc.ICECandidateTypePrflx: CandidatePeerReflexive, webrtc.ICECandidateTypeRelay: CandidateRelay,
	}
	return Candidate{Type: types[c.Typ], Protocol: c.Protocol.String(), Address: c.Address, Port: int(c.Port)}
}

// StreamStats are the statistics of one kind of media, both directions.
// Byte counts are of RTP payloads. The received packets' statistics are
// counted by the SDK as RFC 3550 describes, as each packet is read.
type StreamStats struct {
	// PacketsSent and BytesSent count the RTP packets sent: audio and
	// DTMF, or video (none while the video is paused).
	PacketsSent, BytesSent         uint64
	PacketsReceived, BytesReceived uint64
	// PacketsLost is how many received packets went missing (RFC 3550: it
	// may be negative when packets arrive twice).
	PacketsLost int64
	// Jitter is the interarrival jitter of received packets (RFC 3550
	// appendix A.8).
	Jitter time.Duration
	// RemoteRoundTripTime is the round trip time that the far end's RTCP
	// receiver reports on the sent media give, 0 until the first one.
	RemoteRoundTripTime time.Duration
	// RemoteFractionLost is the share of sent packets that the far end
	// reported lost in its last receiver report, 0 to 1.
	RemoteFractionLost float64
	// OutboundAudioLevel and InboundAudioLevel are the levels of the last
	// frame sent and received, 0 (silence) to 1 (full scale): RMS over full
	// scale. Zero for video.
	OutboundAudioLevel, InboundAudioLevel float64
	// TargetDelay is the playout delay the received audio's jitter buffer
	// aims at (it adapts between 20 and 200 ms to the network's jitter).
	// ConcealedFrames counts the 20 ms frames of received audio played as
	// concealment: lost, undecodable, or inserted to grow the delay.
	// LatePackets counts the audio packets that arrived after their
	// playout time and were dropped. Zero for video.
	TargetDelay     time.Duration
	ConcealedFrames uint64
	LatePackets     uint64
}

// remoteReport is what the far end's last receiver report said about one
// sent stream.
type remoteReport struct {
	rtt          time.Duration
	fractionLost float64
}

// statsSource gathers a call's statistics: the SDK's receivers (counters,
// loss and jitter of received packets, inbound audio level), its audio
// sender (packets sent, outbound audio level), the far end's RTCP receiver
// reports (RTT, loss of what is sent) and the ICE agent's selected
// candidate pair (ICE round trip time). It is safe for concurrent use.
//
// It does not use pion's PeerConnection.GetStats: in pion v4.2.26 that
// reads each remote track's codec unlocked while the track updates it on
// every payload type change, such as each DTMF key, which is a data race.
type statsSource struct {
	ice *webrtc.ICETransport

	iceMu sync.Mutex // held while ice is read
	final *Stats     // set under iceMu when the media closed: the last snapshot

	mu       sync.Mutex
	sender   *rtc.AudioSender
	receiver *rtc.AudioReceiver
	video    *rtc.VideoReceiver
	// videoSent counts the video sent (nil on an audio call).
	videoSent *rtc.SentCounter
	remote    map[webrtc.RTPCodecType]remoteReport
}

func newStatsSource(pc *webrtc.PeerConnection) *statsSource {
	return &statsSource{
		ice:    pc.SCTP().Transport().ICETransport(),
		remote: make(map[webrtc.RTPCodecType]remoteReport),
	}
}

// setAudio records the call's audio sender or receiver (nil keeps the
// current one).
func (s *statsSource) setAudio(sender *rtc.AudioSender, receiver *rtc.AudioReceiver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sender != nil {
		s.sender = sender
	}
	if receiver != nil {
		s.receiver = receiver
	}
}

// setVideo records the call's video receiver.
func (s *statsSource) setVideo(receiver *rtc.VideoReceiver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.video = receiver
}

// setVideoSent records the counter of the call's sent video.
func (s *statsSource) setVideoSent(c *rtc.SentCounter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.videoSent = c
}

// videoPackets returns how many video packets have been received so far,
// and whether a video receiver runs.
func (s *statsSource) videoPackets() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.video == nil {
		return 0, false
	}
	return s.video.Stats().PacketsReceived, true
}

// onRTCP takes the RTCP that arrives for a sent stream of kind at now.
func (s *statsSource) onRTCP(kind webrtc.RTPCodecType, pkts []rtcp.Packet, now time.Time) {
	for _, p := range pkts {
		var reports []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.ReceiverReport:
			reports = p.Reports
		case *rtcp.SenderReport:
			reports = p.Reports
		}
		for _, r := range reports {
			s.mu.Lock()
			rep := s.remote[kind]
			rep.fractionLost = float64(r.FractionLost) / 256
			if rtt, ok := roundTripTime(r, now); ok {
				rep.rtt = rtt
			}
			s.remote[kind] = rep
			s.mu.Unlock()
		}
	}
}

// roundTripTime computes the RTT of RFC 3550 section 6.4.1 from a
// reception report that arrived at now: arrival minus the echoed sender
// report time (LSR) minus the far end's delay since it (DLSR), all in the
// middle 32 bits of NTP time.
func roundTripTime(r rtcp.ReceptionReport, now time.Time) (time.Duration, bool) {
	if r.LastSenderReport == 0 {
		return 0, false
	}
	rtt := int32(ntpMiddle(now) - r.LastSenderReport - r.Delay)
	if rtt < 0 {
		return 0, false
	}
	return time.Duration(int64(rtt) * int64(time.Second) >> 16), true
}

// ntpMiddle returns the middle 32 bits of the NTP timestamp of t: seconds
// since 1900 in the high 16 bits, fractions of 1/65536 s in the low 16.
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 16 / uint64(time.Second)
	return uint32(secs<<16 | frac)
}

// collect takes a snapshot; after close, it returns the last one.
func (s *statsSource) collect() Stats {
	// The ICE agent is not asked while the peer connection closes:
	// collecting holds iceMu, and close marks the source closed under it.
	s.iceMu.Lock()
	defer s.iceMu.Unlock()
	if s.final != nil {
		return *s.final
	}
	st := Stats{Time: time.Now()}
	if iceStarted(s.ice) {
		if pair, ok := s.ice.GetSelectedCandidatePairStats(); ok {
			st.ICERoundTripTime = seconds(pair.CurrentRoundTripTime)
		}
		if pair, err := s.ice.GetSelectedCandidatePair(); err == nil && pair != nil {
			st.CandidatePair = CandidatePair{Local: candidateOf(pair.Local), Remote: candidateOf(pair.Remote)}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for kind, ss := range map[webrtc.RTPCodecType]*StreamStats{webrtc.RTPCodecTypeAudio: &st.Audio, webrtc.RTPCodecTypeVideo: &st.Video} {
		ss.RemoteRoundTripTime, ss.RemoteFractionLost = s.remote[kind].rtt, s.remote[kind].fractionLost
	}
	if s.sender != nil {
		st.Audio.OutboundAudioLevel = s.sender.Level()
		st.Audio.PacketsSent, st.Audio.BytesSent = s.sender.Sent()
	}
	if s.receiver != nil {
		st.Audio.InboundAudioLevel = s.receiver.Level()
		st.Audio.setReceived(s.receiver.Stats())
	}
	if s.video != nil {
		st.Video.setReceived(s.video.Stats())
	}
	if s.videoSent != nil {
		st.Video.PacketsSent, st.Video.BytesSent = s.videoSent.Sent()
	}
	return st
}

// iceStarted reports whether pion has started ice, so that its selected
// pair may be read. In pion v4.2.26, GetSelectedCandidatePairStats reads
// the transport's gatherer unlocked, and Start (run by pion once both
// descriptions are set, on its own goroutine) writes it: a data race until
// Start is done. The transport leaves the New state (an atomic) only through
// its ICE agent's callbacks, which Start registers after that write, or
// through Stop, after which Start writes nothing: a state other than New
// orders the read after the write. Before that there is no selected pair
// to read anyway.
func iceStarted(ice *webrtc.ICETransport) bool {
	return ice.State() != webrtc.ICETransportStateNew
}

// setReceived fills in the statistics of received packets.
func (ss *StreamStats) setReceived(r rtc.ReceiveStats) {
	ss.PacketsReceived, ss.BytesReceived = r.PacketsReceived, r.BytesReceived
	ss.PacketsLost, ss.Jitter = r.PacketsLost, r.Jitter
	ss.TargetDelay, ss.ConcealedFrames, ss.LatePackets = r.TargetDelay, r.Concealed, r.Late
}

// close keeps the last snapshot (zero Stats when the media never ran) for
// the ended call and lets go of the ICE transport and the pipelines, so
// that an ended Call a user keeps holds no media memory. Call it before
// closing the peer connection.
func (s *statsSource) close(ran bool) {
	var st Stats
	if ran {
		st = s.collect()
	}
	s.iceMu.Lock()
	s.final, s.ice = &st, nil
	s.iceMu.Unlock()
	s.mu.Lock()
	s.sender, s.receiver, s.video, s.videoSent = nil, nil, nil, nil
	s.mu.Unlock()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

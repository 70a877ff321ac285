package call

import "github.com/pion/webrtc/v4"

// MediaState is what a test sees of a call's peer connection, read on the
// call's actor.
type MediaState struct {
	Connection webrtc.PeerConnectionState
	// Remote: the peer's answer (or offer) is the remote description.
	Remote bool
	// RemoteCandidates counts the remote candidates ICE knows.
	RemoteCandidates int
}

// MediaStateOf returns the state of c's peer connection.
func MediaStateOf(c *Call) (MediaState, error) {
	var st MediaState
	err := c.request(func(a *actor) error {
		if a.pc == nil {
			return nil
		}
		st.Connection = a.pc.ConnectionState()
		st.Remote = a.pc.RemoteDescription() != nil
		for _, s := range a.pc.GetStats() {
			if cs, ok := s.(webrtc.ICECandidateStats); ok && cs.Type == webrtc.StatsTypeRemoteCandidate {
				st.RemoteCandidates++
			}
		}
		return nil
	})
	return st, err
}

// RTPStartGrace is how long closing a call's peer connection may wait for
// pion's RTP start (rtpStartPending).
const RTPStartGrace = rtpStartGrace

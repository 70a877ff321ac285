package rtc

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pion/webrtc/v4"
)

// maxMediaSections bounds the media sections MediaIDs reads: a call has
// one or two (audio, video); more is a broken or hostile description.
const maxMediaSections = 16

// MediaIDs returns the mids of the media sections of sdp, in order (""
// for a section without a=mid), at most maxMediaSections. It scans lines
// and allocates only the result: it runs on every call's setup path.
func MediaIDs(sdp string) []string {
	var mids []string
	for line := range strings.Lines(sdp) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "m="):
			if len(mids) == maxMediaSections {
				return mids
			}
			mids = append(mids, "")
		case strings.HasPrefix(line, "a=mid:") && len(mids) > 0 && mids[len(mids)-1] == "":
			mids[len(mids)-1] = strings.TrimSpace(line[len("a=mid:"):])
		}
	}
	return mids
}

// CheckAnswer returns why answer cannot answer an offer whose media
// sections have the mids offerMIDs: other sections (their count, or a mid
// that is not the offer's at that place; a section without a=mid is taken
// by its place), or no ICE credentials or DTLS fingerprint. nil: it may.
// WebRTC still has the last word when the answer is applied.
func CheckAnswer(offerMIDs []string, answer string) error {
	mids := MediaIDs(answer)
	same := len(mids) == len(offerMIDs)
	for i := 0; same && i < len(mids); i++ {
		same = mids[i] == "" || mids[i] == offerMIDs[i]
	}
	if !same {
		return fmt.Errorf("the answer's media sections %q are not the offer's %q", mids, offerMIDs)
	}
	var ufrag, pwd, fingerprint bool
	for line := range strings.Lines(answer) {
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			ufrag = true
		case strings.HasPrefix(line, "a=ice-pwd:"):
			pwd = true
		case strings.HasPrefix(line, "a=fingerprint:"):
			fingerprint = true
		}
	}
	if !ufrag || !pwd || !fingerprint {
		return errors.New("the answer has no ICE credentials or no DTLS fingerprint")
	}
	return nil
}

// CandidateInMedia reports whether candidate c names a media section of
// mids: its sdpMid, else its sdpMLineIndex; one that names neither is
// taken (pion applies it to the bundle).
func CandidateInMedia(mids []string, c webrtc.ICECandidateInit) bool {
	switch {
	case c.SDPMid != nil && *c.SDPMid != "":
		return slices.Contains(mids, *c.SDPMid)
	case c.SDPMLineIndex != nil:
		return int(*c.SDPMLineIndex) < len(mids)
	}
	return true
}

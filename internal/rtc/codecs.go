package rtc

import (
	"strings"

	"github.com/pion/sdp/v3"
)

// OffersAudio reports whether every audio section of an SDP offer offers an
// audio codec this SDK sends and decodes: Opus (unless pcmuOnly) or PCMU.
// An offer without audio sections offers nothing to refuse and reports true.
func OffersAudio(offer string, pcmuOnly bool) bool {
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(offer); err != nil {
		return false
	}
	for _, m := range desc.MediaDescriptions {
		if m.MediaName.Media == "audio" && !sectionOffersPCMU(m) && (pcmuOnly || !sectionOffers(m, "opus/48000")) {
			return false
		}
	}
	return true
}

// OffersPCMU reports whether every audio section of an SDP offer offers
// PCMU (OffersAudio of a PCMU-only client).
func OffersPCMU(offer string) bool { return OffersAudio(offer, true) }

func sectionOffersPCMU(m *sdp.MediaDescription) bool {
	for _, f := range m.MediaName.Formats {
		if f == "0" { // PCMU's static payload type (RFC 3551)
			return true
		}
	}
	return sectionOffers(m, "PCMU/8000")
}

// sectionOffers reports whether an rtpmap of m names codec (encoding/clock,
// any channel count after it).
func sectionOffers(m *sdp.MediaDescription, codec string) bool {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		_, c, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		if strings.EqualFold(c, codec) || (len(c) > len(codec) && strings.EqualFold(c[:len(codec)], codec) && c[len(codec)] == '/') {
			return true
		}
	}
	return false
}

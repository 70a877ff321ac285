package rtc

import (
	"strings"

	"github.com/pion/sdp/v3"
)

// OffersPCMU reports whether every audio section of an SDP offer offers
// PCMU, the one audio codec this SDK sends and decodes. An offer without
// audio sections offers nothing to refuse and reports true.
func OffersPCMU(offer string) bool {
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(offer); err != nil {
		return false
	}
	for _, m := range desc.MediaDescriptions {
		if m.MediaName.Media == "audio" && !sectionOffersPCMU(m) {
			return false
		}
	}
	return true
}

func sectionOffersPCMU(m *sdp.MediaDescription) bool {
	for _, f := range m.MediaName.Formats {
		if f == "0" { // PCMU's static payload type (RFC 3551)
			return true
		}
	}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		if _, codec, ok := strings.Cut(a.Value, " "); ok && strings.EqualFold(codec, "PCMU/8000") {
			return true
		}
	}
	return false
}

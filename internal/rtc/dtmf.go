package rtc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/rtp"
)

// RFC 4733 telephone-event payloads: one 4-byte event per packet.
const (
	// TelephoneEventSize is the length of one telephone-event payload.
	TelephoneEventSize = 4
	// dtmfVolume is the power level the sender reports, as -dBm0 (RFC 4733
	// section 2.5.2.2 recommends the range 0 to -36 dBm0 for DTMF).
	dtmfVolume = 10
)

// dtmfKeys maps RFC 4733 event codes 0-15 (section 3.2) to DTMF keys.
const dtmfKeys = "0123456789*#ABCD"

// ValidDTMF returns an error naming the first key of keys that is not a DTMF
// key (0-9, *, #, A-D), or an error for an empty string.
func ValidDTMF(keys string) error {
	if keys == "" {
		return errors.New("no DTMF keys")
	}
	for i := range len(keys) {
		if _, ok := DTMFEvent(keys[i]); !ok {
			return fmt.Errorf("%q at %d is not a DTMF key (0-9, *, #, A-D)", keys[i], i)
		}
	}
	return nil
}

// DTMFEvent returns the RFC 4733 event code of a DTMF key (0-9, *, #, A-D;
// letters in either case).
func DTMFEvent(key byte) (event uint8, ok bool) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	i := strings.IndexByte(dtmfKeys, key)
	return uint8(i), i >= 0
}

// DTMFKey returns the DTMF key of an RFC 4733 event code; codes above 15
// (flash and other telephony events) are not keys.
func DTMFKey(event uint8) (key byte, ok bool) {
	if int(event) >= len(dtmfKeys) {
		return 0, false
	}
	return dtmfKeys[event], true
}

// TelephoneEvent is the payload of an RFC 4733 telephone-event packet.
type TelephoneEvent struct {
	Event    uint8  // the event code; 0-15 are DTMF keys
	End      bool   // the last packet(s) of the event
	Volume   uint8  // power level in -dBm0, 0 to 63
	Duration uint16 // in RTP timestamp units since the event began
}

var errShortTelephoneEvent = errors.New("rtc: telephone-event payload shorter than 4 bytes")

// ParseTelephoneEvent decodes the first event of a telephone-event payload.
func ParseTelephoneEvent(payload []byte) (TelephoneEvent, error) {
	if len(payload) < TelephoneEventSize {
		return TelephoneEvent{}, errShortTelephoneEvent
	}
	return TelephoneEvent{
		Event:    payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: uint16(payload[2])<<8 | uint16(payload[3]),
	}, nil
}

// Append appends the 4-byte payload of e to dst and returns the extended
// slice. The reserved bit is zero and Volume is cut to 6 bits.
func (e TelephoneEvent) Append(dst []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return append(dst, e.Event, flags, byte(e.Duration>>8), byte(e.Duration))
}

// DTMFDetector turns received telephone-event packets into DTMF keys,
// reporting each key press once however many packets carry it (updates,
// the end packet and its retransmissions). Packets must be of the
// telephone-event payload type; the detector does not check it. A
// DTMFDetector is not safe for concurrent use.
type DTMFDetector struct {
	started  bool   // an event has been reported
	ts       uint32 // RTP timestamp of the last reported event
	event    uint8
	duration uint16 // the last duration seen for it
	ended    bool
}

// NewDTMFDetector returns a detector that has seen no event yet.
func NewDTMFDetector() *DTMFDetector { return &DTMFDetector{} }

// Packet takes the next telephone-event packet and returns the key it
// starts, if it starts one. An event is known by its RTP timestamp, so
// pressing the same key twice gives two keys; a late packet of an older
// event, a malformed payload and events that are not DTMF keys give none.
// A long event that the sender split into segments (RFC 4733 section
// 2.5.1.3) gives one key.
func (d *DTMFDetector) Packet(p *rtp.Packet) (key byte, ok bool) {
	e, err := ParseTelephoneEvent(p.Payload)
	if err != nil {
		return 0, false
	}
	if d.started && int32(p.Timestamp-d.ts) <= 0 {
		if p.Timestamp == d.ts {
			d.duration, d.ended = max(d.duration, e.Duration), d.ended || e.End
		}
		return 0, false
	}
	continued := d.started && !d.ended && e.Event == d.event && p.Timestamp == d.ts+uint32(d.duration)
	d.started, d.ts, d.event, d.duration, d.ended = true, p.Timestamp, e.Event, e.Duration, e.End
	if continued {
		return 0, false
	}
	return DTMFKey(e.Event)
}

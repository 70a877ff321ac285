package mxp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// MaxParts is the most parts one message may be split into. It leaves room
// for a MaxMessageSize message in parts of SendPartLen characters, whatever
// the session id.
const MaxParts = 128

// MaxPartLen is the most characters of one part that a receiver accepts.
// Senders keep to SendPartLen, but a receiver must take parts of a few KiB
// (real-wire.md section 2); the parts of one message together are bounded
// by the payload of a MaxMessageSize message (see Reassembler).
const MaxPartLen = 8 << 10

// The part size rule of Sinch's SDKs: a frame's data part is at most
// partBudget - len(sessionId) - len(transportId) - partOverhead characters.
const (
	partBudget   = 1500
	partOverhead = 15
)

// singlePart is the message id of a message sent in one frame.
const singlePart = "-"

const (
	maxSessionIDLen = 128
	maxMsgIDLen     = 20 // the digits of the largest uint64
	frameFields     = 6
)

// SendPartLen is the most payload characters a sender puts in one part of
// a message of session sessionID: 1500 - len(sessionID) - len(transportID) - 15
// (real-wire.md section 2). Our transport id is the frame's message id
// field: "-" for a message sent in one part, else the decimal message id
// that all its parts share. A 36-character session id (a UUID call id)
// thus gives single parts of up to 1448 characters: real-wire.md's 1449
// counts an empty transport id, so ours stay within both readings.
func SendPartLen(sessionID, transportID string) int {
	return partBudget - len(sessionID) - len(transportID) - partOverhead
}

// Frame is one MXP text frame: "10 <sessionId> <msgId|-> <partNo> <partTotal> <data>".
type Frame struct {
	SessionID string // the call id
	MsgID     string // "-" for a single-part message, else decimal digits shared by all parts of a message
	Part      int    // 0-based part number
	Total     int    // number of parts of the message
	Data      string // this part of the base64 payload
}

// String returns the frame's wire text.
func (f Frame) String() string {
	return strconv.Itoa(ProtocolVersion) + " " + f.SessionID + " " + f.MsgID + " " +
		strconv.Itoa(f.Part) + " " + strconv.Itoa(f.Total) + " " + f.Data
}

// Split cuts payload into frames whose data parts keep to SendPartLen. A
// payload that fits in one frame gets message id "-"; a longer one gets a
// random positive message id shared by all its parts. sessionID must be a
// valid session id and payload non-empty, as Encode ensures.
func Split(sessionID, payload string) []string {
	return split(sessionID, payload, randomMsgID)
}

func randomMsgID() string { return strconv.Itoa(int(rand.Int32N(math.MaxInt32)) + 1) }

// split is Split with the message id of a multi-part message drawn from
// newID; the golden tests fix it.
func split(sessionID, payload string, newID func() string) []string {
	if len(payload) <= SendPartLen(sessionID, singlePart) {
		return []string{Frame{SessionID: sessionID, MsgID: singlePart, Total: 1, Data: payload}.String()}
	}
	msgID := newID()
	n := SendPartLen(sessionID, msgID)
	total := (len(payload) + n - 1) / n
	frames := make([]string, total)
	for i := range frames {
		end := min(len(payload), (i+1)*n)
		frames[i] = Frame{
			SessionID: sessionID,
			MsgID:     msgID,
			Part:      i,
			Total:     total,
			Data:      payload[i*n : end],
		}.String()
	}
	return frames
}

// ParseFrame parses and validates one frame. It accepts exactly what
// Frame.String produces for a valid frame, so numbers have no sign or
// leading zeros.
func ParseFrame(s string) (Frame, error) {
	fields := strings.SplitN(s, " ", frameFields+1)
	if len(fields) != frameFields {
		return Frame{}, fmt.Errorf("mxp: frame has %d space-separated fields, want %d", len(fields), frameFields)
	}
	if fields[0] != strconv.Itoa(ProtocolVersion) {
		return Frame{}, fmt.Errorf("mxp: frame version is not %d", ProtocolVersion)
	}
	part, ok := parseCount(fields[3])
	if !ok {
		return Frame{}, errors.New("mxp: frame part number is not a small decimal number")
	}
	total, ok := parseCount(fields[4])
	if !ok {
		return Frame{}, errors.New("mxp: frame part total is not a small decimal number")
	}
	f := Frame{SessionID: fields[1], MsgID: fields[2], Part: part, Total: total, Data: fields[5]}
	if err := f.validate(); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// parseCount parses a part number or total written without sign or leading
// zeros. Anything longer than three digits is over MaxParts anyway.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') || !allBytes(s, isDigit) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// validate checks the fields of a frame whether parsed or built by hand.
func (f Frame) validate() error {
	if err := checkSessionID(f.SessionID); err != nil {
		return err
	}
	if f.MsgID != singlePart && (f.MsgID == "" || len(f.MsgID) > maxMsgIDLen || !allBytes(f.MsgID, isDigit)) {
		return fmt.Errorf("mxp: frame message id is neither %q nor up to %d decimal digits", singlePart, maxMsgIDLen)
	}
	if f.Total < 1 || f.Total > MaxParts {
		return fmt.Errorf("mxp: frame part total %d is outside 1..%d", f.Total, MaxParts)
	}
	if f.Part < 0 || f.Part >= f.Total {
		return fmt.Errorf("mxp: frame part %d is outside 0..%d", f.Part, f.Total-1)
	}
	if f.MsgID == singlePart && f.Total != 1 {
		return fmt.Errorf("mxp: frame with message id %q has %d parts, want 1", singlePart, f.Total)
	}
	if f.Data == "" || len(f.Data) > MaxPartLen {
		return fmt.Errorf("mxp: frame data of %d characters is outside 1..%d", len(f.Data), MaxPartLen)
	}
	if !allBytes(f.Data, isBase64) {
		return errors.New("mxp: frame data has characters outside the base64 alphabet")
	}
	return nil
}

// checkSessionID accepts 1 to 128 printable ASCII characters other than
// space.
func checkSessionID(id string) error {
	if id == "" || len(id) > maxSessionIDLen || !allBytes(id, isGraphic) {
		return fmt.Errorf("mxp: session id must be 1..%d printable ASCII characters without spaces", maxSessionIDLen)
	}
	return nil
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isGraphic(c byte) bool { return c > ' ' && c < 0x7f }

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '+' || c == '/' || c == '='
}

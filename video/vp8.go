package video

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// vp8KeyframeHeaderSize is the frame tag (3 bytes), the start code (3 bytes)
// and the dimensions (2×2 bytes) that begin every VP8 keyframe (RFC 6386,
// section 9.1).
const vp8KeyframeHeaderSize = 10

var (
	errNotKeyframe = errors.New("video: not a VP8 keyframe")
	errStartCode   = errors.New("video: VP8 keyframe without start code 9d 01 2a")
)

// ParseVP8Keyframe returns the picture size written in the header of the VP8
// keyframe b. It fails when b is too short to be a keyframe, is an interframe,
// lacks the keyframe start code, has a zero width or height, or is shorter
// than its first partition claims.
func ParseVP8Keyframe(b []byte) (width, height int, err error) {
	if len(b) < vp8KeyframeHeaderSize {
		return 0, 0, fmt.Errorf("video: VP8 keyframe header needs %d bytes, have %d", vp8KeyframeHeaderSize, len(b))
	}
	if b[0]&1 != 0 {
		return 0, 0, errNotKeyframe
	}
	if b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return 0, 0, errStartCode
	}
	// The top two bits of each dimension are a scaling hint, not size.
	width = int(binary.LittleEndian.Uint16(b[6:8]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(b[8:10]) & 0x3fff)
	if width == 0 || height == 0 {
		return 0, 0, fmt.Errorf("video: VP8 keyframe of %dx%d pixels", width, height)
	}
	// The first partition follows the header; its size is in the frame tag.
	firstPart := int(b[0])>>5 | int(b[1])<<3 | int(b[2])<<11
	if firstPart > len(b)-vp8KeyframeHeaderSize {
		return 0, 0, fmt.Errorf("video: VP8 keyframe of %d bytes is shorter than its %d-byte first partition", len(b), firstPart)
	}
	return width, height, nil
}

// IsKeyframe reports whether b is a VP8 keyframe, one a decoder can start
// from: whether [ParseVP8Keyframe] accepts it.
func IsKeyframe(b []byte) bool {
	_, _, err := ParseVP8Keyframe(b)
	return err == nil
}

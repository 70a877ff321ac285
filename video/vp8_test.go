package video

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyframeHeader returns a VP8 keyframe header of w×h with a first
// partition of part bytes, followed by part bytes.
func keyframeHeader(w, h uint16, part int) []byte {
	tag := uint32(part) << 5 // keyframe (bit 0 clear), version 0
	b := []byte{byte(tag), byte(tag >> 8), byte(tag >> 16), 0x9d, 0x01, 0x2a,
		byte(w), byte(w >> 8), byte(h), byte(h >> 8)}
	return append(b, make([]byte, part)...)
}

func TestParseVP8Keyframe(t *testing.T) {
	src, err := NewIVFSource(bytes.NewReader(readClip(t)))
	require.NoError(t, err)
	key, err := src.ReadFrame()
	require.NoError(t, err)
	inter, err := src.ReadFrame()
	require.NoError(t, err)

	w, h, err := ParseVP8Keyframe(key.Data)
	require.NoError(t, err)
	assert.Equal(t, [2]int{clipWidth, clipHeight}, [2]int{w, h})

	w, h, err = ParseVP8Keyframe(keyframeHeader(1920|0xc000, 1080|0x4000, 3))
	require.NoError(t, err)
	assert.Equal(t, [2]int{1920, 1080}, [2]int{w, h}, "scaling bits are not size")

	tests := []struct {
		name    string
		b       []byte
		message string
	}{
		{"empty", nil, "needs 10 bytes, have 0"},
		{"short", key.Data[:9], "needs 10 bytes, have 9"},
		{"interframe", inter.Data, "not a VP8 keyframe"},
		{"start code", append([]byte{0, 0, 0, 0x9d, 0x01, 0x2b}, 1, 0, 1, 0), "start code"},
		{"zero width", keyframeHeader(0, 240, 0), "0x240"},
		{"zero height", keyframeHeader(320, 0x4000, 0), "320x0"},
		{"truncated", keyframeHeader(320, 240, 8)[:15], "first partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseVP8Keyframe(tt.b)
			assert.ErrorContains(t, err, tt.message)
			assert.False(t, IsKeyframe(tt.b))
		})
	}
	assert.True(t, IsKeyframe(key.Data))
}

func FuzzParseVP8Keyframe(f *testing.F) {
	clip := readClip(f)
	f.Add(clip[ivfFileHeaderSize+ivfFrameHeaderSize : ivfFileHeaderSize+ivfFrameHeaderSize+64])
	f.Add(keyframeHeader(320, 240, 0))
	f.Add(keyframeHeader(0xffff, 0xffff, 2))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, err := ParseVP8Keyframe(b)
		if IsKeyframe(b) != (err == nil) {
			t.Fatalf("IsKeyframe disagrees with ParseVP8Keyframe (err %v)", err)
		}
		if err != nil {
			return
		}
		if w < 1 || w > 0x3fff || h < 1 || h > 0x3fff || b[0]&1 != 0 {
			t.Fatalf("accepted %dx%d from % x", w, h, b[:10])
		}
	})
}

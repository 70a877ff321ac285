package video

import "time"

// Frame is one encoded video frame.
type Frame struct {
	Data     []byte        // one VP8 frame
	Duration time.Duration // how long it is shown
	Keyframe bool          // a decoder can start from this frame
}

// Source produces the local video of a call, one encoded frame at a time.
// io.EOF ends it. The SDK reads a source from one goroutine at a time and
// paces the frames by their Duration, which must be positive.
type Source interface {
	ReadFrame() (Frame, error)
}

// Sink receives the remote video of a call, one encoded frame at a time.
// The frame's Data is reused after WriteFrame returns.
type Sink interface {
	WriteFrame(f Frame) error
}

// SinkFunc adapts a function to a [Sink]. The frame's Data is reused after
// the function returns: copy it to keep it.
type SinkFunc func(f Frame)

// WriteFrame calls fn(f) and returns nil.
func (fn SinkFunc) WriteFrame(f Frame) error {
	fn(f)
	return nil
}

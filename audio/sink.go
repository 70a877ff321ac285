package audio

// Sink consumes the audio a call receives.
//
// WriteFrame is called from the call's media goroutine with each frame of
// received audio at [SampleRate], or at the sink's own format when it
// implements [Formatted]; frames come every 20 ms, lost audio concealed. The slice is reused once WriteFrame returns:
// a sink that keeps samples must copy them. WriteFrame should return quickly;
// a slow sink delays the audio that follows. A call that ends does not wait
// for a blocked WriteFrame (Hangup and Terminate return).
type Sink interface {
	WriteFrame(frame []int16) error
}

// SinkFunc adapts a function to a [Sink]. The frame passed to the function is
// reused after it returns: copy the samples to keep them.
type SinkFunc func(frame []int16)

// WriteFrame calls f(frame) and returns nil.
func (f SinkFunc) WriteFrame(frame []int16) error {
	f(frame)
	return nil
}

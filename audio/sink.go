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

// TimedSink is implemented by the sinks that want the RTP timestamp of each
// frame they get. When a call's sink implements it, the call calls
// WriteFrameAt instead of WriteFrame, with the same frames at the same pace.
//
// rtpTimestamp is the RTP timestamp of the frame's first sample on the
// sender's timeline, in units of the codec's RTP clock (48 kHz for Opus, 8
// kHz for PCMU, whatever the sink's own format): a 20 ms frame advances it
// by 960 (Opus) or 160 (PCMU). A frame that conceals a lost packet carries
// the timestamp of the slot it fills, so the timestamps go on increasing by
// one frame per frame across losses. Two cases differ, both the jitter
// buffer adapting its delay: a frame it inserts to grow its delay repeats
// the timestamp of the frame that follows it (the sender's timeline did not
// move), and when it shrinks its delay by skipping a missing slot the next
// timestamp is a frame further on. And when the buffer rebases its
// timeline (the sender's timestamps jumped, or a stall made a run of
// packets late), they jump with the packets, forward or back. Timestamps
// wrap at 2^32 as RTP's do.
type TimedSink interface {
	Sink
	WriteFrameAt(frame []int16, rtpTimestamp uint32) error
}

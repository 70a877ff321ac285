// Package audio provides the sources and sinks of call audio.
//
// A Go process has no microphone and no loudspeaker: the audio a call sends
// comes from Go code (a [Source]) and the audio it receives goes to Go code (a
// [Sink]). The package offers silence, tones, WAV files and raw 16-bit PCM
// readers as sources, frame callbacks and WAV writers as sinks, and tone
// detection helpers ([Goertzel], [ToneDetector], [RMS]) for bots and test
// automation.
//
// Audio is 16-bit signed PCM in 20 ms frames. A source or sink that does not
// say otherwise works at 8 kHz mono ([SampleRate], [FrameSize] samples a
// frame, [Narrowband]); one that implements [Formatted] declares another
// format (8 to 48 kHz, mono or stereo: [ToneAt], [NewToneDetectorAt], WAV
// and PCM sources at the file's or the given rate ([NewWAVSource], [OpenWAV],
// [NewPCMSource], [NewPCMSourceAt]), [NewWAVWriterAt], or any source or sink wrapped by
// [SourceAt] and [SinkAt]), and the SDK converts between it and the call's
// codec: Opus (wideband, negotiated first) or PCMU (G.711, 8 kHz).
package audio

// SampleRate is the sample rate, in Hz, of sources and sinks that declare no
// format (see [Formatted]).
const SampleRate = 8000

// FrameSize is the number of samples in one 20 ms frame at [SampleRate].
const FrameSize = SampleRate / 50

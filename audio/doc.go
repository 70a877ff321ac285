// Package audio provides the sources and sinks of call audio.
//
// A Go process has no microphone and no loudspeaker: the audio a call sends
// comes from Go code (a [Source]) and the audio it receives goes to Go code (a
// [Sink]). The package offers silence, tones, WAV files and raw 16-bit PCM
// readers as sources, frame callbacks and WAV writers as sinks, and tone
// detection helpers ([Goertzel], [ToneDetector], [RMS]) for bots and test
// automation.
//
// Inside the SDK, audio is 16-bit signed mono PCM at 8 kHz ([SampleRate]),
// carried in 20 ms frames of [FrameSize] samples and sent as PCMU (G.711
// μ-law), the codec every WebRTC endpoint supports.
package audio

// SampleRate is the sample rate, in Hz, of all PCM audio inside the SDK.
const SampleRate = 8000

// FrameSize is the number of samples in one 20 ms frame at [SampleRate].
const FrameSize = SampleRate / 50

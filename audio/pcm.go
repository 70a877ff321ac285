package audio

import "io"

// NewPCMSource returns a source reading 16-bit little-endian mono PCM from r
// at sampleRate as it is, declaring Format{sampleRate, 1} (see [Formatted]):
// a call converts it to its codec, so 16 or 48 kHz audio goes wideband into
// an Opus call and is resampled to 8 kHz for PCMU. sampleRate is one
// [Format.Valid] accepts (8 to 48 kHz); for stereo use [NewPCMSourceAt].
//
// ReadFrame is given sampleRate/50 samples a 20 ms frame by a call. The
// source ends with [io.EOF] at the end of r; a last partial frame is padded
// with silence. Other read errors are returned as they happen.
func NewPCMSource(r io.Reader, sampleRate int) (Source, error) {
	return NewPCMSourceAt(r, Format{SampleRate: sampleRate, Channels: 1})
}

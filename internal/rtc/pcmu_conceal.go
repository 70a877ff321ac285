package rtc

// pcmuFadeFrames is how many frames a PCMU concealment lasts before it is
// silence.
const pcmuFadeFrames = 3

// PCMUConcealer fills the gaps of lost PCMU packets (or of any 8 kHz PCM
// stream without a concealment of its own) with a simple, documented
// concealment: the last frame heard is repeated, alternately time-reversed
// so that the waveform stays continuous where the copies join (a repeated
// 20 ms frame would otherwise click 50 times a second), with a gain that
// falls linearly from 1 to 0 over three frames (60 ms). From then on the
// gap is silence, until a frame is heard again.
//
// Tell it every frame decoded from a packet with Heard, and ask it for the
// audio of each lost frame with Conceal. Its zero value is ready to use and
// conceals with silence until a frame has been heard. It is not safe for
// concurrent use.
type PCMUConcealer struct {
	last []int16 // the last frame heard
	pos  int     // samples concealed since the last frame heard
}

// Heard records frame, decoded from a packet, as the audio to repeat if
// what follows is lost, and ends any concealment in progress.
func (c *PCMUConcealer) Heard(frame []int16) {
	c.last = append(c.last[:0], frame...)
	c.pos = 0
}

// Conceal appends samples samples of concealment to dst and returns the
// extended slice.
func (c *PCMUConcealer) Conceal(dst []int16, samples int) []int16 {
	period := len(c.last)
	fade := pcmuFadeFrames * period
	for range max(samples, 0) {
		if c.pos >= fade {
			dst = append(dst, 0)
			continue
		}
		idx := c.pos % period
		if (c.pos/period)%2 == 0 {
			idx = period - 1 - idx // reversed: it starts where the frame ended
		}
		gain := float64(fade-c.pos) / float64(fade)
		dst = append(dst, int16(float64(c.last[idx])*gain))
		c.pos++
	}
	return dst
}

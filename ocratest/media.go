package ocratest

import (
	"math"
	"sync"

	"github.com/sinch-rtc-go/sinch/audio"
)

// maxBuffered bounds the audio a fifo holds, 200 ms at 8 kHz: a reader
// that falls behind loses the oldest audio rather than lagging more.
const maxBuffered = audio.SampleRate / 5

// media is what a far end sends and what it does with what it hears. next
// runs on the endpoint's sender goroutine, hear on its receiver goroutine.
type media interface {
	// next fills frame with the next audio the endpoint sends.
	next(frame []int16)
	// hear takes audio received from the peer.
	hear(frame []int16)
	// close releases the media: a conference member leaves its room.
	close()
}

// toneMedia plays a tone and ignores what it hears.
type toneMedia struct{ tone audio.Source }

func newToneMedia(hz float64) *toneMedia { return &toneMedia{tone: audio.Tone(hz, 0.5)} }

func (m *toneMedia) next(frame []int16) { _ = m.tone.ReadFrame(frame) } // a tone never ends
func (m *toneMedia) hear([]int16)       {}
func (m *toneMedia) close()             {}

// echoMedia sends back what it hears.
type echoMedia struct{ heard fifo }

func (m *echoMedia) next(frame []int16) { clear(frame[m.heard.read(frame):]) }
func (m *echoMedia) hear(frame []int16) { m.heard.write(frame) }
func (m *echoMedia) close()             {}

// fifo is a bounded queue of samples, safe for concurrent use.
type fifo struct {
	mu  sync.Mutex
	buf []int16
}

// write appends samples, dropping the oldest beyond maxBuffered.
func (f *fifo) write(samples []int16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, samples...)
	if extra := len(f.buf) - maxBuffered; extra > 0 {
		f.buf = append(f.buf[:0], f.buf[extra:]...)
	}
}

// read moves up to len(dst) samples into dst and returns how many.
func (f *fifo) read(dst []int16) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := copy(dst, f.buf)
	f.buf = append(f.buf[:0], f.buf[n:]...)
	return n
}

// mixInto adds the next len(acc) samples of f into acc (missing samples
// count as silence).
func (f *fifo) mixInto(acc []int32, scratch []int16) {
	n := f.read(scratch[:len(acc)])
	for i, s := range scratch[:n] {
		acc[i] += int32(s)
	}
}

// clip16 saturates a sum of samples to the int16 range.
func clip16(v int32) int16 {
	return int16(min(max(v, math.MinInt16), math.MaxInt16))
}

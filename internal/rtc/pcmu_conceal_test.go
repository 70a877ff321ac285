package rtc

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/audio"
)

func TestPCMUConcealmentRepeatsAndFadesOverThreeFrames(t *testing.T) {
	tone := toneFrames(8000, 1, 2, 440, 0.5)
	var c PCMUConcealer
	c.Heard(tone[0])

	var frames [][]int16
	for range 5 {
		frames = append(frames, c.Conceal(nil, 160))
	}
	for i, f := range frames[:3] {
		require.Len(t, f, 160)
		assert.Greater(t, toneLevel(f, 8000, 440), 5*toneLevel(f, 8000, 1000), "concealed frame %d carries the tone heard", i)
	}
	assert.Greater(t, audio.RMS(frames[0]), audio.RMS(frames[1]))
	assert.Greater(t, audio.RMS(frames[1]), audio.RMS(frames[2]))
	assert.InDelta(t, 5.0/6, audio.RMS(frames[0])/audio.RMS(tone[0]), 0.05, "the first frame is at 5/6 of the level on average")
	assert.Equal(t, make([]int16, 160), frames[3], "after 60 ms the gap is silence")
	assert.Equal(t, make([]int16, 160), frames[4])

	// The waveform is continuous where the copies join: no step larger
	// than the tone's own between consecutive samples.
	all := append(append([]int16{}, tone[0]...), frames[0]...)
	all = append(all, frames[1]...)
	maxStep := 0.5 * 32767 * 2 * math.Sin(math.Pi*440/8000)
	for i := 1; i < len(all); i++ {
		assert.LessOrEqual(t, math.Abs(float64(all[i])-float64(all[i-1])), maxStep+2, "step at sample %d", i)
	}

	// A frame heard ends the concealment; the next loss starts at full
	// level again.
	c.Heard(tone[1])
	again := c.Conceal(nil, 160)
	assert.InDelta(t, audio.RMS(frames[0]), audio.RMS(again), 0.1*audio.RMS(frames[0]))
}

func TestPCMUConcealmentBeforeAnythingHeardIsSilence(t *testing.T) {
	var c PCMUConcealer
	assert.Equal(t, make([]int16, 160), c.Conceal(nil, 160))
	assert.Empty(t, c.Conceal(nil, -1))
	dst := []int16{7}
	assert.Equal(t, []int16{7, 0, 0}, c.Conceal(dst, 2), "Conceal appends")
}

func TestPCMUConcealmentOfOddSizedGaps(t *testing.T) {
	var c PCMUConcealer
	c.Heard(toneFrames(8000, 1, 1, 440, 0.5)[0])
	var total []int16
	for _, n := range []int{80, 240, 100, 60} { // 480 samples: the fade's length
		total = c.Conceal(total, n)
	}
	require.Len(t, total, 480)
	assert.Less(t, math.Abs(float64(total[479])), 400.0, "the fade ends at the third frame's end")
	assert.Equal(t, make([]int16, 10), c.Conceal(nil, 10))
}

func BenchmarkPCMUConceal(b *testing.B) {
	var c PCMUConcealer
	frame := toneFrames(8000, 1, 1, 440, 0.5)[0]
	out := make([]int16, 0, 160)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%4 == 0 {
			c.Heard(frame)
		}
		out = c.Conceal(out[:0], 160)
	}
}

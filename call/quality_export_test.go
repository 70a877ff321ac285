package call

import "testing"

// SetLevelWindow makes the audio level warnings of the calls that start
// from now on look at the last samples samples (of 500 ms) instead of 20 s,
// until the test ends.
func SetLevelWindow(t testing.TB, samples int) {
	old := defaultQuality.levelSamples
	defaultQuality.levelSamples = samples
	t.Cleanup(func() { defaultQuality.levelSamples = old })
}

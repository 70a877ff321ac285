package audio_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A Source produces a call's audio 20 ms at a time and a Sink receives it.
// Tone and ToneDetector are the pair tests and bots use: a tone goes in,
// and the detector says which of some frequencies it hears.
func ExampleToneDetector() {
	src := audio.Tone(440, 0.5)
	ears := audio.NewToneDetector(time.Second)
	frame := make([]int16, audio.FrameSize)
	for range 50 { // 1 s
		if err := src.ReadFrame(frame); err != nil {
			fmt.Println(err)
			return
		}
		_ = ears.WriteFrame(frame)
	}
	freq, ratio := ears.Dominant(440, 880)
	fmt.Printf("hears %.0f Hz, more than 100 times 880 Hz's power: %v\n", freq, ratio > 100)
	// Output: hears 440 Hz, more than 100 times 880 Hz's power: true
}

// A WAVWriter records a sink's audio; OpenWAV plays a file as a source.
// Set them on a call (SetAudioSink, SetAudioSource) to record it or play a
// file into it.
func ExampleNewWAVWriter() {
	dir, err := os.MkdirTemp("", "wav")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tone.wav")
	f, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := audio.NewWAVWriter(f)
	frame := make([]int16, audio.FrameSize)
	src := audio.Tone(1000, 0.5)
	for range 10 { // 200 ms
		_ = src.ReadFrame(frame)
		_ = w.WriteFrame(frame)
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	f.Close()

	wav, err := audio.OpenWAV(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer wav.Close()
	frames := 0
	for wav.ReadFrame(frame) == nil {
		frames++
	}
	fmt.Println(frames, "frames at", wav.Format().SampleRate, "Hz")
	// Output: 10 frames at 8000 Hz
}

// A client's AudioController gives every new call its source and sink,
// unless the call gets its own. Here Bob's app plays a tone into every call
// and Alice hears it.
func ExampleController_SetSourceFactory() {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice, err := startedClient(srv, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	bob, err := startedClient(srv, "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bob.Terminate()

	_ = bob.AudioController().SetSourceFactory(func(callID string) audio.Source { return audio.Tone(880, 0.5) })
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { _ = c.Answer() },
	})
	out, err := alice.CallController().CallUser("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ears := audio.NewToneDetector(500 * time.Millisecond)
	out.SetAudioSink(ears) // this call's own sink
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ears.Wait(ctx, time.Second); err != nil { // 1 s of audio received
		fmt.Println(err)
		return
	}
	freq, _ := ears.Dominant(440, 880)
	_ = out.Hangup()
	fmt.Printf("alice hears %.0f Hz\n", freq)
	// Output: alice hears 880 Hz
}

// startedClient starts user's loopback client against srv and waits until
// it is started, as ExampleGetSinchClientBuilder in package sinch shows step
// by step; a real app gets its token from its backend.
func startedClient(srv *ocratest.Server, user string) (*sinch.SinchClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return sinchtest.Started(ctx, srv, user)
}

package video_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/video"
)

// A video Source hands the SDK encoded VP8 frames; an IVF file (as vpxenc
// or ffmpeg write it) is the simplest one. The first frame of a stream is
// a keyframe, from which a decoder can start.
func ExampleNewIVFFileSource() {
	src, err := video.NewIVFFileSource("testdata/clip.ivf")
	if err != nil {
		fmt.Println(err)
		return
	}
	frame, err := src.ReadFrame()
	if err != nil {
		fmt.Println(err)
		return
	}
	w, h, err := video.ParseVP8Keyframe(frame.Data)
	fmt.Printf("%dx%d, keyframe %v, shown for %v\n", w, h, frame.Keyframe && err == nil, frame.Duration.Round(time.Millisecond))
	// Output: 320x240, keyframe true, shown for 67ms
}

// A client's VideoController gives every new video call its source and
// sink. Here Alice's app sends a clip over and over into a video call and Bob's
// app counts the keyframes it receives.
func ExampleController_SetSinkFactory() {
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

	clip, err := os.ReadFile("testdata/clip.ivf")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = alice.VideoController().SetSourceFactory(func(callID string) video.Source {
		src, err := video.NewLoopingIVFSource(bytes.NewReader(clip))
		if err != nil {
			return nil // no video from this side
		}
		return src
	})
	var keyframes atomic.Int32
	gotOne := make(chan struct{}, 1)
	_ = bob.VideoController().SetSinkFactory(func(callID string) video.Sink {
		return video.SinkFunc(func(f video.Frame) {
			if f.Keyframe && keyframes.Add(1) == 1 {
				gotOne <- struct{}{}
			}
		})
	})
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { _ = c.Answer() },
	})

	out, err := alice.CallController().CallUserVideo("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	select {
	case <-gotOne:
		fmt.Println("bob receives alice's video")
	case <-time.After(10 * time.Second):
		fmt.Println("no video")
	}
	_ = out.Hangup()
	// Output: bob receives alice's video
}

// startedClient starts user's loopback client against srv and waits until
// it is started, as ExampleGetSinchClientBuilder in package sinch shows step
// by step; a real app gets its token from its backend.
func startedClient(srv *ocratest.Server, user string) (*sinch.SinchClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return sinchtest.Started(ctx, srv, user)
}

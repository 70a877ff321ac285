// Command playfile calls a user and plays a WAV file (16-bit PCM mono; it is
// resampled to 8 kHz) into the call, then hangs up:
//
//	go run ./examples/playfile
//
// By default it runs on an embedded fake Ocra server (package ocratest) on
// 127.0.0.1 with a generated melody: user "listener" answers, records what
// it hears to a WAV file, and the command checks that the recording holds
// the melody's notes in order, then exits (non-zero if anything went wrong).
// To call a user on a real environment:
//
//	go run ./examples/playfile -host https://ocra.api.sinch.com -key APP_KEY -secret APP_SECRET -wav hello.wav -to bob
//
// A real app keeps its secret on its backend (see examples/jwtbackend).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/examples/internal/exampleclient"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// notes is the demo melody, one note after the other.
var notes = []float64{523.25, 659.25, 783.99, 1046.5}

const noteLength = 250 * time.Millisecond

func main() {
	host := flag.String("host", "", "Sinch environment URL; empty: an embedded fake server and a demo listener")
	key := flag.String("key", "", "application key (with -host)")
	secret := flag.String("secret", "", "application secret (with -host)")
	user := flag.String("user", "playfile", "the caller's user id")
	to := flag.String("to", "listener", "the user to call")
	wav := flag.String("wav", "", "the WAV file to play; empty: a generated melody (embedded server only)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	switch {
	case *host == "":
		err = demo(ctx, *user, *to, *wav)
	case *wav == "":
		err = errors.New("-wav is required with -host")
	default:
		err = play(ctx, *host, *key, *secret, *user, *to, *wav, false)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "playfile:", err)
		os.Exit(1)
	}
}

// play calls to from user, plays the file once the call is established and
// hangs up when it has played.
func play(ctx context.Context, host, key, secret, user, to, path string, loopback bool) error {
	f, err := audio.OpenWAV(path)
	if err != nil {
		return err
	}
	defer f.Close()
	client, err := exampleclient.Start(ctx, exampleclient.Config{Host: host, Key: key, Secret: secret, User: user, Loopback: loopback})
	if err != nil {
		return err
	}
	defer client.Terminate()

	src := &untilEOF{src: f, done: make(chan struct{})}
	c, err := client.CallController().CallUser(to, nil)
	if err != nil {
		return err
	}
	ended := make(chan struct{})
	c.AddListener(&call.ListenerFuncs{
		OnCallRingingFunc: func(*call.Call) { fmt.Println("caller: ringing") },
		OnCallEstablishedFunc: func(c *call.Call) {
			fmt.Println("caller: established, playing", filepath.Base(path))
			c.SetAudioSource(src)
		},
		OnCallEndedFunc: func(*call.Call) { close(ended) },
	})
	select {
	case <-src.done:
		fmt.Println("caller: the file has played, hanging up")
		time.Sleep(200 * time.Millisecond) // the last frames are on their way
		if err := c.Hangup(); err != nil {
			return err
		}
		<-ended
		return nil
	case <-ended:
		d := c.Details()
		return fmt.Errorf("the call ended before the file played: %v (%v)", d.EndCause, d.Error)
	case <-ctx.Done():
		_ = c.Hangup()
		return errors.New("timed out")
	}
}

// untilEOF passes a source on and closes done when it ends.
type untilEOF struct {
	src  audio.Source
	once sync.Once
	done chan struct{}
}

func (u *untilEOF) ReadFrame(frame []int16) error {
	err := u.src.ReadFrame(frame)
	if errors.Is(err, io.EOF) {
		u.once.Do(func() { close(u.done) })
	}
	return err
}

// demo plays the file (or the melody) to a listener on an embedded server
// that records the call, and checks the recording.
func demo(ctx context.Context, user, to, path string) error {
	dir, err := os.MkdirTemp("", "playfile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if path == "" {
		path = filepath.Join(dir, "melody.wav")
		if err := writeMelody(path); err != nil {
			return err
		}
	}
	srv := ocratest.NewServer()
	defer srv.Close()
	key, secret := srv.ApplicationKey(), srv.ApplicationSecret()
	listener, err := exampleclient.Start(ctx, exampleclient.Config{Host: srv.URL(), Key: key, Secret: secret, User: to, Loopback: true})
	if err != nil {
		return err
	}
	defer listener.Terminate()
	recording := filepath.Join(dir, "recording.wav")
	out, err := os.Create(recording)
	if err != nil {
		return err
	}
	defer out.Close()
	rec := audio.NewWAVWriter(out)
	listener.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			fmt.Println("listener: answering", c.RemoteUserID())
			c.SetAudioSink(rec)
			if err := c.Answer(); err != nil {
				fmt.Println("listener: answer failed:", err)
			}
		},
	})
	if err := play(ctx, srv.URL(), key, secret, user, to, path, true); err != nil {
		return err
	}
	listener.Terminate() // the recorder gets no more frames
	if err := rec.Close(); err != nil {
		return err
	}
	return checkMelody(recording)
}

// writeMelody writes the demo melody as a WAV file.
func writeMelody(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := audio.NewWAVWriter(f)
	frame := make([]int16, int(noteLength.Seconds()*audio.SampleRate))
	for _, n := range notes {
		if err := audio.Tone(n, 0.5).ReadFrame(frame); err != nil {
			return err
		}
		if err := w.WriteFrame(frame); err != nil {
			return err
		}
	}
	return w.Close()
}

// checkMelody finds the melody's notes, in order, in the recording.
func checkMelody(path string) error {
	f, err := audio.OpenWAV(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var heard []float64
	frame := make([]int16, audio.SampleRate/20) // 50 ms
	for f.ReadFrame(frame) == nil {
		if audio.RMS(frame) < 1000 {
			continue // silence before and after the file
		}
		best, bestPower := 0.0, 0.0
		for _, n := range notes {
			if p := audio.Goertzel(frame, audio.SampleRate, n); p > bestPower {
				best, bestPower = n, p
			}
		}
		if len(heard) == 0 || heard[len(heard)-1] != best {
			heard = append(heard, best)
		}
	}
	fmt.Printf("listener: heard notes %v Hz\n", heard)
	if !sameNotes(heard, notes) {
		return fmt.Errorf("the recording holds notes %v, want %v", heard, notes)
	}
	fmt.Println("playfile: OK")
	return nil
}

// sameNotes compares note sequences to within 1 Hz.
func sameNotes(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1 {
			return false
		}
	}
	return true
}

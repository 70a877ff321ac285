// Command echobot is a bot user that answers every call and sends the
// caller's audio back, each call with its own echo:
//
//	go run ./examples/echobot
//
// By default it runs on an embedded fake Ocra server (package ocratest) on
// 127.0.0.1, where a demo caller calls the bot with a 440 Hz tone, checks
// that it hears the tone come back, hangs up, and the command exits (non-zero
// if anything went wrong). To run the bot on a real environment:
//
//	go run ./examples/echobot -host https://ocra.api.sinch.com -key APP_KEY -secret APP_SECRET -for 10m
//
// It then serves calls to user "echobot" (-user) for the given time. A real
// app keeps its secret on its backend (see examples/jwtbackend).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/examples/internal/exampleclient"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func main() {
	host := flag.String("host", "", "Sinch environment URL; empty: an embedded fake server with a demo caller")
	key := flag.String("key", "", "application key (with -host)")
	secret := flag.String("secret", "", "application secret (with -host)")
	user := flag.String("user", "echobot", "the bot's user id")
	serve := flag.Duration("for", 10*time.Minute, "how long to serve calls (with -host)")
	flag.Parse()

	var err error
	if *host == "" {
		err = demo(*user)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), *serve)
		defer cancel()
		err = runBot(ctx, *host, *key, *secret, *user)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echobot:", err)
		os.Exit(1)
	}
}

// runBot serves calls to user until ctx is done.
func runBot(ctx context.Context, host, key, secret, user string) error {
	bot, err := exampleclient.Start(ctx, exampleclient.Config{Host: host, Key: key, Secret: secret, User: user})
	if err != nil {
		return err
	}
	defer bot.Terminate()
	serveEchoes(bot)
	fmt.Printf("%s answers calls\n", user)
	<-ctx.Done()
	return nil
}

// serveEchoes makes client answer every call with an echo of its audio.
func serveEchoes(client *sinch.SinchClient) {
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			e := newEcho()
			c.SetAudioSink(e)
			c.SetAudioSource(e)
			c.AddListener(&call.ListenerFuncs{
				OnCallEndedFunc: func(c *call.Call) {
					fmt.Printf("bot: call from %s ended: %v\n", c.RemoteUserID(), c.Details().EndCause)
				},
			})
			fmt.Printf("bot: answering %s\n", c.RemoteUserID())
			if err := c.Answer(); err != nil {
				fmt.Printf("bot: answer failed: %v\n", err)
			}
		},
	})
}

// demo runs the bot and a caller on an embedded server.
func demo(botUser string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := ocratest.NewServer()
	defer srv.Close()
	key, secret := srv.ApplicationKey(), srv.ApplicationSecret()
	bot, err := exampleclient.Start(ctx, exampleclient.Config{Host: srv.URL(), Key: key, Secret: secret, User: botUser, Loopback: true})
	if err != nil {
		return err
	}
	defer bot.Terminate()
	serveEchoes(bot)

	caller, err := exampleclient.Start(ctx, exampleclient.Config{Host: srv.URL(), Key: key, Secret: secret, User: "caller", Loopback: true})
	if err != nil {
		return err
	}
	defer caller.Terminate()
	c, err := caller.CallController().CallUser(botUser, nil)
	if err != nil {
		return err
	}
	hears := audio.NewToneDetector(time.Second)
	c.SetAudioSource(audio.Tone(440, 0.5))
	c.SetAudioSink(hears)
	ended := make(chan struct{})
	c.AddListener(&call.ListenerFuncs{OnCallEndedFunc: func(*call.Call) { close(ended) }})

	// The echo comes back once the call is established; skip its start.
	if err := hears.Wait(ctx, 500*time.Millisecond); err != nil {
		return fmt.Errorf("the caller heard nothing: %w", err)
	}
	hears.Reset()
	if err := hears.Wait(ctx, time.Second); err != nil {
		return fmt.Errorf("the caller heard nothing: %w", err)
	}
	freq, ratio := hears.Dominant(440, 880)
	fmt.Printf("caller: hears %.0f Hz back (%s above 880 Hz)\n", freq, audio.FormatDB(ratio))
	if err := c.Hangup(); err != nil {
		return err
	}
	select {
	case <-ended:
	case <-ctx.Done():
		return errors.New("the call did not end")
	}
	if freq != 440 || ratio < 10 {
		return fmt.Errorf("the echo is %.0f Hz (%s above 880 Hz), want 440 Hz at least 10 dB above it", freq, audio.FormatDB(ratio))
	}
	fmt.Println("echobot: OK")
	return nil
}

// maxEcho bounds the audio an echo holds: the far end hears itself at most
// this late.
const maxEcho = 50 * 160 // 1 s at 8 kHz

// echo is a sink and a source at once: what a call receives, it sends back.
type echo struct {
	mu  sync.Mutex
	buf []int16
}

func newEcho() *echo { return &echo{} }

// WriteFrame keeps the received frame, dropping the oldest audio past 1 s.
func (e *echo) WriteFrame(frame []int16) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.buf = append(e.buf, frame...)
	if over := len(e.buf) - maxEcho; over > 0 {
		e.buf = e.buf[over:]
	}
	return nil
}

// ReadFrame sends back the oldest received audio, silence when there is
// not enough.
func (e *echo) ReadFrame(frame []int16) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.buf) < len(frame) {
		clear(frame)
		return nil
	}
	n := copy(frame, e.buf)
	e.buf = e.buf[n:]
	return nil
}

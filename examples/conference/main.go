// Command conference puts three users in one conference room on an
// embedded fake Ocra server (package ocratest), all on 127.0.0.1:
//
//	go run ./examples/conference
//
// Ann, Ben and Cat each join the room "standup" with CallConference and
// send a tone of their own (500, 900 and 1400 Hz). The room mixes every
// participant's audio and sends each one the others' voices without its
// own; each prints which tones it hears. It exits non-zero unless everyone
// hears exactly the two others.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

const (
	room       = "standup"
	listenTime = time.Second
	amplitude  = 0.3
	// audiblePower is the Goertzel power above which a tone counts as
	// heard: 20 dB below that of a participant's tone.
	audiblePower = (amplitude * math.MaxInt16) * (amplitude * math.MaxInt16) / 4 / 100
)

// participant is one user of the demo.
type participant struct {
	name        string
	toneHz      float64
	client      *sinch.SinchClient
	call        *call.Call
	hears       *audio.ToneDetector
	established chan struct{}
	ended       chan struct{}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "conference failed:", err)
		os.Exit(1)
	}
	fmt.Println("conference: OK")
}

func run(ctx context.Context) error {
	srv := ocratest.NewServer()
	defer srv.Close()
	fmt.Println("fake Ocra server at", srv.URL())

	people := []*participant{{name: "ann", toneHz: 500}, {name: "ben", toneHz: 900}, {name: "cat", toneHz: 1400}}
	for _, p := range people {
		if err := p.join(ctx, srv); err != nil {
			return err
		}
		defer p.client.Terminate()
	}
	for _, p := range people {
		select {
		case <-p.established:
		case <-ctx.Done():
			return fmt.Errorf("%s did not get into the room in time", p.name)
		}
	}
	fmt.Printf("%d participants in %q\n", srv.ConferenceParticipants(room), room)

	for _, p := range people {
		p.hears.Reset()
	}
	for _, p := range people {
		if err := p.hears.Wait(ctx, listenTime); err != nil {
			return fmt.Errorf("%s heard no audio: %w", p.name, err)
		}
	}
	var errs []error
	for _, p := range people {
		errs = append(errs, p.report(people))
	}
	for _, p := range people {
		if err := p.call.Hangup(); err != nil {
			errs = append(errs, err)
		}
		select {
		case <-p.ended:
		case <-ctx.Done():
			return fmt.Errorf("%s never left the room", p.name)
		}
	}
	return errors.Join(errs...)
}

// join starts the participant's client and calls the room.
func (p *participant) join(ctx context.Context, srv *ocratest.Server) error {
	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(p.name).
		LoopbackOnly().
		Build()
	if err != nil {
		return err
	}
	p.client = client
	client.AddListener(&sinch.ClientListenerFuncs{
		// A real app asks its backend for the token (see examples/jwtbackend).
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(p.name)) },
	})
	if err := client.Start(); err != nil {
		return err
	}
	if err := client.WaitStarted(ctx); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	c, err := client.CallController().CallConference(room, nil)
	if err != nil {
		return fmt.Errorf("%s joins %s: %w", p.name, room, err)
	}
	p.call = c
	p.hears = audio.NewToneDetector(listenTime)
	p.established, p.ended = make(chan struct{}), make(chan struct{})
	c.SetAudioSource(audio.Tone(p.toneHz, amplitude))
	c.SetAudioSink(p.hears)
	c.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) {
			fmt.Printf("%s: joined %q, sending %.0f Hz\n", p.name, room, p.toneHz)
			close(p.established)
		},
		OnCallEndedFunc: func(c *call.Call) { fmt.Printf("%s: left (%v)\n", p.name, c.Details().EndCause); close(p.ended) },
	})
	return nil
}

// report prints whose tones p hears and fails unless it is exactly the
// others'.
func (p *participant) report(people []*participant) error {
	var heard, wrong []string
	for _, o := range people {
		audible := p.hears.Power(o.toneHz) > audiblePower
		if audible {
			heard = append(heard, fmt.Sprintf("%s (%.0f Hz)", o.name, o.toneHz))
		}
		if audible == (o == p) {
			wrong = append(wrong, o.name)
		}
	}
	fmt.Printf("%s hears %s\n", p.name, strings.Join(heard, " and "))
	if len(wrong) > 0 {
		return fmt.Errorf("%s: wrong about %s (hears exactly the others, never itself)", p.name, strings.Join(wrong, ", "))
	}
	return nil
}

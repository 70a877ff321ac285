// Command quickstart makes a real call between two users on an embedded fake
// Ocra server (package ocratest), all on 127.0.0.1:
//
//	go run ./examples/quickstart
//
// Alice calls Bob; Bob answers as soon as his phone rings. Alice sends a
// 440 Hz tone, Bob an 880 Hz one; each side prints the call's events as they
// happen and the frequency it hears from the other. Then Alice hangs up and
// both print the call details. It exits non-zero if anything went wrong.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

const (
	aliceTone = 440.0
	bobTone   = 880.0
	talkTime  = 2 * time.Second
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
	fmt.Println("quickstart: OK")
}

// party is one user of the demo: a client, what it hears, and its call's end.
type party struct {
	name   string
	client *sinch.SinchClient
	hears  *audio.ToneDetector
	ended  chan *call.Call
}

func run(ctx context.Context) error {
	srv := ocratest.NewServer()
	defer srv.Close()
	fmt.Println("fake Ocra server at", srv.URL())

	alice, err := start(ctx, srv, "alice")
	if err != nil {
		return err
	}
	defer alice.client.Terminate()
	bob, err := start(ctx, srv, "bob")
	if err != nil {
		return err
	}
	defer bob.client.Terminate()

	// Bob answers every call as soon as it rings, sending his tone.
	bob.client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			bob.say("incoming call from %s, headers %v: answering", c.RemoteUserID(), c.Headers())
			bob.attach(c, audio.Tone(bobTone, 0.5))
			if err := c.Answer(); err != nil {
				bob.say("answer failed: %v", err)
			}
		},
	})

	c, err := alice.client.CallController().CallUser("bob", map[string]string{"topic": "quickstart"})
	if err != nil {
		return fmt.Errorf("alice calls bob: %w", err)
	}
	established := alice.attach(c, audio.Tone(aliceTone, 0.5))

	select {
	case <-established:
	case c := <-alice.ended:
		return fmt.Errorf("the call ended before it was established: %v", c.Details().EndCause)
	case <-ctx.Done():
		return errors.New("the call was not established in time")
	}
	time.Sleep(talkTime) // let both tones play
	heard := []error{alice.check(bobTone), bob.check(aliceTone)}

	alice.say("hanging up")
	if err := c.Hangup(); err != nil {
		return err
	}
	for _, p := range []*party{alice, bob} {
		select {
		case c := <-p.ended:
			d := c.Details()
			p.say("call details: end cause %v, set up in %v, lasted %v",
				d.EndCause, d.EstablishedTime.Sub(d.StartedTime).Round(time.Millisecond), d.Duration.Round(time.Millisecond))
			if d.EndCause != call.HungUp {
				heard = append(heard, fmt.Errorf("%s: end cause %v, want HungUp", p.name, d.EndCause))
			}
		case <-ctx.Done():
			return fmt.Errorf("%s never saw the call end", p.name)
		}
	}
	return errors.Join(heard...)
}

// start builds, starts and registers a client of user.
func start(ctx context.Context, srv *ocratest.Server, user string) (*party, error) {
	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).
		UserID(user).
		LoopbackOnly().
		Build()
	if err != nil {
		return nil, err
	}
	p := &party{name: user, client: client, hears: audio.NewToneDetector(time.Second), ended: make(chan *call.Call, 1)}
	client.AddListener(&sinch.ClientListenerFuncs{
		// A real app asks its backend for the token (see examples/jwtbackend).
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(srv.Token(user)) },
		OnClientStartedFunc:       func(*sinch.SinchClient) { p.say("client started") },
	})
	if err := client.Start(); err != nil {
		return nil, err
	}
	if err := client.WaitStarted(ctx); err != nil {
		client.Terminate()
		return nil, fmt.Errorf("%s: %w", user, err)
	}
	return p, nil
}

// attach gives c this party's tone and ears, and prints its events. The
// returned channel is closed when the call is established.
func (p *party) attach(c *call.Call, tone audio.Source) <-chan struct{} {
	c.SetAudioSource(tone)
	c.SetAudioSink(p.hears)
	established := make(chan struct{})
	c.AddListener(&call.ListenerFuncs{
		OnCallProgressingFunc: func(*call.Call) { p.say("progressing") },
		OnCallRingingFunc:     func(*call.Call) { p.say("ringing") },
		OnCallAnsweredFunc:    func(*call.Call) { p.say("answered") },
		OnCallEstablishedFunc: func(*call.Call) { p.say("established"); close(established) },
		OnCallEndedFunc:       func(c *call.Call) { p.say("ended: %v", c.Details().EndCause); p.ended <- c },
	})
	return established
}

// check says which tone this party hears and fails unless it is want.
func (p *party) check(want float64) error {
	freq, ratio := p.hears.Dominant(aliceTone, bobTone)
	p.say("hears %.0f Hz (%s above the other tone)", freq, audio.FormatDB(ratio))
	if freq != want || ratio < 10 {
		return fmt.Errorf("%s heard %.0f Hz (%s above the other tone), want %.0f Hz at least 10 dB above it", p.name, freq, audio.FormatDB(ratio), want)
	}
	return nil
}

var begin = time.Now()

func (p *party) say(format string, args ...any) {
	fmt.Printf("%7.3fs %-5s %s\n", time.Since(begin).Seconds(), p.name+":", fmt.Sprintf(format, args...))
}

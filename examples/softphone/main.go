// Command softphone is a command-line phone: raw PCM (16-bit little-endian,
// -rate Hz, -channels channels) read from stdin goes to the call, and the far
// end's audio comes out on stdout in the same format. With a microphone and a
// loudspeaker:
//
//	arecord -f S16_LE -r 16000 | go run ./examples/softphone -call bob | aplay -f S16_LE -r 16000
//
// -answer waits for a call instead of making one. The call ends when stdin
// ends (after the audio read has played) or when the far end hangs up.
//
// Without -host it runs on an embedded fake Ocra server (package ocratest)
// on 127.0.0.1 with a demo user "bob" who answers and echoes back what he
// hears, so that
//
//	go run ./examples/softphone -call bob -expect 1000 < tone.wav > echo.raw
//
// plays the file to bob and writes his echo; -expect HZ checks that the
// echo's dominant frequency is HZ and exits non-zero otherwise. With -host it
// registers on a real environment (-key and -secret; a real app keeps its
// secret on its backend, see examples/jwtbackend).
//
// Progress goes to stderr. Audio is Opus when the far end has it (wideband:
// a 16 kHz stream stays 16 kHz end to end), else PCMU.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/examples/internal/exampleclient"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

type options struct {
	host, key, secret, user string
	to                      string
	answer                  bool
	format                  audio.Format
	expect                  float64
}

func main() {
	var o options
	flag.StringVar(&o.host, "host", "", "Sinch environment URL; empty: an embedded fake server with an echoing user bob")
	flag.StringVar(&o.key, "key", "", "application key (with -host)")
	flag.StringVar(&o.secret, "secret", "", "application secret (with -host)")
	flag.StringVar(&o.user, "user", "softphone", "this phone's user id")
	flag.StringVar(&o.to, "call", "", "the user to call")
	flag.BoolVar(&o.answer, "answer", false, "wait for a call and answer it")
	flag.IntVar(&o.format.SampleRate, "rate", 16000, "sample rate of stdin and stdout, Hz")
	flag.IntVar(&o.format.Channels, "channels", 1, "channels of stdin and stdout (1 or 2, interleaved)")
	flag.Float64Var(&o.expect, "expect", 0, "check that the audio written to stdout is a tone of this frequency (Hz)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "softphone:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, in io.Reader, out io.Writer) error {
	if err := o.format.Valid(); err != nil {
		return err
	}
	if (o.to == "") == !o.answer {
		return errors.New("give either -call USER or -answer")
	}
	embedded := o.host == ""
	// Starting is bounded: a host that never answers fails the command.
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if embedded {
		srv := ocratest.NewServer()
		defer srv.Close()
		o.host, o.key, o.secret = srv.URL(), srv.ApplicationKey(), srv.ApplicationSecret()
		bob, err := exampleclient.Start(startCtx, exampleclient.Config{Host: o.host, Key: o.key, Secret: o.secret, User: "bob", Loopback: true})
		if err != nil {
			return err
		}
		defer bob.Terminate()
		echo(bob)
		if o.answer {
			defer callFrom(ctx, bob, o.user)()
		}
	}
	client, err := exampleclient.Start(startCtx, exampleclient.Config{Host: o.host, Key: o.key, Secret: o.secret, User: o.user, Loopback: embedded})
	if err != nil {
		return err
	}
	defer client.Terminate()

	src, err := audio.NewPCMSourceAt(in, o.format)
	if err != nil {
		return err
	}
	played := &untilEOF{src: src, done: make(chan struct{})}
	w := &pcmWriter{w: bufio.NewWriter(out)}
	var measure *audio.ToneDetector
	var sink audio.Sink = w
	if o.expect > 0 {
		if measure, err = audio.NewToneDetectorAt(audio.MaxToneWindow/2, o.format.SampleRate); err != nil {
			return err
		}
		sink = teeSink{w, measure, o.format.Channels}
	}
	if sink, err = audio.SinkAt(o.format, sink); err != nil {
		return err
	}
	source, err := audio.SourceAt(o.format, played)
	if err != nil {
		return err
	}

	c, err := getCall(ctx, client, o)
	if err != nil {
		return err
	}
	c.SetAudioSource(source)
	c.SetAudioSink(sink)
	ended := make(chan struct{})
	c.AddListener(&call.ListenerFuncs{
		OnCallEstablishedFunc: func(*call.Call) { fmt.Fprintln(os.Stderr, "softphone: established") },
		OnCallEndedFunc:       func(*call.Call) { close(ended) },
	})
	if c.State() == call.Ended {
		close(ended)
	}
	select {
	case <-played.done:
		fmt.Fprintln(os.Stderr, "softphone: stdin ended, hanging up")
		time.Sleep(500 * time.Millisecond) // the last frames, and their echo, are on their way
		_ = c.Hangup()
		<-ended
	case <-ended:
		fmt.Fprintln(os.Stderr, "softphone: the call ended:", c.Details().EndCause)
	case <-ctx.Done():
		_ = c.Hangup()
		<-ended
	}
	if err := w.flush(); err != nil {
		return err
	}
	d := c.Details()
	fmt.Fprintf(os.Stderr, "softphone: %v, lasted %v; stats %+v\n", d.EndCause, d.Duration.Round(time.Millisecond), c.Stats().Audio)
	if measure != nil {
		freq, ratio := measure.Dominant(o.expect/2, o.expect, o.expect*1.5)
		fmt.Fprintf(os.Stderr, "softphone: heard %.0f Hz, %s above the others\n", freq, audio.FormatDB(ratio))
		if freq != o.expect || ratio < 10 {
			return fmt.Errorf("the far end's audio is not a %.0f Hz tone", o.expect)
		}
	}
	return nil
}

// getCall makes the call, or waits for one and answers it.
func getCall(ctx context.Context, client *sinch.SinchClient, o options) (*call.Call, error) {
	if o.to != "" {
		fmt.Fprintln(os.Stderr, "softphone: calling", o.to)
		return client.CallController().CallUser(o.to, nil)
	}
	incoming := make(chan *call.Call, 1)
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			select {
			case incoming <- c:
			default: // busy: only the first call is answered
				_ = c.Hangup()
			}
		},
	})
	fmt.Fprintln(os.Stderr, "softphone: waiting for a call to", o.user)
	select {
	case c := <-incoming:
		fmt.Fprintln(os.Stderr, "softphone: answering", c.RemoteUserID())
		return c, c.Answer()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// echoFormat is the demo user's audio: 48 kHz mono, Opus's full band.
var echoFormat = audio.Format{SampleRate: 48000, Channels: 1}

// echo makes the demo user answer every call and send back what it hears.
func echo(bob *sinch.SinchClient) {
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			e := &echoer{frames: make(chan []int16, 50)}
			src, _ := audio.SourceAt(echoFormat, e) // echoFormat is valid
			sink, _ := audio.SinkAt(echoFormat, e)
			c.SetAudioSource(src)
			c.SetAudioSink(sink)
			_ = c.Answer()
		},
	})
}

// callFrom makes the demo user call user and play a 1 kHz tone; the
// returned function hangs up.
func callFrom(ctx context.Context, bob *sinch.SinchClient, user string) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The softphone registers after this starts: retry until it answers.
		for {
			c, err := bob.CallController().CallUser(user, nil)
			if err == nil {
				tone, _ := audio.ToneAt(1000, 0.5, echoFormat.SampleRate)
				c.SetAudioSource(tone)
				ended := make(chan struct{})
				c.AddListener(&call.ListenerFuncs{OnCallEndedFunc: func(*call.Call) { close(ended) }})
				select {
				case <-ended:
					if c.Details().EndCause != call.Failure && c.Details().EndCause != call.NoAnswer && c.Details().Duration > 0 {
						return
					}
				case <-stop:
					_ = c.Hangup()
					return
				}
			}
			select {
			case <-time.After(time.Second):
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(stop); wg.Wait() }
}

// echoer is a sink whose frames it plays back as a source.
type echoer struct{ frames chan []int16 }

func (e *echoer) WriteFrame(frame []int16) error {
	select {
	case e.frames <- append([]int16(nil), frame...):
	default: // the echo is behind: drop
	}
	return nil
}

func (e *echoer) ReadFrame(frame []int16) error {
	select {
	case f := <-e.frames:
		copy(frame, f)
	default:
		clear(frame)
	}
	return nil
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

// pcmWriter writes frames as 16-bit little-endian PCM.
type pcmWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
}

func (p *pcmWriter) WriteFrame(frame []int16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.buf = p.buf[:0]
	for _, s := range frame {
		p.buf = binary.LittleEndian.AppendUint16(p.buf, uint16(s))
	}
	_, p.err = p.w.Write(p.buf)
	return p.err
}

func (p *pcmWriter) flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	return p.w.Flush()
}

// teeSink writes to w and hands the first channel to a tone detector.
type teeSink struct {
	w        audio.Sink
	d        *audio.ToneDetector
	channels int
}

func (t teeSink) WriteFrame(frame []int16) error {
	if t.channels == 1 {
		_ = t.d.WriteFrame(frame)
	} else {
		mono := make([]int16, 0, len(frame)/t.channels)
		for i := 0; i < len(frame); i += t.channels {
			mono = append(mono, frame[i])
		}
		_ = t.d.WriteFrame(mono)
	}
	return t.w.WriteFrame(frame)
}

package legacy_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/legacy"
)

// Sinch's JS SDK 1.4.12 (in Chromium) and this SDK call each other through
// one ocratest server: the JS client is an instance of it through the
// facade of the 1.x API, the Go client through Ocra, and the call crosses
// MXP and PubNub between the two (issue 16, docs/sinch-rtc-1x.md).

const (
	jsTone = 660.0 // what the page sends
	goTone = 440.0 // what the Go client sends
)

// world is an ocratest server with its 1.x facade.
type world struct {
	t   *testing.T
	srv *ocratest.Server
	api string // the facade's base URL for the page
}

func newWorld(t *testing.T) *world {
	t.Helper()
	legacy.BrowserFor(t)
	opts := []ocratest.Option{legacy.OcratestOption(nil).(ocratest.Option)}
	if os.Getenv("SINCH_SDK1X_DEBUG") != "" {
		opts = append(opts, ocratest.WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	srv := ocratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return &world{t: t, srv: srv, api: legacy.OcratestFacade(srv).URL() + "/v1/"}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// jsClient starts the JS SDK in a new tab as user.
func (w *world) jsClient(user string) *legacy.Tab {
	w.t.Helper()
	tb := legacy.OpenTab(w.t, "js-"+user)
	secret, err := ocra.DecodeSecret(w.srv.ApplicationSecret())
	if err != nil {
		w.t.Fatal(err)
	}
	tb.StartAt(w.api, w.srv.ApplicationKey(), secret, user, jsTone)
	if os.Getenv("SINCH_SDK1X_DEBUG") != "" {
		w.t.Cleanup(func() { w.t.Logf("%s events: %s", user, tb.Events()) })
	}
	return tb
}

// goClient is a started client of this SDK.
type goClient struct {
	client   *sinch.SinchClient
	hears    *audio.ToneDetector
	incoming chan *call.Call
	ended    chan *call.Call
	est      chan *call.Call
	prog     chan *call.Call
}

func (w *world) goClient(user string) *goClient {
	w.t.Helper()
	b := sinch.GetSinchClientBuilder().ApplicationKey(w.srv.ApplicationKey()).EnvironmentHost(w.srv.URL()).
		UserID(user).LoopbackOnly()
	if os.Getenv("SINCH_SDK1X_DEBUG") != "" {
		b = b.Logger(slog.New(slog.NewTextHandler(testWriter{w.t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	client, err := b.Build()
	if err != nil {
		w.t.Fatal(err)
	}
	g := &goClient{client: client, hears: audio.NewToneDetector(time.Second),
		incoming: make(chan *call.Call, 4), ended: make(chan *call.Call, 4), est: make(chan *call.Call, 4), prog: make(chan *call.Call, 4)}
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) { reg.Register(w.srv.Token(user)) },
	})
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { g.attach(c); g.incoming <- c },
	})
	if err := client.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(client.Terminate)
	ctx, cancel := context.WithTimeout(context.Background(), legacy.WaitTimeout)
	defer cancel()
	if err := client.WaitStarted(ctx); err != nil {
		w.t.Fatalf("Go client %s: %v", user, err)
	}
	return g
}

func (g *goClient) attach(c *call.Call) {
	c.SetAudioSource(audio.Tone(goTone, 0.5))
	c.SetAudioSink(g.hears)
	c.AddListener(&call.ListenerFuncs{
		OnCallProgressingFunc: func(c *call.Call) { g.prog <- c },
		OnCallEstablishedFunc: func(c *call.Call) { g.est <- c },
		OnCallEndedFunc:       func(c *call.Call) { g.ended <- c },
	})
}

// wait waits for what on ch; on failure the page's events (with the MXP
// messages the JS SDK sent and got) are the evidence.
func wait[T any](t *testing.T, ch <-chan T, what string, js *legacy.Tab) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(legacy.WaitTimeout):
		t.Fatalf("Go client: no %s within %v; the JS page's events: %s", what, legacy.WaitTimeout, js.Events())
		var zero T
		return zero
	}
}

// hearsJS waits until the Go client hears the page's tone.
func (g *goClient) hearsJS(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(legacy.WaitTimeout)
	for {
		freq, ratio := g.hears.Dominant(jsTone, goTone)
		if freq == jsTone && ratio >= 10 && g.hears.Received() >= time.Second {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Go client hears %.0f Hz (ratio %.1f, %v received), want the page's %.0f Hz", freq, ratio, g.hears.Received(), jsTone)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func wantCause(t *testing.T, tb *legacy.Tab, id, want string) {
	t.Helper()
	if st := tb.Status(id); st.State != "ENDED" || st.Cause != want {
		t.Errorf("JS call ended %+v, want %s; events %s", st, want, tb.Events())
	}
}

func wantGoCause(t *testing.T, c *call.Call, want call.EndCause) {
	t.Helper()
	if got := c.Details().EndCause; got != want {
		t.Errorf("Go call ended %v, want %v", got, want)
	}
}

// TestSDK1xCallsGo: the JS client calls a Go client, which answers; each
// hears the other's tone; the Go client hangs up: both HUNG_UP.
func TestSDK1xCallsGo(t *testing.T) {
	w := newWorld(t)
	js := w.jsClient("x-js-a")
	g := w.goClient("x-go-a")

	id := js.EvalString(`peer.call("x-go-a", {topic: "interop"})`)
	in := wait(t, g.incoming, "incoming call", js)
	if in.ID() != id || in.RemoteUserID() != "x-js-a" || in.Headers()["topic"] != "interop" {
		t.Errorf("Go callee got call %s from %s with %v; want %s from x-js-a with topic", in.ID(), in.RemoteUserID(), in.Headers(), id)
	}
	js.WaitEvent("progressing", id)
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	wait(t, g.est, "established", js)
	js.WaitEvent("established", id)
	placed, est := js.EvalFloat(fmt.Sprintf(`peer.at("placed", %s)`, legacy.JS(id))), js.EvalFloat(fmt.Sprintf(`peer.at("established", %s)`, legacy.JS(id)))
	t.Logf("1.x JS caller: placed to established %.0f ms (Go callee answering at once)", est-placed)
	js.WaitTone(id, goTone)
	g.hearsJS(t)

	if err := in.Hangup(); err != nil {
		t.Fatal(err)
	}
	wantGoCause(t, wait(t, g.ended, "end", js), call.HungUp)
	js.WaitEvent("ended", id)
	wantCause(t, js, id, "HUNG_UP")
}

// goCalls places a call from the Go client to user, with its tone and ears.
func (g *goClient) goCalls(t *testing.T, user string) *call.Call {
	t.Helper()
	c, err := g.client.CallController().CallUser(user, map[string]string{"topic": "interop"})
	if err != nil {
		t.Fatal(err)
	}
	g.attach(c)
	return c
}

// TestGoCallsSDK1x: a Go client calls the JS client, which answers; each
// hears the other's tone; the JS client hangs up: both HUNG_UP.
func TestGoCallsSDK1x(t *testing.T) {
	w := newWorld(t)
	js := w.jsClient("x-js-b")
	g := w.goClient("x-go-b")

	start := time.Now()
	c := g.goCalls(t, "x-js-b")
	id := c.ID()
	js.WaitEvent("incoming", id)
	if from := js.EvalString(fmt.Sprintf(`peer.events.find(e => e.kind === "incoming" && e.id === %s).from`, legacy.JS(id))); from != "x-go-b" {
		t.Errorf("JS callee sees the call from %q, want x-go-b", from)
	}
	wait(t, g.prog, "progressing", js)
	ringing := time.Since(start)
	answered := time.Now()
	js.Do(fmt.Sprintf(`peer.answer(%s)`, legacy.JS(id)))
	wait(t, g.est, "established", js)
	t.Logf("Go caller: placed to progressing %v, to established %v; the JS answer() to established %v",
		ringing.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), time.Since(answered).Round(time.Millisecond))
	js.WaitEvent("established", id)
	js.WaitTone(id, goTone)
	g.hearsJS(t)

	js.Do(fmt.Sprintf(`peer.hangup(%s)`, legacy.JS(id)))
	js.WaitEvent("ended", id)
	wantCause(t, js, id, "HUNG_UP")
	wantGoCause(t, wait(t, g.ended, "end", js), call.HungUp)
}

// TestSDK1xAndGoDecline: a ringing callee of either kind declines: both
// sides end DENIED.
func TestSDK1xAndGoDecline(t *testing.T) {
	w := newWorld(t)
	js := w.jsClient("x-js-c")
	g := w.goClient("x-go-c")

	// The JS callee declines the Go caller.
	c := g.goCalls(t, "x-js-c")
	js.WaitEvent("incoming", c.ID())
	wait(t, g.prog, "progressing", js)
	js.Do(fmt.Sprintf(`peer.hangup(%s)`, legacy.JS(c.ID())))
	wantGoCause(t, wait(t, g.ended, "end", js), call.Denied)
	js.WaitEvent("ended", c.ID())
	wantCause(t, js, c.ID(), "DENIED")

	// The Go callee declines the JS caller.
	id := js.EvalString(`peer.call("x-go-c")`)
	in := wait(t, g.incoming, "incoming call", js)
	js.WaitEvent("progressing", id)
	if err := in.Hangup(); err != nil {
		t.Fatal(err)
	}
	wantGoCause(t, wait(t, g.ended, "end", js), call.Denied)
	js.WaitEvent("ended", id)
	wantCause(t, js, id, "DENIED")
}

// TestSDK1xAndGoCancel: a caller of either kind hangs up before the callee
// answered (after it rang): both sides end CANCELED.
func TestSDK1xAndGoCancel(t *testing.T) {
	w := newWorld(t)
	js := w.jsClient("x-js-d")
	g := w.goClient("x-go-d")

	// The Go caller cancels.
	c := g.goCalls(t, "x-js-d")
	js.WaitEvent("incoming", c.ID())
	wait(t, g.prog, "progressing", js)
	if err := c.Hangup(); err != nil {
		t.Fatal(err)
	}
	wantGoCause(t, wait(t, g.ended, "end", js), call.Canceled)
	js.WaitEvent("ended", c.ID())
	wantCause(t, js, c.ID(), "CANCELED")

	// The JS caller cancels.
	id := js.EvalString(`peer.call("x-go-d")`)
	wait(t, g.incoming, "incoming call", js)
	js.WaitEvent("progressing", id)
	js.Do(fmt.Sprintf(`peer.hangup(%s)`, legacy.JS(id)))
	js.WaitEvent("ended", id)
	wantCause(t, js, id, "CANCELED")
	wantGoCause(t, wait(t, g.ended, "end", js), call.Canceled)
}

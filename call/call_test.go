package call_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestCallAnsweredAndHungUpByCaller(t *testing.T) {
	forEachTransport(t, testCallAnsweredAndHungUpByCaller)
}

func testCallAnsweredAndHungUpByCaller(t *testing.T, opts ...ocratest.Option) {
	srv := ocratest.NewServer(opts...)
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	alice.SetDisplayName("Alice A.")
	bobHears := audio.NewToneDetector(time.Second)
	incoming := onIncoming(bob, func(c *call.Call) {
		c.SetAudioSink(bobHears)
		answer(c)
	})

	headers := map[string]string{"topic": "lunch", "emoji": "🍕"}
	out, outRec := dial(t, alice, "bob", headers)
	aliceHears := audio.NewToneDetector(time.Second)
	out.SetAudioSink(aliceHears)
	in := next(t, incoming)
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)
	require.NoError(t, aliceHears.Wait(ctx(t), 100*time.Millisecond))
	require.NoError(t, bobHears.Wait(ctx(t), 100*time.Millisecond))

	assert.Equal(t, call.Outbound, out.Direction())
	assert.Equal(t, call.Inbound, in.call.Direction())
	assert.Equal(t, out.ID(), in.call.ID())
	assert.Equal(t, "bob", out.RemoteUserID())
	assert.Equal(t, "alice", in.call.RemoteUserID())
	assert.Equal(t, "Alice A.", in.call.RemoteUserDisplayName())
	assert.Equal(t, headers, in.call.Headers())
	assert.Equal(t, call.Established, out.State())
	assert.Same(t, in.call, bob.CallController().GetCall(out.ID()))

	require.NoError(t, out.Hangup())
	require.NoError(t, out.Hangup(), "a second Hangup is a no-op")
	assert.Equal(t, call.Ended, out.State())
	outRec.waitEnded(t)
	in.rec.waitEnded(t)

	assert.Equal(t, []string{"progressing", "ringing", "answered", "established", "ended"}, outRec.Events())
	assert.Equal(t, []string{"incoming", "answered", "established", "ended"}, in.rec.Events())
	for _, c := range []*call.Call{out, in.call} {
		d := c.Details()
		assert.Equal(t, call.HungUp, d.EndCause, "%v", c)
		assert.NoError(t, d.Error)
		assert.True(t, d.HadAudio)
		assert.False(t, d.RequestedVideo)
		assertOrdered(t, d.StartedTime, d.RungTime, d.AnsweredTime, d.EstablishedTime, d.EndedTime)
		assert.Equal(t, d.EndedTime.Sub(d.EstablishedTime), d.Duration)
	}
	d := out.Details()
	assertOrdered(t, d.StartedTime, d.ProgressedTime, d.RungTime)
	assert.Nil(t, alice.CallController().GetCall(out.ID()), "ended calls are forgotten")
	assert.Nil(t, bob.CallController().GetCall(out.ID()))
	assert.Equal(t, []call.RemoteTrack{{ID: "audio", StreamID: out.ID(), Kind: "audio", Codec: "audio/opus"}}, outRec.Tracks())
	require.Eventually(t, func() bool { return len(srv.Reports()) == 2 }, waitTimeout, 10*time.Millisecond)
	for _, rep := range srv.Reports() {
		assert.Equal(t, out.ID(), rep.CallID)
		assert.Equal(t, "HungUp", rep.Result)
	}
}

func assertOrdered(t *testing.T, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		require.False(t, tm.IsZero(), "time %d is unset", i)
		if i > 0 {
			require.False(t, tm.Before(times[i-1]), "time %d (%v) is before time %d (%v)", i, tm, i-1, times[i-1])
		}
	}
}

func TestTonesBothWays(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	bobHears := audio.NewToneDetector(500 * time.Millisecond)
	incoming := onIncoming(bob, func(c *call.Call) {
		c.SetAudioSource(audio.Tone(880, 0.5))
		c.SetAudioSink(bobHears)
		answer(c)
	})
	aliceHears := audio.NewToneDetector(500 * time.Millisecond)
	out, outRec := dial(t, alice, "bob", nil)
	out.SetAudioSource(audio.Tone(440, 0.5))
	out.SetAudioSink(aliceHears)
	in := next(t, incoming)
	outRec.waitEstablished(t)
	in.rec.waitEstablished(t)

	require.NoError(t, bobHears.Wait(ctx(t), time.Second))
	require.NoError(t, aliceHears.Wait(ctx(t), time.Second))
	f, ratio := bobHears.Dominant(440, 880)
	assert.Equal(t, 440.0, f, "bob hears alice's tone")
	assert.Greater(t, ratio, 100.0)
	f, ratio = aliceHears.Dominant(440, 880)
	assert.Equal(t, 880.0, f, "alice hears bob's tone")
	assert.Greater(t, ratio, 100.0)

	require.NoError(t, out.Mute())
	bobHears.Reset()
	// What was in flight when muting may still arrive: skip it.
	require.NoError(t, bobHears.Wait(ctx(t), 200*time.Millisecond))
	bobHears.Reset()
	require.NoError(t, bobHears.Wait(ctx(t), 500*time.Millisecond))
	assert.Less(t, bobHears.RMS(), 10.0, "muted: bob hears silence")
	require.NoError(t, out.Unmute())
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
}

// Numbers and SIP identities the server does not know end the call with
// Failure and the server's 40400, not a hang. (The far ends themselves are
// tested in package ocratest.)
func TestUnknownPhoneAndSIPDestinationsFailClearly(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	ctl := alice.CallController()
	place := map[string]func() (*call.Call, error){
		"phone": func() (*call.Call, error) { return ctl.CallPhoneNumber("+46701234567", nil) },
		"sip":   func() (*call.Call, error) { return ctl.CallSip("bob@sip.example.com", nil) },
	}
	for name, f := range place {
		t.Run(name, func(t *testing.T) {
			c, err := f()
			require.NoError(t, err)
			rec := newRecorder()
			c.AddListener(rec)
			rec.waitEnded(t)
			var se *sinch.SinchError
			require.ErrorAs(t, c.Details().Error, &se)
			assert.Equal(t, 40400, se.Code)
			assert.Equal(t, call.Failure, c.Details().EndCause)
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	noCLI := startClient(t, srv, "nocli", func(b *sinch.SinchClientBuilder) { b.CallerIdentifier("") })
	ctl := alice.CallController()
	big := map[string]string{"k": strings.Repeat("x", 1024)}
	tests := map[string]func() (*call.Call, error){
		"empty user":           func() (*call.Call, error) { return ctl.CallUser("", nil) },
		"headers too big":      func() (*call.Call, error) { return ctl.CallUser("bob", big) },
		"headers not UTF-8":    func() (*call.Call, error) { return ctl.CallUserVideo("bob", map[string]string{"k": "\xff"}) },
		"number without +":     func() (*call.Call, error) { return ctl.CallPhoneNumber("46701234567", nil) },
		"number with letters":  func() (*call.Call, error) { return ctl.CallPhoneNumber("+4670abc", nil) },
		"number too long":      func() (*call.Call, error) { return ctl.CallPhoneNumber("+1234567890123456", nil) },
		"no caller identifier": func() (*call.Call, error) { return noCLI.CallController().CallPhoneNumber("+46701234567", nil) },
		"SIP without host":     func() (*call.Call, error) { return ctl.CallSip("bob@", nil) },
		"SIP without @":        func() (*call.Call, error) { return ctl.CallSip("bob", nil) },
		"empty conference":     func() (*call.Call, error) { return ctl.CallConference("", nil) },
		"long conference":      func() (*call.Call, error) { return ctl.CallConference(strings.Repeat("c", 65), nil) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := f()
			require.ErrorIs(t, err, sinch.ErrInvalidArgument)
			require.Nil(t, c)
		})
	}
	c, err := ctl.CallConference(strings.Repeat("é", 64), map[string]string{"k": strings.Repeat("x", 1023)})
	require.NoError(t, err, "64 characters and 1024 bytes are allowed")
	require.NoError(t, c.Hangup())
}

func TestNotStartedAndTerminated(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	idle, err := sinch.GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).
		EnvironmentHost(srv.URL()).UserID("idle").LoopbackOnly().Build()
	require.NoError(t, err)
	defer idle.Terminate()
	_, err = idle.CallController().CallUser("bob", nil)
	require.ErrorIs(t, err, sinch.ErrNotStarted)

	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, answer)
	out, outRec := dial(t, alice, "bob", nil)
	in := next(t, incoming)
	outRec.waitEstablished(t)

	alice.Terminate()
	outRec.waitEnded(t)
	in.rec.waitEnded(t)
	assert.Equal(t, call.HungUp, out.Details().EndCause)
	assert.Equal(t, call.HungUp, in.call.Details().EndCause)
	_, err = alice.CallController().CallUser("bob", nil)
	require.ErrorIs(t, err, sinch.ErrClientTerminated)
	for _, err := range []error{out.Hangup(), out.Mute(), out.Answer(), out.PauseVideo()} {
		require.ErrorIs(t, err, sinch.ErrClientTerminated)
	}
}

func TestVideoCall(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	incoming := onIncoming(bob, answer)

	audioOnly, rec := dial(t, alice, "bob", nil)
	require.ErrorIs(t, audioOnly.PauseVideo(), sinch.ErrInvalidOperation)
	in := next(t, incoming)
	rec.waitEstablished(t)
	require.NoError(t, audioOnly.Hangup())
	in.rec.waitEnded(t)

	out, err := alice.CallController().CallUserVideo("bob", nil)
	require.NoError(t, err)
	rec = newRecorder()
	out.AddListener(rec)
	in = next(t, incoming)
	rec.waitEstablished(t)
	assert.True(t, out.Details().RequestedVideo)
	assert.True(t, in.call.Details().RequestedVideo)
	require.NoError(t, out.PauseVideo())
	require.NoError(t, out.ResumeVideo())
	require.NoError(t, out.Hangup())
	in.rec.waitEnded(t)
	require.ErrorIs(t, out.PauseVideo(), sinch.ErrInvalidOperation, "the call has ended")
}

func TestListenerRemoval(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := startClient(t, srv, "alice")

	out, rec := dial(t, alice, "carol", nil)
	removed := &call.ListenerFuncs{OnCallEndedFunc: func(*call.Call) { t.Error("a removed listener was called") }}
	out.AddListener(removed)
	out.AddListener(nil)
	out.AddListener((*call.ListenerFuncs)(nil))
	out.RemoveListener(removed)
	rec.waitEnded(t)
	assert.Equal(t, []string{"ended"}, rec.Events())
}

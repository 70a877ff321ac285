package ocratest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// Tones of the tests, apart enough for Goertzel and not harmonics.
const (
	toneA = 500.0
	toneB = 900.0
	toneC = 1400.0
)

// assertHears fails unless tc hears want well above every other tone.
func assertHears(t *testing.T, tc *tracked, want float64, others ...float64) {
	t.Helper()
	freq, ratio := tc.hears.Dominant(append([]float64{want}, others...)...)
	assert.Equal(t, want, freq, "dominant tone")
	assert.Greater(t, ratio, 10.0, "power of %v Hz over the other tones", want)
}

func TestPhoneNumberBehaviours(t *testing.T) {
	srv := newServer(t,
		ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{Answer: ocratest.PlayTone, ToneHz: toneB}),
		ocratest.WithPhoneNumber("+15550002", ocratest.Behaviour{Answer: ocratest.Echo}),
		ocratest.WithPhoneNumber("+15550003", ocratest.Behaviour{Answer: ocratest.Busy}),
		ocratest.WithPhoneNumber("+15550004", ocratest.Behaviour{Answer: ocratest.NoAnswer}),
		ocratest.WithPhoneNumber("+15550005", ocratest.Behaviour{Answer: ocratest.Fail}),
		ocratest.WithPhoneNumber("+15550006", ocratest.Behaviour{ToneHz: toneC, AnswerAfter: 500 * time.Millisecond}),
	)
	alice := startClient(t, srv, "alice", func(b *sinch.SinchClientBuilder) {
		b.NoAnswerTimeouts(2*time.Second, time.Minute)
	})
	dial := func(t *testing.T, number string) *tracked {
		t.Helper()
		c, err := alice.CallController().CallPhoneNumber(number, nil)
		require.NoError(t, err)
		assert.Equal(t, number, c.RemoteUserID())
		return track(c, toneA)
	}

	t.Run("tone", func(t *testing.T) {
		c := dial(t, "+15550001")
		c.waitEstablished(t)
		c.listen(t, 500*time.Millisecond)
		assertHears(t, c, toneB, toneA)
		require.NoError(t, c.Hangup())
		c.waitEnded(t)
		assert.Equal(t, call.HungUp, c.Details().EndCause)
		assert.Equal(t, []string{"progressing", "ringing", "answered", "established", "ended"}, c.Events())
	})
	t.Run("echo", func(t *testing.T) {
		c := dial(t, "+15550002")
		c.waitEstablished(t)
		c.listen(t, 500*time.Millisecond)
		assertHears(t, c, toneA, toneB)
		require.NoError(t, c.Hangup())
		c.waitEnded(t)
	})
	t.Run("answer after a delay", func(t *testing.T) {
		c := dial(t, "+15550006")
		c.waitEstablished(t)
		d := c.Details()
		assert.False(t, d.RungTime.IsZero(), "the phone rang")
		assert.GreaterOrEqual(t, d.AnsweredTime.Sub(d.RungTime), 400*time.Millisecond, "answered after ringing")
		c.listen(t, 500*time.Millisecond)
		assertHears(t, c, toneC, toneA)
		require.NoError(t, c.Hangup())
		c.waitEnded(t)
	})
	for _, tt := range []struct {
		name, number string
		cause        call.EndCause
		events       []string
	}{
		{"busy", "+15550003", call.Denied, []string{"progressing", "ended"}},
		{"no answer", "+15550004", call.NoAnswer, []string{"progressing", "ringing", "ended"}},
		{"fail", "+15550005", call.Failure, []string{"progressing", "ended"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, tt.number)
			c.waitEnded(t)
			assert.Equal(t, tt.cause, c.Details().EndCause)
			assert.Equal(t, tt.events, c.Events())
		})
	}
	t.Run("unknown number", func(t *testing.T) {
		c := dial(t, "+15559999")
		c.waitEnded(t)
		d := c.Details()
		assert.Equal(t, call.Failure, d.EndCause)
		assert.ErrorContains(t, d.Error, "40400")
	})
}

func TestPhoneCallsAreCheckedBeforeAnythingIsSent(t *testing.T) {
	backend := newBackend(t)
	srv := newServer(t, ocratest.WithCallbackURL(backend.URL),
		ocratest.WithApplication(backend.appKey, backend.appSecret),
		ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{}))
	noCLI := startClient(t, srv, "nocli", func(b *sinch.SinchClientBuilder) { b.CallerIdentifier("") })
	_, err := noCLI.CallController().CallPhoneNumber("+15550001", nil)
	assert.ErrorIs(t, err, sinch.ErrInvalidArgument)
	assert.ErrorContains(t, err, "caller identifier")

	alice := startClient(t, srv, "alice")
	for _, bad := range []string{"", "15550001", "+", "+1555-0001", "+1234567890123456", "+1 555"} {
		_, err := alice.CallController().CallPhoneNumber(bad, nil)
		assert.ErrorIs(t, err, sinch.ErrInvalidArgument, "%q", bad)
	}
	_, err = alice.CallController().CallSip("no-host", nil)
	assert.ErrorIs(t, err, sinch.ErrInvalidArgument)
	assert.Empty(t, backend.events(), "the server saw no call")
}

func TestSIPIdentityGetsTheCallHeaders(t *testing.T) {
	srv := newServer(t, ocratest.WithSIPIdentity("sip:desk@pbx.example.com", ocratest.Behaviour{ToneHz: toneC}))
	alice := startClient(t, srv, "alice")
	headers := map[string]string{"x-account": "42", "x-topic": "billing"}
	c, err := alice.CallController().CallSip("sip:desk@pbx.example.com", headers)
	require.NoError(t, err)
	tc := track(c, toneA)
	tc.waitEstablished(t)
	assert.Equal(t, "sip:desk@pbx.example.com", c.RemoteUserID())
	assert.Equal(t, headers, srv.SIPHeaders("desk@pbx.example.com"))
	assert.Equal(t, headers, srv.SIPHeaders("sip:desk@pbx.example.com"))
	tc.listen(t, 500*time.Millisecond)
	assertHears(t, tc, toneC, toneA)
	require.NoError(t, c.Hangup())
	tc.waitEnded(t)
	assert.Nil(t, srv.SIPHeaders("other@pbx.example.com"))
}

func TestPhoneRecordsDTMF(t *testing.T) {
	srv := newServer(t, ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{}))
	alice := startClient(t, srv, "alice")
	c, err := alice.CallController().CallPhoneNumber("+15550001", nil)
	require.NoError(t, err)
	tc := track(c, 0)
	tc.waitEstablished(t)
	require.NoError(t, c.SendDTMF("12#*9"))
	require.Eventually(t, func() bool { return srv.DTMF("+15550001") == "12#*9" }, waitTimeout, 20*time.Millisecond,
		"DTMF received: %q", srv.DTMF("+15550001"))
	require.NoError(t, c.Hangup())
	tc.waitEnded(t)
	assert.Empty(t, srv.DTMF("+15550002"))
}

func TestCallFromPhone(t *testing.T) {
	srv := newServer(t, ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{ToneHz: toneB}))
	bob := startClient(t, srv, "bob")
	calls := incoming(bob, toneA)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, srv.CallFromPhone(ctx, "+15550001", "bob"))

	in := next(t, calls)
	assert.Equal(t, "+15550001", in.RemoteUserID())
	assert.Equal(t, call.Inbound, in.Direction())
	in.waitEstablished(t)
	in.listen(t, 500*time.Millisecond)
	assertHears(t, in, toneB, toneA)
	require.NoError(t, in.SendDTMF("7"))
	require.Eventually(t, func() bool { return srv.DTMF("+15550001") == "7" }, waitTimeout, 20*time.Millisecond)
	require.NoError(t, in.Hangup())
	in.waitEnded(t)
	assert.Equal(t, call.HungUp, in.Details().EndCause)

	assert.ErrorContains(t, srv.CallFromPhone(ctx, "+15550001", "nobody"), "no live instance")
	assert.ErrorContains(t, srv.CallFromPhone(ctx, "5550001", "bob"), "not an E.164 number")
}

func TestInvalidFarEndOptionsPanic(t *testing.T) {
	for name, opt := range map[string]ocratest.Option{
		"number":       ocratest.WithPhoneNumber("5550001", ocratest.Behaviour{}),
		"sip":          ocratest.WithSIPIdentity("desk", ocratest.Behaviour{}),
		"mode":         ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{Answer: 42}),
		"tone":         ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{ToneHz: -1}),
		"answer after": ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{AnswerAfter: -time.Second}),
		"callback":     ocratest.WithCallbackURL("/relative"),
	} {
		assert.Panics(t, func() { ocratest.NewServer(opt).Close() }, name)
	}
}

package sinch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// badInput is one invalid argument to a public function: the error must
// wrap want (when set) and name the problem (every string of says).
type badInput struct {
	name string
	call func() error
	want error
	says []string
}

// TestBadInput passes each public function of the root package, call,
// audio, video and auth an invalid argument: each gets an error that names
// the problem, and nothing panics.
func TestBadInput(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, srv.URL(), "bob")
	calls := alice.CallController()
	out, in := establish(t, alice, bob)
	ringing, _ := alice.callUser(t, "bob")
	bobRinging := waitFor(t, bob.incoming, 20*time.Second, "bob's second call")

	const appKey = "0a1b2c3d-0000-4000-8000-000000000000"
	builder := func() *sinch.SinchClientBuilder {
		return sinch.GetSinchClientBuilder().ApplicationKey(appKey).UserID("alice")
	}
	build := func(b *sinch.SinchClientBuilder) func() error {
		return func() error {
			c, err := b.Build()
			if c != nil {
				c.Terminate()
			}
			return err
		}
	}
	bigHeaders := map[string]string{"h": strings.Repeat("x", 2000)}
	secret := srv.ApplicationSecret()
	invalid := sinch.ErrInvalidArgument
	for _, tc := range []badInput{
		// Builder.
		{"Build: empty ApplicationKey", build(builder().ApplicationKey("")), invalid, []string{"ApplicationKey is empty"}},
		{"Build: ApplicationKey not a UUID", build(builder().ApplicationKey("key")), invalid, []string{"ApplicationKey", "not a UUID"}},
		{"Build: empty UserID", build(builder().UserID("")), invalid, []string{"UserID is empty"}},
		{"Build: UserID too long", build(builder().UserID(strings.Repeat("a", 256))), invalid, []string{"UserID", "more than 255"}},
		{"Build: UserID with a space", build(builder().UserID("a b")), invalid, []string{"UserID", "character"}},
		{"Build: CallerIdentifier not E.164", build(builder().CallerIdentifier("0701234567")), invalid, []string{"CallerIdentifier", "E.164"}},
		{"Build: blank EnvironmentHost", build(builder().EnvironmentHost(" ")), invalid, []string{"EnvironmentHost", "not a host name"}},
		{"Build: EnvironmentHost with a path", build(builder().EnvironmentHost("https://h/x")), invalid, []string{"EnvironmentHost", "path"}},
		{"Build: EnvironmentHost ftp", build(builder().EnvironmentHost("ftp://h")), invalid, []string{"EnvironmentHost", "scheme"}},
		{"Build: RequestTimeout < 0", build(builder().RequestTimeout(-1)), invalid, []string{"RequestTimeout must be positive"}},
		{"Build: CredentialsTimeout < 0", build(builder().CredentialsTimeout(-1)), invalid, []string{"CredentialsTimeout must be positive"}},
		{"Build: NoAnswerTimeouts < 0", build(builder().NoAnswerTimeouts(-1, time.Second)), invalid, []string{"NoAnswerTimeouts outbound"}},
		{"Build: CallSetupTimeout < 0", build(builder().CallSetupTimeout(-1)), invalid, []string{"CallSetupTimeout"}},
		{"Build: PingInterval < 0", build(builder().PingInterval(-1)), invalid, []string{"PingInterval"}},
		{"Build: MaxReconnects -5", build(builder().MaxReconnects(-5)), invalid, []string{"MaxReconnects", "-5"}},
		{"Build: MaxIncomingCalls -1", build(builder().MaxIncomingCalls(-1)), invalid, []string{"MaxIncomingCalls must be 1 or more", "-1"}},
		{"Build: OpusComplexity -1", build(builder().OpusComplexity(-1)), invalid, []string{"OpusComplexity must be from 1 to 10", "-1"}},
		{"Build: OpusComplexity 11", build(builder().OpusComplexity(11)), invalid, []string{"OpusComplexity", "11"}},

		// SinchClient.
		{"Start twice", alice.Start, sinch.ErrAlreadyStarted, nil},
		{"WaitStarted(nil)", func() error { return alice.WaitStarted(nil) }, invalid, []string{"ctx is nil"}}, //lint:ignore SA1012 a nil ctx is the bad input under test
		{"WaitStarted on a client not started", func() error {
			c, err := builder().Build()
			require.NoError(t, err)
			defer c.Terminate()
			return c.WaitStarted(context.Background()) // returns at once: no deadline needed
		}, sinch.ErrNotStarted, []string{"call Start before WaitStarted"}},

		// call.Controller.
		{"CallUser empty", func() error { _, err := calls.CallUser("", nil); return err }, invalid, []string{"user id to call is empty"}},
		{"CallUser with a space", func() error { _, err := calls.CallUser("a b", nil); return err }, invalid, []string{"user id to call", "character outside"}},
		{"CallUserVideo too long", func() error { _, err := calls.CallUserVideo(strings.Repeat("u", 256), nil); return err }, invalid, []string{"256 bytes long"}},
		{"CallUser headers too big", func() error { _, err := calls.CallUser("bob", bigHeaders); return err }, invalid, []string{"headers", "1024"}},
		{"CallUser bad UTF-8 header", func() error { _, err := calls.CallUser("bob", map[string]string{"\xff": "v"}); return err }, invalid, []string{"UTF-8"}},
		{"CallUserVideo empty", func() error { _, err := calls.CallUserVideo("", nil); return err }, invalid, []string{"user"}},
		{"CallPhoneNumber not E.164", func() error { _, err := calls.CallPhoneNumber("12345", nil); return err }, invalid, []string{"E.164"}},
		{"CallPhoneNumber without CallerIdentifier", func() error { _, err := calls.CallPhoneNumber("+46701234567", nil); return err }, nil, []string{"CallerIdentifier"}},
		{"CallSip not user@host", func() error { _, err := calls.CallSip("bob", nil); return err }, invalid, []string{"user@host"}},
		{"CallConference empty", func() error { _, err := calls.CallConference("", nil); return err }, invalid, []string{"conference id is empty"}},
		{"CallConference too long", func() error { _, err := calls.CallConference(strings.Repeat("c", 65), nil); return err }, invalid, []string{"conference id", "64"}},
		{"GetCall unknown", func() error { require.Nil(t, calls.GetCall("")); require.Nil(t, calls.GetCall("\xff")); return nil }, nil, nil},
		{"Controller listeners nil", func() error { calls.AddListener(nil); calls.RemoveListener(nil); return nil }, nil, nil},

		// call.Call.
		{"Answer an outbound call", out.Answer, sinch.ErrInvalidOperation, []string{"outbound"}},
		{"Answer an answered call", in.Answer, sinch.ErrInvalidOperation, []string{"not ringing"}},
		{"PauseVideo an audio call", out.PauseVideo, sinch.ErrInvalidOperation, []string{"audio"}},
		{"ResumeVideo an audio call", out.ResumeVideo, sinch.ErrInvalidOperation, []string{"audio"}},
		{"Call listeners and media nil", func() error {
			out.AddListener(nil)
			out.RemoveListener(nil)
			require.NoError(t, out.SetAudioSource(nil))
			return out.SetAudioSink(nil)
		}, nil, nil},

		// audio.Controller and video.Controller: nil restores the defaults.
		{"audio nil factories", func() error {
			a := alice.AudioController()
			require.NoError(t, a.SetSourceFactory(nil))
			require.NoError(t, a.SetSinkFactory(nil))
			return nil
		}, nil, nil},
		{"video nil factories", func() error {
			v := alice.VideoController()
			require.NoError(t, v.SetSourceFactory(nil))
			require.NoError(t, v.SetSinkFactory(nil))
			return nil
		}, nil, nil},

		// auth.
		{"NewRegistrationToken empty key", func() error { _, err := auth.NewRegistrationToken("", secret, "alice"); return err }, nil, []string{"application key"}},
		{"NewRegistrationToken bad secret", func() error { _, err := auth.NewRegistrationToken(appKey, "!!", "alice"); return err }, nil, []string{"secret"}},
		{"NewRegistrationToken empty user", func() error { _, err := auth.NewRegistrationToken(appKey, secret, ""); return err }, nil, []string{"user"}},
		{"NewRegistrationToken short TTL", func() error {
			_, err := auth.NewRegistrationToken(appKey, secret, "alice", auth.WithTTL(time.Second))
			return err
		}, nil, []string{"TTL"}},
		{"NewRegistrationToken nil clock", func() error {
			_, err := auth.NewRegistrationToken(appKey, secret, "alice", auth.WithClock(nil))
			return err
		}, nil, []string{"clock"}},
		{"SigningKey empty secret", func() error { _, err := auth.SigningKey("", time.Now()); return err }, nil, []string{"secret"}},
		{"VerifyRegistrationToken garbage", func() error {
			_, err := auth.VerifyRegistrationToken("not.a.jwt", appKey, secret, time.Now())
			return err
		}, auth.ErrTokenMalformed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tc.call() })
			if tc.want == nil && tc.says == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			for _, s := range tc.says {
				require.Contains(t, err.Error(), s)
			}
			require.NotContains(t, err.Error(), secret, "the error shows the application secret")
		})
	}
	require.NoError(t, bobRinging.Hangup())
	require.NoError(t, ringing.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
}

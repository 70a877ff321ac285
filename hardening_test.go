package sinch_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// maxErrorLen bounds the error of any call given a huge argument: the
// message quotes at most a short prefix of it.
const maxErrorLen = 400

// TestErrorsQuoteAShortPrefixOfUserInput passes 1 MiB arguments that are
// invalid near their end: each error names the problem without repeating
// the argument.
func TestErrorsQuoteAShortPrefixOfUserInput(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, srv.URL(), "bob")
	out, _ := establish(t, alice, bob)
	calls := alice.CallController()

	huge := strings.Repeat("1", 1<<20)
	builder := func() *sinch.SinchClientBuilder {
		return sinch.GetSinchClientBuilder().ApplicationKey("0a1b2c3d-0000-4000-8000-000000000000").UserID("alice")
	}
	build := func(b *sinch.SinchClientBuilder) error {
		c, err := b.Build()
		if c != nil {
			c.Terminate()
		}
		return err
	}
	terminated, err := builder().Build()
	require.NoError(t, err)
	terminated.Terminate()

	for name, f := range map[string]func() error{
		"SendDTMF":                   func() error { return out.SendDTMF(huge + "x") },
		"Build ApplicationKey":       func() error { return build(builder().ApplicationKey(huge)) },
		"Build CallerIdentifier":     func() error { return build(builder().CallerIdentifier("+" + huge)) },
		"Build EnvironmentHost":      func() error { return build(builder().EnvironmentHost("ftp://" + huge)) },
		"Build EnvironmentHost path": func() error { return build(builder().EnvironmentHost("https://h/" + huge)) },
		"CallSip":                    func() error { _, err := calls.CallSip(huge, nil); return err },
		"CallPhoneNumber":            func() error { _, err := calls.CallPhoneNumber("+"+huge, nil); return err },
		"CallUser bad header key": func() error {
			_, err := calls.CallUser("bob", map[string]string{huge + "\xff": "v"})
			return err
		},
		"CallUser on a terminated client": func() error {
			_, err := terminated.CallController().CallUser(huge, nil)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := f()
			require.Error(t, err)
			require.Less(t, len(err.Error()), maxErrorLen, "error: %.200s...", err.Error())
			require.Contains(t, err.Error(), "(1048", "the error gives the argument's length")
		})
	}
	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
}

// TestPanickingListenerDoesNotKillTheClient: a listener that panics on the
// dispatcher goroutine is recovered, logged at Error with its stack, and
// the client goes on: the next callback runs and the next call connects.
func TestPanickingListenerDoesNotKillTheClient(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, srv.URL(), "bob")
	var panicked atomic.Bool
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(*call.Controller, *call.Call) {
			if panicked.CompareAndSwap(false, true) {
				panic("a bug in the application's listener")
			}
		},
	})
	first, _ := alice.callUser(t, "bob")
	firstIn := waitFor(t, bob.incoming, 20*time.Second, "bob's first call")
	require.Eventually(t, panicked.Load, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, first.Hangup())
	waitClosed(t, bob.record(firstIn).ended, 20*time.Second, "bob's first call ended")

	out, in := establish(t, alice, bob)
	require.NoError(t, out.Hangup())
	waitClosed(t, bob.record(in).ended, 20*time.Second, "bob's second call ended")
	requireEachCallEndedOnce(t, alice, bob)
}

// TestBuildRefusesABadICEServer: an ICE server entry that no peer
// connection could use fails Build, which names it, instead of failing
// every call later.
func TestBuildRefusesABadICEServer(t *testing.T) {
	good := webrtc.ICEServer{URLs: []string{"stun:stun.example.com:19302"}}
	bad := webrtc.ICEServer{URLs: []string{"turn::3478"}, Username: "u", Credential: "secret-credential"}
	c, err := sinch.GetSinchClientBuilder().ApplicationKey("0a1b2c3d-0000-4000-8000-000000000000").UserID("alice").
		ICEServers(good, bad).Build()
	if c != nil {
		c.Terminate()
	}
	require.ErrorIs(t, err, sinch.ErrInvalidArgument)
	require.ErrorContains(t, err, `ICEServers: ICE server 1 ("turn::3478")`)
	require.ErrorContains(t, err, "invalid hostname")
	require.NotContains(t, err.Error(), "secret-credential")

	noCredential := webrtc.ICEServer{URLs: []string{"turn:turn.example.com"}}
	_, err = sinch.GetSinchClientBuilder().ApplicationKey("0a1b2c3d-0000-4000-8000-000000000000").UserID("alice").
		ICEServers(noCredential).Build()
	require.ErrorContains(t, err, "needs a Username and a Credential")
}

// iceServersRewriter answers every GET .../ice-servers with body, as a
// server handing out bad entries would.
type iceServersRewriter struct{ body string }

func (r iceServersRewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/ice-servers") {
		return resp, err
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(r.body))
	resp.ContentLength = int64(len(r.body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestBadServerICEServerDoesNotFailCalls: bad ICE server entries from the
// server are dropped (with a warning) and calls connect both ways.
func TestBadServerICEServerDoesNotFailCalls(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	rewriter := iceServersRewriter{body: `[{"urls":["turn::3478"],"username":"u","password":"p"},{"urls":["stun:"]}]`}
	withBadICE := func(b *sinch.SinchClientBuilder) { b.HTTPClient(&http.Client{Transport: rewriter}) }
	alice := newPeer(t, srv, srv.URL(), "alice", withBadICE)
	bob := newPeer(t, srv, srv.URL(), "bob", withBadICE)

	out, _ := establish(t, alice, bob)
	require.NoError(t, out.Hangup())
	out, _ = establish(t, bob, alice)
	require.NoError(t, out.Hangup())
	requireEachCallEndedOnce(t, alice, bob)
}

// TestAnswerDoesNotWaitForTheNetwork: with the server frozen, Answer
// returns at once and the call is answered (its Join is published by the
// call's outbox, which a frozen server holds up); terminating the client
// then ends the call, and a later Answer fails with an error wrapping
// ErrClientTerminated.
func TestAnswerDoesNotWaitForTheNetwork(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	p := newServerProxy(t, srv) // the REST host and the PubNub origin
	alice := newPeer(t, srv, srv.URL(), "alice")
	bob := newPeer(t, srv, p.URL(), "bob")
	alice.callUser(t, "bob")
	in := waitFor(t, bob.incoming, 20*time.Second, "bob's incoming call")

	p.Freeze() // the Join cannot be acknowledged
	require.NoError(t, in.Answer(), "Answer waited for the frozen server")
	require.Contains(t, []call.State{call.Answered, call.Established}, in.State())
	bob.Terminate()
	p.Thaw()
	require.Equal(t, call.Ended, in.State())
	require.ErrorIs(t, in.Answer(), sinch.ErrClientTerminated)
}

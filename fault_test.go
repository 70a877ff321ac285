package sinch_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// faultEnv is a server, a proxy in front of it and two started clients
// that reach the server through the proxy.
type faultEnv struct {
	srv        *ocratest.Server
	px         *serverProxy
	alice, bob *peer
}

func newFaultEnv(t *testing.T, tr transport, opts ...ocratest.Option) *faultEnv {
	srv := tr.server(t, opts...)
	px := newServerProxy(t, srv)
	return &faultEnv{
		srv:   srv,
		px:    px,
		alice: newPeer(t, srv, px.URL(), "alice"),
		bob:   newPeer(t, srv, px.URL(), "bob"),
	}
}

// bothReconnect waits until both clients said they reconnected and returns
// how long that took since start.
func (e *faultEnv) bothReconnect(t *testing.T, start time.Time) time.Duration {
	t.Helper()
	for _, p := range []*peer{e.alice, e.bob} {
		waitFor(t, p.reconnected, 30*time.Second, p.user+" reconnected")
	}
	return time.Since(start)
}

// callWorks checks that a new call connects and hangs up cleanly.
func (e *faultEnv) callWorks(t *testing.T) {
	t.Helper()
	out, in := establish(t, e.alice, e.bob)
	require.NoError(t, out.Hangup())
	waitClosed(t, e.bob.record(in).ended, 20*time.Second, "bob's call ended")
	require.Equal(t, call.HungUp, out.Details().EndCause)
	require.Equal(t, call.HungUp, in.Details().EndCause)
}

// faultResult is one row of the fault table in docs/reliability.md.
type faultResult struct {
	fault, outcome string
	recovery       time.Duration // 0: not applicable
}

// TestFaultTable injects each fault into a pair of clients and checks the
// outcome: the clients recover, or fail with a clear error; every call
// ends exactly once. It logs the table with the recovery times measured
// (go test -run FaultTable -v).
func TestFaultTable(t *testing.T) {
	cases := []struct {
		fault string
		run   func(t *testing.T, tr transport) (outcome string, recovery time.Duration)
	}{
		{"server restarted while idle (1 s down)", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			start := time.Now()
			e.srv.Restart(ocratest.Downtime(time.Second))
			d := e.bothReconnect(t, start)
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "recovers, same instances; next call connects", d
		}},
		{"server restarted with data loss while idle", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			start := time.Now()
			e.srv.Restart(ocratest.ForgetInstances())
			d := e.bothReconnect(t, start)
			waitFor(t, e.alice.credentials, time.Second, "alice asked for a new token")
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "recovers with new instances (credentials asked again); next call connects", d
		}},
		{"server restarted while ringing", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			out, outRec := e.alice.callUser(t, "bob")
			in := waitFor(t, e.bob.incoming, 20*time.Second, "bob's incoming call")
			start := time.Now()
			e.srv.Restart()
			var d time.Duration
			if !tr.polls { // PubNub polls again from the same cursor: nothing to recover
				d = e.bothReconnect(t, start)
			}
			require.NoError(t, in.Answer())
			waitClosed(t, outRec.established, 20*time.Second, "the call established after the restart")
			require.NoError(t, out.Hangup())
			waitClosed(t, e.bob.record(in).ended, 20*time.Second, "bob's call ended")
			requireEachCallEndedOnce(t, e.alice, e.bob)
			if tr.polls {
				return "no reconnect (the polls resume from their cursor); the ringing call is answered, connects and hangs up (HungUp both)", d
			}
			return "recovers; the ringing call is answered, connects and hangs up (HungUp both)", d
		}},
		{"server restarted with data loss while ringing", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			out, outRec := e.alice.callUser(t, "bob")
			in := waitFor(t, e.bob.incoming, 20*time.Second, "bob's incoming call")
			start := time.Now()
			e.srv.Restart(ocratest.ForgetInstances())
			d := e.bothReconnect(t, start)
			_ = in.Answer() // may fail: the call may already have ended
			waitClosed(t, outRec.ended, 30*time.Second, "alice's call ends")
			waitClosed(t, e.bob.record(in).ended, 30*time.Second, "bob's call ends")
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return fmt.Sprintf("recovers with new instances; the ringing call ends once on each side (%v / %v); next call connects",
				out.Details().EndCause, in.Details().EndCause), d
		}},
		{"server restarted while established", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			out, in := establish(t, e.alice, e.bob)
			start := time.Now()
			e.srv.Restart(ocratest.Downtime(time.Second))
			d := e.bothReconnect(t, start)
			require.Equal(t, call.Established, out.State(), "media is peer to peer: the call survives")
			require.NoError(t, out.Hangup())
			waitClosed(t, e.bob.record(in).ended, 20*time.Second, "bob's call ended")
			require.Equal(t, call.HungUp, in.Details().EndCause)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "recovers; the call stays established and hangs up (HungUp both)", d
		}},
		{"server restarted with data loss while established", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			out, in := establish(t, e.alice, e.bob)
			start := time.Now()
			e.srv.Restart(ocratest.ForgetInstances())
			d := e.bothReconnect(t, start)
			require.Equal(t, call.Established, out.State(), "media is peer to peer: the call survives")
			require.NoError(t, out.Hangup())
			// Leave goes to bob's old signal channel: bob's call ends
			// when its media stops, or on Terminate.
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return fmt.Sprintf("recovers with new instances; the call stays up until hung up; bob's side ends %v", in.Details().EndCause), d
		}},
		{"realtime connection cut mid-signalling (TCP cut)", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			out, outRec := e.alice.callUser(t, "bob")
			in := waitFor(t, e.bob.incoming, 20*time.Second, "bob's incoming call")
			start := time.Now()
			e.px.Cut() // while bob's Ack is on its way
			var d time.Duration
			if !tr.polls { // PubNub polls again from the same cursor: nothing to recover
				d = e.bothReconnect(t, start)
			}
			_ = in.Answer()
			select {
			case <-outRec.established:
				require.NoError(t, out.Hangup())
			case <-outRec.ended:
			case <-time.After(30 * time.Second):
				t.Fatal("the call neither connected nor ended")
			}
			waitClosed(t, e.bob.record(in).ended, 30*time.Second, "bob's call ends")
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			how := "recovers"
			if tr.polls {
				how = "no reconnect (the polls resume from their cursor)"
			}
			return fmt.Sprintf("%s; the call in setup ends once on each side (%v / %v); next call connects",
				how, out.Details().EndCause, in.Details().EndCause), d
		}},
		{"503 storm on re-registration (10 refusals)", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			e.srv.InjectFault(ocratest.Fault{Method: http.MethodPost, Path: "/instances", Status: 503, Times: 10})
			start := time.Now()
			e.srv.Restart(ocratest.ForgetInstances())
			d := e.bothReconnect(t, start)
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "recovers after backoff; next call connects", d
		}},
		{"503 storm on registration at Start", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := tr.server(t)
			srv.InjectFault(ocratest.Fault{Path: "/instances", Status: 503})
			carol := buildPeer(t, srv, srv.URL(), "carol")
			require.NoError(t, carol.Start())
			var serr *sinch.SinchError
			require.ErrorAs(t, carol.WaitStarted(waitCtx(t)), &serr)
			require.False(t, serr.Fatal, "worth trying again")
			require.Equal(t, 50300, serr.Code)
			require.Contains(t, serr.Error(), "try again later")
			return "fails: " + serr.Error(), 0
		}},
		{"stalled server: network frozen 3 s", func(t *testing.T, tr transport) (string, time.Duration) {
			e := newFaultEnv(t, tr)
			e.px.Freeze()
			for _, p := range []*peer{e.alice, e.bob} {
				err := waitFor(t, p.reconnecting, 20*time.Second, p.user+" notices")
				require.ErrorContains(t, err, "did not answer a ping")
			}
			time.Sleep(3 * time.Second) // the length of the outage, not a synchronisation
			start := time.Now()
			e.px.Thaw()
			d := e.bothReconnect(t, start)
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "pings time out (RequestTimeout), reconnects once the network thaws; next call connects", d
		}},
		{"stalled server at Start", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := tr.server(t)
			srv.InjectFault(ocratest.Fault{Path: "/instances", Stall: -1})
			carol := buildPeer(t, srv, srv.URL(), "carol", func(b *sinch.SinchClientBuilder) { b.RequestTimeout(time.Second) })
			require.NoError(t, carol.Start())
			err := carol.WaitStarted(waitCtx(t))
			require.ErrorContains(t, err, "creating the instance")
			require.ErrorContains(t, err, "did not answer within RequestTimeout")
			require.ErrorIs(t, err, context.DeadlineExceeded, "the cause stays reachable")
			return "fails after RequestTimeout: " + firstLine(err.Error()), 0
		}},
		{"server gone for good, MaxReconnects(3)", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := ocratest.NewServer(tr.opts...)
			px := newServerProxy(t, srv)
			carol := newPeer(t, srv, px.URL(), "carol", func(b *sinch.SinchClientBuilder) { b.MaxReconnects(3) })
			start := time.Now()
			srv.Close()
			err := waitFor(t, carol.failed, 30*time.Second, "OnClientFailed")
			require.ErrorContains(t, err, "gave up reconnecting after 3 attempts")
			return "fails: " + firstLine(err.Error()), time.Since(start)
		}},
		{"server clock 20 min ahead", func(t *testing.T, tr transport) (string, time.Duration) {
			ahead := func() time.Time { return time.Now().Add(20 * time.Minute) }
			e := newFaultEnv(t, tr, ocratest.WithClock(ahead))
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "starts (signing clock corrected from the Date header); call connects", 0
		}},
		{"server clock 20 min behind", func(t *testing.T, tr transport) (string, time.Duration) {
			behind := func() time.Time { return time.Now().Add(-20 * time.Minute) }
			e := newFaultEnv(t, tr, ocratest.WithClock(behind))
			e.callWorks(t)
			requireEachCallEndedOnce(t, e.alice, e.bob)
			return "starts (signing clock corrected from the Date header); call connects", 0
		}},
	}
	var results []faultResult
	forEachTransport(t, func(t *testing.T, tr transport) {
		for _, tc := range cases {
			t.Run(tc.fault, func(t *testing.T) {
				outcome, d := tc.run(t, tr)
				results = append(results, faultResult{tr.name + ": " + tc.fault, outcome, d})
			})
		}
	})
	var b strings.Builder
	b.WriteString("\n| Fault | Outcome | Recovery |\n| --- | --- | --- |\n")
	for _, r := range results {
		rec := "-"
		if r.recovery > 0 {
			rec = r.recovery.Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.fault, r.outcome, rec)
	}
	t.Log(b.String())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

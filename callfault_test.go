package sinch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// signallingDown cuts alice's network to the server (alice reaches it
// through px) and waits until she is reconnecting; bob stays connected.
func signallingDown(t *testing.T, px *serverProxy, alice *peer) {
	t.Helper()
	px.Freeze() // new connections hang until Thaw
	px.Cut()
	waitFor(t, alice.reconnecting, 20*time.Second, "alice notices the lost channel")
}

// TestCallFaultTable injects faults into established and new calls and
// checks each outcome; every call ends exactly once on each side. It logs
// the rows of the call part of the fault table in docs/reliability.md.
func TestCallFaultTable(t *testing.T) {
	cases := []struct {
		fault string
		run   func(t *testing.T, tr transport) (outcome string, recovery time.Duration)
	}{
		{"hangup while the hanging-up side's signalling is down", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := tr.server(t)
			px := newServerProxy(t, srv)
			alice := newPeer(t, srv, px.URL(), "alice")
			bob := newPeer(t, srv, srv.URL(), "bob")
			out, in := establish(t, alice, bob)
			signallingDown(t, px, alice)
			require.NoError(t, out.Hangup())
			require.Equal(t, call.HungUp, out.Details().EndCause)
			require.Equal(t, call.Established, in.State(), "bob has not heard of it yet")
			start := time.Now()
			px.Thaw()
			waitClosed(t, bob.record(in).ended, 20*time.Second, "bob's call ends")
			d := time.Since(start)
			require.Equal(t, call.HungUp, in.Details().EndCause, "the Leave arrived, not lost media")
			requireEachCallEndedOnce(t, alice, bob)
			return "alice's call ends HungUp at once; her Leave is sent once she reconnects: bob's call ends HungUp, not Inactive", d
		}},
		{"call placed while reconnecting", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := tr.server(t)
			px := newServerProxy(t, srv)
			alice := newPeer(t, srv, px.URL(), "alice")
			bob := newPeer(t, srv, srv.URL(), "bob")
			signallingDown(t, px, alice)
			start := time.Now()
			out, rec := alice.callUser(t, "bob")
			waitClosed(t, rec.ended, 20*time.Second, "the call fails")
			d := time.Since(start)
			details := out.Details()
			require.Equal(t, call.Failure, details.EndCause)
			require.ErrorContains(t, details.Error, "reconnecting")
			var serr *sinch.SinchError
			require.ErrorAs(t, details.Error, &serr)
			require.Equal(t, sinch.ErrorTypeNetwork, serr.Domain)
			px.Thaw()
			waitFor(t, alice.reconnected, 20*time.Second, "alice reconnects")
			out, in := establish(t, alice, bob)
			require.NoError(t, out.Hangup())
			waitClosed(t, bob.record(in).ended, 20*time.Second, "bob's call ended")
			requireEachCallEndedOnce(t, alice, bob)
			return "fails at once (Failure): `" + details.Error.Error() + "`; after the reconnect the next call connects", d
		}},
		{"server lost both instances under an established call", func(t *testing.T, tr transport) (string, time.Duration) {
			srv := tr.server(t)
			inactive := func(b *sinch.SinchClientBuilder) { b.MediaInactiveTimeout(3 * time.Second) }
			alice := newPeer(t, srv, srv.URL(), "alice", inactive)
			bob := newPeer(t, srv, srv.URL(), "bob", inactive)
			out, in := establish(t, alice, bob)
			srv.Restart(ocratest.ForgetInstances())
			for _, p := range []*peer{alice, bob} {
				waitFor(t, p.reconnected, 20*time.Second, p.user+" reconnects with a new instance")
			}
			require.Equal(t, call.Established, out.State(), "media is peer to peer: the call survives")
			require.Equal(t, call.Established, in.State())
			start := time.Now()
			require.NoError(t, out.Hangup())
			waitClosed(t, bob.record(in).ended, 20*time.Second, "bob's call ends")
			d := time.Since(start)
			require.Equal(t, call.Inactive, in.Details().EndCause, "the Leave went to bob's old instance")
			requireEachCallEndedOnce(t, alice, bob)
			return fmt.Sprintf("the call keeps its media; alice hangs up (HungUp), her Leave cannot reach bob's old instance: bob's side ends %v (MediaInactiveTimeout 3 s)",
				in.Details().EndCause), d
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
	for _, r := range results {
		t.Logf("| %s | %s | %v |", r.fault, r.outcome, r.recovery.Round(time.Millisecond))
	}
}

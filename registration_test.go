package sinch_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// The only real instance key seen is 16 bytes (real-wire.md section 2):
// AES-128, -192 and -256 keys all start a client; other lengths fail Start
// with a clear error.
func TestInstanceKeysOf16And24And32BytesAreAccepted(t *testing.T) {
	for _, n := range []int{16, 24, 32, 15, 33} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			srv := ocratest.NewServer()
			defer srv.Close()
			tp := newTamper(nil)
			key := make([]byte, n)
			rand.Read(key)
			tp.onAnswer("POST /instances", func(body map[string]any) {
				field(body, "config.rtcProfile")["key"] = base64.StdEncoding.EncodeToString(key)
			})
			p := buildPeer(t, srv, srv.URL(), "alice", withTamper(tp))
			require.NoError(t, p.Start())
			err := p.WaitStarted(waitCtx(t))
			if n == 16 || n == 24 || n == 32 {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "MXP key that is not 16, 24 or 32 bytes long")
			require.Empty(t, srv.Instances("alice"), "the instance is deleted again")
		})
	}
}

// The instance registers the capabilities of Sinch's own SDKs that are true
// of this one: peer-to-peer calls, the Ocra API, TURN servers from Ocra.
func TestRegistersRealCapabilityNames(t *testing.T) {
	srv := ocratest.NewServer()
	defer srv.Close()
	startedPeer(t, srv, srv.URL(), "alice")
	require.Equal(t, []string{"p2p", "ocra.1", "turn.2"}, srv.Instances("alice")[0].Capabilities)
}

// ICE servers are fetched only for an instance that has turn.2 in the
// server's answer, at registration and at every configuration refresh.
func TestICEServersAreFetchedOnlyWithTURN(t *testing.T) {
	for _, withTURN := range []bool{true, false} {
		t.Run(fmt.Sprintf("turn.2 %v", withTURN), func(t *testing.T) {
			srv := ocratest.NewServer(ocratest.WithConfigRefreshInterval(time.Second))
			defer srv.Close()
			tp := newTamper(nil)
			if !withTURN {
				tp.onAnswer("POST /instances", func(body map[string]any) {
					caps, _ := field(body, "instance")["capabilities"].([]any)
					field(body, "instance")["capabilities"] = slices.DeleteFunc(caps, func(c any) bool { return c == "turn.2" })
				})
			}
			startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
			require.Eventually(t, func() bool { return tp.count("GET /config") >= 2 }, 10*time.Second, 10*time.Millisecond,
				"two configuration refreshes")
			if withTURN {
				require.Eventually(t, func() bool { return tp.count("GET /ice-servers") >= 2 }, 10*time.Second, 10*time.Millisecond,
					"ICE servers at registration and at the refresh")
			} else {
				require.Zero(t, tp.count("GET /ice-servers"))
			}
		})
	}
}

// A failed ICE server fetch does not fail Start: the servers are asked for
// again at the next configuration refresh.
func TestFailedICEServerFetchDoesNotFailStart(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithConfigRefreshInterval(time.Second))
	defer srv.Close()
	tp := newTamper(nil)
	tp.refuseNext("GET /ice-servers", 1)
	p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp))
	require.Eventually(t, func() bool { return tp.count("GET /ice-servers") >= 2 }, 10*time.Second, 10*time.Millisecond,
		"the ICE servers asked for again at the refresh")
	require.True(t, p.IsStarted())
	require.Empty(t, p.failed)
}

// A config refresh that fails only in its ICE servers is not a failure.
func TestFailedICEServerRefreshIsNotAFailure(t *testing.T) {
	srv := ocratest.NewServer(ocratest.WithConfigRefreshInterval(time.Second))
	defer srv.Close()
	tp := newTamper(nil)
	p := startedPeer(t, srv, srv.URL(), "alice", withTamper(tp), func(b *sinch.SinchClientBuilder) { b.MaxReconnects(0) })
	tp.refuseNext("GET /ice-servers", 3)
	require.Eventually(t, func() bool { return tp.count("GET /ice-servers") >= 5 }, 15*time.Second, 10*time.Millisecond,
		"three refused refreshes of the ICE servers, then one that works")
	require.True(t, p.IsStarted())
	require.Empty(t, p.failed)
	require.Empty(t, p.reconnecting)
}

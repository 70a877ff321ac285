package pubsub

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// endlessHeaderServer accepts one connection on 127.0.0.1 and answers the
// upgrade with a header line of up to limit bytes, then closes. It returns
// the ws:// URL and a channel that closes when the server is done.
func endlessHeaderServer(t *testing.T, limit int) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ln.Close()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 4096)
		_, _ = conn.Read(buf) // the upgrade request
		if _, err := conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Endless: ")); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for sent := 0; sent < limit; sent += len(chunk) {
			if _, err := conn.Write(chunk); err != nil {
				return // the client gave up
			}
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return "ws://" + ln.Addr().String() + "/", done
}

// TestDialBoundsTheHandshakeResponse: a server that answers the upgrade
// with an endless header line (32 MiB here) makes Dial fail once the
// response passes maxHandshakeResponse, without buffering the rest.
func TestDialBoundsTheHandshakeResponse(t *testing.T) {
	url, _ := endlessHeaderServer(t, 32<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, url, DialOptions{HandshakeTimeout: 20 * time.Second})
	runtime.ReadMemStats(&after)
	t.Logf("Dial failed after %v, %d bytes allocated: %v", time.Since(start), after.TotalAlloc-before.TotalAlloc, err)
	require.Error(t, err)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "Dial allocated the server's endless header")
	require.True(t, errors.Is(err, errHandshakeTooLarge), "err = %v", err)
	require.Contains(t, err.Error(), "64 KiB")
}

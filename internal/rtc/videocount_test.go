package rtc

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/video"
)

// A counted track counts exactly what the far end receives: every packet
// and payload byte of the frames sent, nothing while paused.
func TestCountedVP8TrackCountsWhatIsReceived(t *testing.T) {
	track, sent, err := NewCountedVP8Track("video", "sinch")
	require.NoError(t, err)
	offerer, answerer, rtpSender, remote := newLoopbackPair(t, track)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, rtcpDone := watchPLI(rtpSender, rtpSender.GetParameters().Encodings[0].SSRC)

	src, err := video.NewIVFFileSource(clipPath)
	require.NoError(t, err)
	sender := NewVideoSender(track, src.ReadFrame)
	sendDone := make(chan error, 1)
	go func() { sendDone <- sender.Run(ctx) }()
	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-ctx.Done():
		t.Fatal("no remote track")
	}
	log := newFrameLog()
	receiver := NewVideoReceiver(tr, log.add, answerer.WriteRTCP)
	recvDone := make(chan error, 1)
	go func() { recvDone <- receiver.Run(ctx) }()
	frames, err := log.waitFor(ctx, 10)
	require.NoError(t, err)

	// What was sent before the far end's receiver ran is not all received
	// (the first packets go out before the connection can carry them):
	// compare what is sent and received between two pauses.
	settle := func() (sentPackets, sentBytes uint64, recv ReceiveStats) {
		sender.Pause()
		sentPackets, sentBytes = sent.Sent()
		prev := receiver.Stats()
		for {
			time.Sleep(200 * time.Millisecond)
			now := receiver.Stats()
			if now.PacketsReceived == prev.PacketsReceived || ctx.Err() != nil {
				p, b := sent.Sent()
				require.Equal(t, [2]uint64{sentPackets, sentBytes}, [2]uint64{p, b}, "nothing is counted while paused")
				return sentPackets, sentBytes, now
			}
			prev = now
		}
	}
	p1, b1, r1 := settle()
	sender.Resume()
	_, err = log.waitFor(ctx, len(frames)+20)
	require.NoError(t, err)
	p2, b2, r2 := settle()
	assert.Greater(t, p2-p1, uint64(20), "at least a packet per frame")
	assert.Equal(t, p2-p1, r2.PacketsReceived-r1.PacketsReceived, "packets sent and received")
	assert.Equal(t, b2-b1, r2.BytesReceived-r1.BytesReceived, "payload bytes sent and received")

	receiver.Close()
	require.NoError(t, <-recvDone)
	sender.Close()
	require.NoError(t, <-sendDone)
	require.NoError(t, offerer.Close())
	<-rtcpDone
}

package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/audio"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

const (
	// burstFrames and burstEvery shape the playout part's signal: a tone
	// of burstFrames frames every burstEvery frames, silence between.
	burstFrames = 5
	burstEvery  = 25
)

// playoutReport is the playout part: what the receive side's jitter buffer
// adds on a clean loopback link, for one SDK call of codec.
type playoutReport struct {
	Codec string `json:"codec"`
	// Delay is from the source's ReadFrame of the first frame of each tone
	// burst to the sink's WriteFrame of the first received frame that
	// carries it: encoding, the loopback link, the jitter buffer's
	// playout delay (including up to one 20 ms tick of phase) and
	// decoding. Encoding, decoding and loopback take well under 1 ms, so
	// this is the jitter buffer's added delay.
	Delay latency `json:"delay"`
	// TargetDelayMS is the jitter buffer's target delay at the end
	// (call.StreamStats.TargetDelay of the receiving side).
	TargetDelayMS float64 `json:"target_delay_ms"`
}

// bursts is the source and sink of the playout part: once on, it sends
// tone bursts and stamps when each started; as a sink it stamps when each
// arrived.
type bursts struct {
	mu      sync.Mutex
	on      bool
	frame   int         // frames read since on
	sentAt  []time.Time // when the first frame of burst i was read
	heardAt []time.Time // when the first frame of burst i arrived
	loud    bool        // the last received frame carried the tone
}

func (b *bursts) start() {
	b.mu.Lock()
	b.on = true
	b.mu.Unlock()
}

func (b *bursts) ReadFrame(frame []int16) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.frame % burstEvery
	if !b.on || i >= burstFrames {
		clear(frame)
		if b.on {
			b.frame++
		}
		return nil
	}
	b.frame++
	if i == 0 {
		b.sentAt = append(b.sentAt, time.Now())
	}
	for k := range frame {
		frame[k] = toneFrame[k%len(toneFrame)]
	}
	return nil
}

func (b *bursts) WriteFrame(frame []int16) error {
	now := time.Now()
	loud := audio.RMS(frame) >= toneFrameRMS
	b.mu.Lock()
	defer b.mu.Unlock()
	if loud && !b.loud && len(b.heardAt) < len(b.sentAt) {
		b.heardAt = append(b.heardAt, now)
	}
	b.loud = loud
	return nil
}

// delays returns the delay of every burst that was heard (a burst is
// heard before the next is sent, on a clean link).
func (b *bursts) delays() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []time.Duration
	for i, at := range b.heardAt {
		if d := at.Sub(b.sentAt[i]); d > 0 && d < burstEvery*20*time.Millisecond {
			out = append(out, d)
		}
	}
	return out
}

// measurePlayout makes one call of codec, the caller sending tone bursts
// for d to the callee once the call is up, and measures each burst's
// delay and the callee's target delay.
func measurePlayout(ctx context.Context, codec string, d time.Duration) (*playoutReport, error) {
	r := &playoutReport{Codec: codec}
	err := withCodec(codec, func() (err error) {
		srv := ocratest.NewServer()
		defer release(&err, func() error { return closeServer(srv) })
		clients, _, err := startClients(ctx, srv, "playout", 2, 2)
		if err != nil {
			return err
		}
		defer release(&err, func() error { return terminateAll(clients) })
		b := &bursts{}
		callee := make(chan *call.Call, 1)
		answerCalls(clients[1], func(c *call.Call) {
			c.SetAudioSink(b)
			callee <- c
		})
		if _, _, err := dial(ctx, clients[0], clients[1].UserID(), func(c *call.Call) { c.SetAudioSource(b) }); err != nil {
			return err
		}
		in := <-callee
		// Silence first, so the bursts are timed on a running link.
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		b.start()
		if err := sleep(ctx, d+deliveryGrace); err != nil {
			return err
		}
		delays := b.delays()
		if len(delays) == 0 {
			return fmt.Errorf("no tone burst of the %s call was heard", codec)
		}
		r.Delay = summarize(delays)
		r.TargetDelayMS = ms(in.Stats().Audio.TargetDelay)
		return nil
	})
	return r, err
}

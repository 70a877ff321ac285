package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// rawAPI is the API of raw pion's peer connections: the SDK's, on
// loopback, with the run's codecs.
func rawAPI() (*webrtc.API, error) {
	return rtc.NewAPI(rtc.Config{Loopback: true, PCMUOnly: pcmuOnly})
}

// measureRawMedia is measureMedia with pairs of raw peer connections in
// place of calls.
func measureRawMedia(ctx context.Context, calls int, d time.Duration) (_ mediaStats, err error) {
	api, err := rawAPI()
	if err != nil {
		return mediaStats{}, err
	}
	m := &meter{}
	base := takeFootprint()
	pairs := make([]*rawPair, calls)
	defer release(&err, func() error {
		return forEach(calls, fleetParallelism*2, func(i int) error {
			if pairs[i] == nil {
				return nil
			}
			return pairs[i].close()
		})
	})
	err = forEach(calls, fleetParallelism, func(i int) (err error) {
		pairs[i], _, err = connectRawPair(ctx, api, m)
		return err
	})
	if err != nil {
		return mediaStats{}, err
	}
	return m.talk(ctx, calls, d, base)
}

// rawPair is two connected peer connections with an audio track each way,
// and the goroutines that move their media.
type rawPair struct {
	pcs    [2]*webrtc.PeerConnection
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add against close
	closed bool
	wg     sync.WaitGroup
}

// connectRawPair builds two peer connections of api, exchanges their full
// descriptions in memory and waits until both are connected. It returns the
// time from the start to the offerer's Connected state. With a meter, each
// side sends the meter's audio once connected and plays what it receives
// into it, through the SDK's audio pipeline (Opus, or PCMU with -pcmu).
func connectRawPair(ctx context.Context, api *webrtc.API, m *meter) (*rawPair, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	begin := time.Now()
	p := &rawPair{}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	var connected [2]chan time.Time
	var tracks [2]*rtc.AudioTrack
	for i := range p.pcs {
		connected[i] = make(chan time.Time, 1)
		var err error
		if tracks[i], err = p.newPeer(api, i, connected[i], m); err != nil {
			return nil, 0, errors.Join(err, p.close())
		}
	}
	if err := p.exchange(ctx); err != nil {
		return nil, 0, errors.Join(err, p.close())
	}
	var at [2]time.Time
	for i, up := range connected {
		select {
		case at[i] = <-up:
		case <-ctx.Done():
			err := fmt.Errorf("raw peer connection %d did not connect: %w", i, ctx.Err())
			return nil, 0, errors.Join(err, p.close())
		}
	}
	if m != nil {
		for _, t := range tracks {
			s := rtc.NewAudioSender(t, func(frame []int16) { _ = m.ReadFrame(frame) })
			if err := s.SetOpusComplexity(opusComplexity); err != nil {
				return nil, 0, errors.Join(err, p.close())
			}
			p.spawn(func() { _ = s.Run(p.ctx) }) // it stops when the pair closes
		}
	}
	return p, at[0].Sub(begin), nil
}

// newPeer adds peer connection i with its audio track, the RTCP drain of
// its sender (as the SDK has) and, with a meter, playback of what it
// receives. connected gets the time it first reports Connected.
func (p *rawPair) newPeer(api *webrtc.API, i int, connected chan<- time.Time, m *meter) (*rtc.AudioTrack, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("creating a raw peer connection: %w", err)
	}
	p.pcs[i] = pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			select {
			case connected <- time.Now():
			default:
			}
		}
	})
	if m != nil {
		pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			r := rtc.NewAudioReceiver(t, func(frame []int16) { _ = m.WriteFrame(frame) })
			p.spawn(func() { _ = r.Run(p.ctx) }) // it stops when the pair closes
		})
	}
	track := rtc.NewAudioTrack("audio", "raw"+strconv.Itoa(i))
	sender, err := pc.AddTrack(track)
	if err != nil {
		return nil, fmt.Errorf("adding the raw audio track: %w", err)
	}
	p.spawn(func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	})
	return track, nil
}

// exchange hands the offer and the answer from one peer connection to the
// other, each complete with its candidates (loopback host candidates are
// gathered at once).
func (p *rawPair) exchange(ctx context.Context) error {
	offer, err := p.describe(ctx, 0, func() (webrtc.SessionDescription, error) { return p.pcs[0].CreateOffer(nil) })
	if err != nil {
		return err
	}
	if err := p.pcs[1].SetRemoteDescription(offer); err != nil {
		return fmt.Errorf("setting the raw offer: %w", err)
	}
	answer, err := p.describe(ctx, 1, func() (webrtc.SessionDescription, error) { return p.pcs[1].CreateAnswer(nil) })
	if err != nil {
		return err
	}
	if err := p.pcs[0].SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("setting the raw answer: %w", err)
	}
	return nil
}

// describe creates peer connection i's description, sets it and returns
// it once ICE gathering is complete.
func (p *rawPair) describe(ctx context.Context, i int, create func() (webrtc.SessionDescription, error)) (webrtc.SessionDescription, error) {
	pc := p.pcs[i]
	sd, err := create()
	if err != nil {
		return sd, fmt.Errorf("creating a raw description: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(sd); err != nil {
		return sd, fmt.Errorf("setting a raw local description: %w", err)
	}
	select {
	case <-gathered:
		return *pc.LocalDescription(), nil
	case <-ctx.Done():
		return sd, fmt.Errorf("gathering raw candidates: %w", ctx.Err())
	}
}

// spawn runs f on a goroutine that close waits for, unless the pair is
// closed already.
func (p *rawPair) spawn(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.wg.Go(f)
}

// close stops the media goroutines, closes both peer connections and waits
// for the goroutines, for at most stepTimeout.
func (p *rawPair) close() error {
	return bounded("closing raw peer connections", p.shutdown)
}

func (p *rawPair) shutdown() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	for _, pc := range p.pcs {
		if pc != nil {
			_ = pc.Close() // closing a loopback peer connection has nothing to report
		}
	}
	p.wg.Wait()
}

package ocratest

import (
	"context"
	"log/slog"
	"maps"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/rtc"
)

// farEnds is the server's media endpoints and what they recorded.
type farEnds struct {
	// api builds the endpoints' peer connections: loopback only.
	api    func() (*webrtc.API, error)
	cb     *callbacks // nil without a callback URL
	ctx    context.Context
	cancel context.CancelFunc // called by close
	wg     sync.WaitGroup     // endpoints and the callback poster

	mu         sync.Mutex
	closed     bool
	dtmf       map[string]string            // identity -> keys received
	sipHeaders map[string]map[string]string // identity -> headers of its last call
	rooms      map[string]*room             // by conference id
}

// newFarEnds returns the far ends of a server with options o; with a
// callback URL, its callback poster runs until close.
func newFarEnds(o *options, log *slog.Logger) *farEnds {
	ctx, cancel := context.WithCancel(context.Background())
	f := &farEnds{
		api:        sync.OnceValues(func() (*webrtc.API, error) { return rtc.NewAPI(rtc.Config{Loopback: true}) }),
		cb:         newCallbacks(o, log),
		ctx:        ctx,
		cancel:     cancel,
		dtmf:       make(map[string]string),
		sipHeaders: make(map[string]map[string]string),
		rooms:      make(map[string]*room),
	}
	if f.cb != nil {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.cb.run(ctx)
		}()
	}
	return f
}

// start runs e, first handling first, unless the server is closing.
func (f *farEnds) start(e *endpoint, first func(closing <-chan struct{})) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		first(f.ctx.Done())
		e.run(f.ctx.Done())
	}()
	return true
}

// close ends every endpoint's call, drops the callbacks not yet posted
// and waits for their goroutines.
func (f *farEnds) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
	if f.cb != nil {
		f.cb.transport.CloseIdleConnections()
	}
}

// mediaOf returns the media of a phone or SIP far end that behaves as b.
func (f *farEnds) mediaOf(b Behaviour) media {
	if b.Answer == Echo {
		return &echoMedia{}
	}
	return newToneMedia(b.toneHz())
}

// recordDTMF appends a key that identity received.
func (f *farEnds) recordDTMF(identity string, key byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dtmf[identity] += string(key)
}

// recordSIPHeaders keeps the headers of a call to a SIP identity.
func (f *farEnds) recordSIPHeaders(identity string, headers map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sipHeaders[identity] = maps.Clone(headers)
}

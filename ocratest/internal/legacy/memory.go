package legacy

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
)

// Limits of MemoryBackend.
const (
	maxMemoryInstances = 1024
	maxMemoryCalls     = 1024
	maxMemoryReports   = 1024
)

// MemoryBackend is a Backend whose world is the 1.x clients of one facade:
// they call each other. Attach it to its facade before use (New does it for
// a facade made without a backend).
type MemoryBackend struct {
	mu        sync.Mutex
	facade    *Facade
	log       *slog.Logger
	instances map[string]Instance          // by id
	users     map[string][]string          // user -> instance ids, oldest first
	virtual   map[string]func()            // a call's virtual channel -> stop listening to it
	reports   map[string][]json.RawMessage // call id -> reports received
	order     []string                     // virtual channels, oldest first
}

// NewMemoryBackend returns an empty world.
func NewMemoryBackend() *MemoryBackend {
	return &MemoryBackend{instances: map[string]Instance{}, users: map[string][]string{},
		virtual: map[string]func(){}, reports: map[string][]json.RawMessage{}, log: slog.New(slog.DiscardHandler)}
}

// Attach makes f the facade through which b delivers to its clients.
func (b *MemoryBackend) Attach(f *Facade) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.facade, b.log = f, f.log
}

func randomKey(n int) []byte {
	k := make([]byte, n)
	rand.Read(k) // never fails
	return k
}

func newUUID() string {
	b := randomKey(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// CreateInstance implements Backend. Channel names are opaque: a random
// UUID with a suffix, unrelated to the instance id, as Sinch's are.
func (b *MemoryBackend) CreateInstance(user, renew string) (Instance, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in, ok := b.instances[renew]; ok && renew != "" && in.User == user {
		return in, nil
	}
	if len(b.instances) >= maxMemoryInstances {
		return Instance{}, fmt.Errorf("legacy: the fake holds %d instances already", maxMemoryInstances)
	}
	ch := newUUID()
	in := Instance{ID: newUUID(), User: user, Broadcast: ch + "B", Signal: ch + "S", Transport: ch + "T", Key: randomKey(16)}
	b.instances[in.ID] = in
	b.users[user] = append(b.users[user], in.ID)
	return in, nil
}

// Instances returns the instances of user, oldest first.
func (b *MemoryBackend) Instances(user string) []Instance {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Instance
	for _, id := range b.users[user] {
		out = append(out, b.instances[id])
	}
	return out
}

// PlaceCall implements Backend: every instance of the callee gets an Invite.
func (b *MemoryBackend) PlaceCall(from Instance, call Call) (Route, error) {
	if call.Domain != "data" {
		return Route{}, ErrUserNotFound
	}
	callees := b.Instances(call.Callee)
	if len(callees) == 0 {
		return Route{}, ErrUserNotFound
	}
	route := Route{SignalChannel: call.ID + "V", Key: randomKey(16)}
	inv := Invite{CallID: call.ID, CallerUser: from.User, CallerFromID: from.ID + ":" + call.SubInstanceID,
		CallerDevice: from.ID, CallerSignal: from.Signal, Key: route.Key, Offer: call.Offer, HeadersJSON: call.HeadersJSON}
	var signals []string
	b.mu.Lock()
	f := b.facade
	b.mu.Unlock()
	for _, c := range callees {
		frames, err := inv.Frames(c.Key)
		if err != nil {
			return Route{}, err
		}
		for _, fr := range frames {
			f.Deliver(c.Broadcast, fr)
		}
		signals = append(signals, c.Signal)
		route.Instances = append(route.Instances, RouteInstance{ID: c.ID, Capabilities: []string{"online", "voip", "p2p", "srtp"}})
	}
	// What the caller publishes on the virtual channel reaches the callee
	// devices' signal channels.
	pn := f.PubNub()
	stop := pn.Listen(route.SignalChannel, func(m string) {
		for _, s := range signals {
			if err := pn.PublishSignal(s, m); err != nil {
				f.log.Debug("legacy: virtual channel message dropped", "err", err)
			}
		}
	})
	b.mu.Lock()
	if len(b.order) >= maxMemoryCalls {
		b.virtual[b.order[0]]()
		delete(b.virtual, b.order[0])
		b.order = b.order[1:]
	}
	b.virtual[route.SignalChannel] = stop
	b.order = append(b.order, route.SignalChannel)
	b.mu.Unlock()
	return route, nil
}

// close stops reading the virtual channels.
func (b *MemoryBackend) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, stop := range b.virtual {
		stop()
	}
	b.virtual, b.order = map[string]func(){}, nil
}

// CallReport implements Backend: reports are kept for Reports.
func (b *MemoryBackend) CallReport(from Instance, callID string, report json.RawMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.reports[callID]; !ok && len(b.reports) >= maxMemoryReports {
		return
	}
	if len(b.reports[callID]) < 8 {
		b.reports[callID] = append(b.reports[callID], report)
	}
}

// Reports returns the call reports received for a call.
func (b *MemoryBackend) Reports(callID string) []json.RawMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]json.RawMessage(nil), b.reports[callID]...)
}

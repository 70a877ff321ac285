package ocratest

import "sync"

// room is a conference: each member hears the sum of the others' audio,
// clipped to 16 bits, and never its own voice. Members join and leave at
// any time; the room is forgotten when the last one leaves.
type room struct {
	id   string
	far  *farEnds
	mu   sync.Mutex
	from map[*member]map[*member]*fifo // listener -> speaker -> audio not yet heard
}

// member is one participant's media in a room; it implements media.
type member struct {
	room    *room
	acc     []int32 // sender goroutine only
	scratch []int16 // sender goroutine only
}

// joinRoom adds a member to the conference id, creating it on first use.
func (f *farEnds) joinRoom(id string) *member {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rooms[id]
	if r == nil {
		r = &room{id: id, far: f, from: make(map[*member]map[*member]*fifo)}
		f.rooms[id] = r
	}
	m := &member{room: r}
	r.mu.Lock()
	defer r.mu.Unlock()
	queues := make(map[*member]*fifo, len(r.from))
	for other, theirs := range r.from {
		queues[other] = &fifo{}
		theirs[m] = &fifo{}
	}
	r.from[m] = queues
	return m
}

// ConferenceParticipants returns how many participants are in the
// conference id now (0 when nobody is).
func (s *Server) ConferenceParticipants(id string) int {
	f := s.far
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rooms[id]
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.from)
}

// next mixes what the other members said since the last frame.
func (m *member) next(frame []int16) {
	if len(m.acc) < len(frame) {
		m.acc, m.scratch = make([]int32, len(frame)), make([]int16, len(frame))
	}
	acc := m.acc[:len(frame)]
	clear(acc)
	r := m.room
	r.mu.Lock()
	for _, q := range r.from[m] {
		q.mixInto(acc, m.scratch)
	}
	r.mu.Unlock()
	for i, v := range acc {
		frame[i] = clip16(v)
	}
}

// hear gives what m said to every other member.
func (m *member) hear(frame []int16) {
	r := m.room
	r.mu.Lock()
	defer r.mu.Unlock()
	for listener, queues := range r.from {
		if q := queues[m]; listener != m && q != nil {
			q.write(frame)
		}
	}
}

// close removes m from its room, and the room from the server when m was
// the last member.
func (m *member) close() {
	r := m.room
	r.mu.Lock()
	delete(r.from, m)
	for _, queues := range r.from {
		delete(queues, m)
	}
	empty := len(r.from) == 0
	r.mu.Unlock()
	if !empty {
		return
	}
	f := r.far
	f.mu.Lock()
	defer f.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.rooms[r.id] == r && len(r.from) == 0 {
		delete(f.rooms, r.id)
	}
}

package mxp

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedFrames returns real frames: every method in one part, and an Invite
// in several.
func seedFrames(t testing.TB) [][]string {
	var out [][]string
	for m := Invite; m <= PeerEvent; m++ {
		frames, err := Encode("call-1", testKey, &Message{Method: m, Body: "b", NVPs: map[string]string{NVPTo: "i"}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frames)
	}
	frames, err := Encode("call-2", testKey, invite(t, 3000))
	if err != nil {
		t.Fatal(err)
	}
	// What we send and what Sinch peers may send (testdata/golden): parts
	// of our size and of 3 KiB.
	return append(append(out, frames), goldenFrames(t)...)
}

func FuzzParseFrame(f *testing.F) {
	for _, frames := range seedFrames(f) {
		for _, s := range frames {
			f.Add(s)
		}
	}
	for _, s := range []string{"", "10", "10 c - 0 1 ", "10 c 1 0 2 QQ==", "10 c 01 0 2 QQ==", "10 c - 00 1 QQ=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fr, err := ParseFrame(s)
		if err != nil {
			return
		}
		if got := fr.String(); got != s {
			t.Fatalf("ParseFrame(%q).String() = %q", s, got)
		}
		if _, _, err := NewReassembler(1, time.Minute).Add(fr, time.Time{}); err != nil {
			t.Fatalf("Reassembler refused a parsed frame %q: %v", s, err)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	for _, frames := range seedFrames(f) {
		var payload strings.Builder
		for _, s := range frames {
			fr, err := ParseFrame(s)
			if err != nil {
				f.Fatal(err)
			}
			payload.WriteString(fr.Data)
		}
		f.Add(payload.String())
	}
	for _, plaintext := range goldenPlaintexts(f) { // sealed with the fuzz key
		payload, err := Seal(testKey, plaintext)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload)
	}
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Fuzz(func(t *testing.T, payload string) {
		m, err := DecodeMessage(testKey, payload)
		if err != nil {
			return
		}
		checkReencodes(t, m)
	})
}

// FuzzDecodePlaintext reaches the JSON checks behind the encryption, which
// random payloads almost never get past.
func FuzzDecodePlaintext(f *testing.F) {
	for _, s := range []string{
		`{"md":1,"bv":10,"nvps":{"sdp":"v=0","key":"k"}}`,
		`{"md":10,"bv":10,"bt":"sdp","bd":"{\"candidate\":\"c\"}","fu":"u","fi":"i:0","fd":"i","fsi":"0","fs":"s.i"}`,
		`{"md":1,"bv":9}`,
		`{"md":1,"bv":10,"x":[[[[[[]]]]]]}`,
		`{"md":1,"bv":10,"nvps":{"a":1}}`,
		`{"md":1.5,"bv":10}`,
		`null`,
		`{"md":2,"bt":"sdp","bd":"{}"}`,
		`{"md":4,"bv":0,"bt":"client","bd":"{\"userId\":\"u\",\"instanceId\":\"i\"}"}`,
	} {
		f.Add([]byte(s))
	}
	for _, plaintext := range goldenPlaintexts(f) {
		f.Add(plaintext)
	}
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		payload, err := Seal(testKey, plaintext)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeMessage(testKey, payload)
		if err != nil {
			return
		}
		checkReencodes(t, m)
	})
}

// checkReencodes requires a decoded message to survive another round trip.
func checkReencodes(t *testing.T, m *Message) {
	t.Helper()
	payload, err := EncodeMessage(testKey, m)
	if err != nil {
		t.Fatalf("decoded message %+v does not encode: %v", m, err)
	}
	again, err := DecodeMessage(testKey, payload)
	if err != nil {
		t.Fatalf("re-encoded message %+v does not decode: %v", m, err)
	}
	if !messagesEqual(m, again) {
		t.Fatalf("round trip changed %+v into %+v", m, again)
	}
}

func messagesEqual(a, b *Message) bool {
	// maps.Equal treats nil and empty alike, as omitempty does.
	return maps.Equal(a.NVPs, b.NVPs) && reflect.DeepEqual(withoutNVPs(*a), withoutNVPs(*b))
}

func withoutNVPs(m Message) Message {
	m.NVPs = nil
	return m
}

// FuzzReassembler feeds newline-separated frames, one second apart, to a
// small Reassembler and checks that it stays within its bounds.
func FuzzReassembler(f *testing.F) {
	for _, frames := range seedFrames(f) {
		f.Add(strings.Join(frames, "\n"))
		reversed := slices.Clone(frames)
		slices.Reverse(reversed)
		f.Add(strings.Join(append(reversed, reversed...), "\n"))
	}
	f.Add("10 c 1 0 3 AA\n10 c 1 1 2 BB\n10 c 1 1 3 CC\n10 c 2 0 2 DD\n10 c 3 0 2 EE\n10 c 4 1 2 FF\n10 c 1 2 3 GG")
	const maxPending, ttl = 3, 5 * time.Second
	f.Fuzz(func(t *testing.T, input string) {
		r := NewReassembler(maxPending, ttl)
		now := time.Unix(1700000000, 0)
		for line := range strings.SplitSeq(input, "\n") {
			now = now.Add(time.Second)
			fr, err := ParseFrame(line)
			if err != nil {
				continue
			}
			payload, complete, err := r.Add(fr, now)
			if complete && (err != nil || payload == "" || len(payload) > fr.Total*MaxPartLen) {
				t.Fatalf("complete message with payload of %d characters, error %v", len(payload), err)
			}
			checkPending(t, r, now)
		}
	})
}

func checkPending(t *testing.T, r *Reassembler, now time.Time) {
	t.Helper()
	if len(r.pending) > r.maxPending {
		t.Fatalf("%d messages pending, limit %d", len(r.pending), r.maxPending)
	}
	for key, p := range r.pending {
		have := 0
		for _, s := range p.parts {
			if s != "" {
				have++
			}
		}
		if have != p.received || have >= len(p.parts) || now.Sub(p.first) > r.ttl {
			t.Fatalf("message %v: %d of %d parts, counted %d, first %v at %v", key, have, len(p.parts), p.received, p.first, now)
		}
	}
}

// FuzzParseClient checks the decoder of Joined bodies, both shapes.
func FuzzParseClient(f *testing.F) {
	f.Add(`{"fi":"i:0","fu":"u","userId":"u","instanceId":"i","channel":"c","domain":"mxp"}`)
	f.Add(`{"userId":"u","instanceId":"i","channel":"c","domain":"mxp"}`)
	f.Add(`{"fi":"i"}`)
	f.Add(`{"fi":""}`)
	f.Add(`i:0`)
	f.Fuzz(func(t *testing.T, body string) {
		c, err := ParseClient(body)
		if err != nil {
			return
		}
		if c.FI == "" && c.InstanceID == "" {
			t.Fatalf("accepted a body that names no device: %q", body)
		}
		id := c.FI
		if id == "" {
			id = c.InstanceID
		}
		if !c.Names(id, "") || !c.Names("", id) {
			t.Fatalf("%+v does not name its own id %q", c, id)
		}
	})
}

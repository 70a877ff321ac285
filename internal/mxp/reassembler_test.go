package mxp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1700000000, 0)

func part(session, msgID string, part, total int, data string) Frame {
	return Frame{SessionID: session, MsgID: msgID, Part: part, Total: total, Data: data}
}

// add adds f and requires no error.
func add(t *testing.T, r *Reassembler, f Frame, now time.Time) (string, bool) {
	t.Helper()
	payload, complete, err := r.Add(f, now)
	require.NoError(t, err)
	return payload, complete
}

func TestReassemblerSinglePart(t *testing.T) {
	r := NewReassembler(1, time.Second)
	payload, complete := add(t, r, part("c", "-", 0, 1, "QUJD"), t0)
	assert.True(t, complete)
	assert.Equal(t, "QUJD", payload)

	// A numbered message of one part is complete at once too.
	payload, complete = add(t, r, part("c", "9", 0, 1, "RUZH"), t0)
	assert.True(t, complete)
	assert.Equal(t, "RUZH", payload)
}

func TestReassemblerAnyOrderAndDuplicates(t *testing.T) {
	r := NewReassembler(4, time.Minute)
	for _, f := range []Frame{
		part("c", "1", 2, 3, "CC"),
		part("c", "1", 0, 3, "AA"),
		part("c", "1", 2, 3, "XX"), // duplicate: the first copy stays
		part("c", "1", 0, 3, "AA"),
	} {
		_, complete := add(t, r, f, t0)
		assert.False(t, complete)
	}
	payload, complete := add(t, r, part("c", "1", 1, 3, "BB"), t0)
	assert.True(t, complete)
	assert.Equal(t, "AABBCC", payload)
}

func TestReassemblerKeysBySessionAndMessage(t *testing.T) {
	r := NewReassembler(4, time.Minute)
	add(t, r, part("c1", "1", 0, 2, "A1"), t0)
	add(t, r, part("c2", "1", 0, 2, "A2"), t0)
	add(t, r, part("c1", "2", 0, 2, "B1"), t0)

	payload, complete := add(t, r, part("c2", "1", 1, 2, "Z2"), t0)
	assert.True(t, complete)
	assert.Equal(t, "A2Z2", payload)
	payload, complete = add(t, r, part("c1", "1", 1, 2, "Z1"), t0)
	assert.True(t, complete)
	assert.Equal(t, "A1Z1", payload)
}

func TestReassemblerInconsistentTotal(t *testing.T) {
	r := NewReassembler(4, time.Minute)
	add(t, r, part("c", "1", 0, 3, "AA"), t0)
	_, _, err := r.Add(part("c", "1", 1, 2, "BB"), t0)
	assert.ErrorContains(t, err, "part total changed from 3 to 2")

	// The message was dropped: its remaining parts do not complete it.
	add(t, r, part("c", "1", 1, 3, "BB"), t0)
	_, complete := add(t, r, part("c", "1", 2, 3, "CC"), t0)
	assert.False(t, complete)
}

func TestReassemblerRejectsInvalidFrame(t *testing.T) {
	r := NewReassembler(4, time.Minute)
	for _, f := range []Frame{
		part("c", "1", 3, 3, "AA"),
		part("c", "1", -1, 3, "AA"),
		part("c", "1", 0, MaxParts+1, "AA"),
		part("c", "-", 0, 2, "AA"),
		part("c", "1", 0, 2, ""),
		part("", "1", 0, 2, "AA"),
	} {
		_, _, err := r.Add(f, t0)
		assert.Error(t, err, "%+v", f)
	}
}

func TestReassemblerEvictsOldest(t *testing.T) {
	r := NewReassembler(2, time.Hour)
	add(t, r, part("c", "1", 0, 2, "A1"), t0)
	add(t, r, part("c", "2", 0, 2, "A2"), t0.Add(time.Second))
	add(t, r, part("c", "3", 0, 2, "A3"), t0.Add(2*time.Second)) // evicts message 1

	payload, complete := add(t, r, part("c", "2", 1, 2, "B2"), t0.Add(3*time.Second))
	assert.True(t, complete)
	assert.Equal(t, "A2B2", payload)
	payload, complete = add(t, r, part("c", "3", 1, 2, "B3"), t0.Add(3*time.Second))
	assert.True(t, complete)
	assert.Equal(t, "A3B3", payload)

	// Message 1 starts over: its second part alone is not enough.
	_, complete = add(t, r, part("c", "1", 1, 2, "B1"), t0.Add(3*time.Second))
	assert.False(t, complete)
}

func TestReassemblerTTL(t *testing.T) {
	r := NewReassembler(4, 10*time.Second)
	add(t, r, part("c", "1", 0, 2, "A1"), t0)
	add(t, r, part("c", "2", 0, 2, "A2"), t0)

	// At exactly ttl a message is still kept.
	payload, complete := add(t, r, part("c", "2", 1, 2, "B2"), t0.Add(10*time.Second))
	assert.True(t, complete)
	assert.Equal(t, "A2B2", payload)

	_, complete = add(t, r, part("c", "1", 1, 2, "B1"), t0.Add(10*time.Second+1))
	assert.False(t, complete, "message 1 expired before its last part came")
}

func TestReassemblerDefaults(t *testing.T) {
	r := NewReassembler(0, -1)
	for i := range DefaultMaxPending {
		add(t, r, part("c", strconv.Itoa(i+1), 0, 2, "AA"), t0)
	}
	assert.Len(t, r.pending, DefaultMaxPending)
	add(t, r, part("c", "1000", 0, 2, "AA"), t0)
	assert.Len(t, r.pending, DefaultMaxPending, "bounded")

	add(t, r, part("c", "1001", 0, 2, "AA"), t0.Add(DefaultReassemblyTTL+1))
	assert.Len(t, r.pending, 1, "everything older than the default TTL dropped")
}

// TestReassemblerLargePartsTotalBounded: parts of a few KiB are taken, but
// one message's parts together may not exceed the payload of a
// MaxMessageSize message.
func TestReassemblerLargePartsTotalBounded(t *testing.T) {
	r := NewReassembler(4, time.Minute)
	big := strings.Repeat("A", MaxPartLen)
	_, complete := add(t, r, part("c", "5", 1, 2, big[:3<<10]), t0)
	assert.False(t, complete)
	payload, complete := add(t, r, part("c", "5", 0, 2, big), t0)
	require.True(t, complete)
	assert.Len(t, payload, MaxPartLen+3<<10)

	n := maxPayloadLen / MaxPartLen // parts that fit
	for i := range n {
		add(t, r, part("c", "6", i, MaxParts, big), t0)
	}
	_, _, err := r.Add(part("c", "6", n, MaxParts, big), t0)
	assert.ErrorContains(t, err, "parts exceed")
	assert.Empty(t, r.pending, "the oversized message is dropped")
}

package mxp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFrame(t *testing.T) {
	for s, want := range map[string]Frame{
		"10 call-1 - 0 1 QUJD":            {SessionID: "call-1", MsgID: "-", Part: 0, Total: 1, Data: "QUJD"},
		"10 c 12345 2 3 YQ==":             {SessionID: "c", MsgID: "12345", Part: 2, Total: 3, Data: "YQ=="},
		"10 c 7 0 1 a+/9":                 {SessionID: "c", MsgID: "7", Part: 0, Total: 1, Data: "a+/9"},
		"10 c 0012 63 64 AAAA":            {SessionID: "c", MsgID: "0012", Part: 63, Total: 64, Data: "AAAA"},
		"10 7f1c:aa-bb_cc - 0 1 Zm9vYg==": {SessionID: "7f1c:aa-bb_cc", MsgID: "-", Part: 0, Total: 1, Data: "Zm9vYg=="},
	} {
		got, err := ParseFrame(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		assert.Equal(t, s, got.String(), "re-serialises")
	}
}

func TestParseFrameRejects(t *testing.T) {
	long := strings.Repeat("A", MaxPartLen+1)
	for s, want := range map[string]string{
		"":                                               "1 space-separated fields",
		"garbage":                                        "1 space-separated fields",
		"10 call-1 - 0 1":                                "5 space-separated fields", // truncated
		"10 call-1 - 0 1 QUJD x":                         "7 space-separated fields",
		"10  call-1 - 0 1 QUJD":                          "7 space-separated fields",
		"10 call-1 - 0 1 QUJD ":                          "7 space-separated fields",
		"9 call-1 - 0 1 QUJD":                            "version is not 10",
		"010 call-1 - 0 1 QUJD":                          "version is not 10",
		"10 call-1 - x 1 QUJD":                           "part number",
		"10 call-1 - 00 1 QUJD":                          "part number",
		"10 call-1 - +0 1 QUJD":                          "part number",
		"10 call-1 - -1 1 QUJD":                          "part number",
		"10 call-1 - 0 01 QUJD":                          "part total",
		"10 call-1 - 0 1000 QUJD":                        "part total",
		"10 call-1 5 0 0 QUJD":                           "part total 0 is outside 1..128",
		"10 call-1 5 0 129 QUJD":                         "part total 129 is outside 1..128",
		"10 call-1 5 3 3 QUJD":                           "part 3 is outside 0..2",
		"10 call-1 - 0 2 QUJD":                           `message id "-" has 2 parts`,
		"10 call-1 -5 0 2 QUJD":                          "message id",
		"10 call-1 1a 0 2 QUJD":                          "message id",
		"10 call-1 0x1 0 2 QUJD":                         "message id",
		"10 call-1 -- 0 1 QUJD":                          "message id",
		"10 call-1 - 0 1 QU JD":                          "7 space-separated fields",
		"10 call-1 - 0 1 QU-JD":                          "base64 alphabet",
		"10 call-1 - 0 1 QUJD\n":                         "base64 alphabet",
		"10 call\t1 - 0 1 QUJD":                          "session id",
		"10 call\u00e91 - 0 1 QUJD":                      "session id",
		"10 call-1 - 0 1 " + long:                        "8193 characters is outside 1..8192",
		"10 call-1 123456789012345678901 0 2 QUJD":       "up to 20 decimal digits",
		"10 " + strings.Repeat("s", 129) + " - 0 1 QUJD": "session id",
	} {
		_, err := ParseFrame(s)
		assert.ErrorContains(t, err, want, "%.60q", s)
	}
}

func TestParseFrameRejectsEmptyFields(t *testing.T) {
	for _, s := range []string{
		"10  - 0 1 QUJD",
		"10 c  0 1 QUJD",
		"10 c - 0 1 ",
	} {
		_, err := ParseFrame(s)
		assert.Error(t, err, "%q", s)
	}
}

// uuid is a call id as the SDK makes them: 36 characters.
const uuid = "0b3c7a52-5d1e-4c1f-9a8e-2f6d4b7c9e10"

func TestSendPartLen(t *testing.T) {
	assert.Equal(t, 1448, SendPartLen(uuid, "-"), "one part of a UUID call: 1500-36-1-15")
	assert.Equal(t, 1439, SendPartLen(uuid, "1234567890"))
	assert.Equal(t, 1483, SendPartLen("c", "-"))
}

func TestSplitSinglePart(t *testing.T) {
	payload := strings.Repeat("Q", SendPartLen(uuid, "-"))
	frames := Split(uuid, payload)
	require.Equal(t, []string{"10 " + uuid + " - 0 1 " + payload}, frames)
}

func TestSplitParts(t *testing.T) {
	for _, session := range []string{"c", uuid, strings.Repeat("s", maxSessionIDLen)} {
		payload := strings.Repeat("Q", 2*SendPartLen(session, "-")) + "xyz"
		frames := Split(session, payload)
		var data strings.Builder
		for i, s := range frames {
			f, err := ParseFrame(s)
			require.NoError(t, err)
			assert.Equal(t, i, f.Part)
			assert.Equal(t, len(frames), f.Total)
			assert.LessOrEqual(t, len(f.Data), SendPartLen(session, f.MsgID), "part %d of session %q", i, session)
			if i < len(frames)-1 {
				assert.Equal(t, SendPartLen(session, f.MsgID), len(f.Data), "parts are as long as the rule allows")
			}
			data.WriteString(f.Data)
		}
		assert.Len(t, frames, 3)
		assert.Equal(t, payload, data.String())
	}
}

func TestSplitUsesFreshMessageIDs(t *testing.T) {
	payload := strings.Repeat("Q", SendPartLen(uuid, "-")+1)
	ids := make(map[string]bool)
	for range 20 {
		f, err := ParseFrame(Split(uuid, payload)[0])
		require.NoError(t, err)
		ids[f.MsgID] = true
	}
	// 20 draws from 2^31 values: a repeat is a bug, not bad luck.
	assert.Len(t, ids, 20)
}

// TestParseFrameAcceptsLargeParts: a Sinch peer may send parts of a few
// KiB; up to MaxPartLen (8 KiB) is taken.
func TestParseFrameAcceptsLargeParts(t *testing.T) {
	for _, n := range []int{3 << 10, MaxPartLen} {
		data := strings.Repeat("A", n)
		f, err := ParseFrame("10 " + uuid + " 77 0 2 " + data)
		require.NoError(t, err, "part of %d characters", n)
		assert.Equal(t, data, f.Data)
	}
}

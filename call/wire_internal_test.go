package call

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/session"
)

// describedSession is a session that describes its instance for call
// reports; only the methods callReport uses are implemented.
type describedSession struct{ session.Session }

func (describedSession) UserID() string   { return "alice" }
func (describedSession) DeviceID() string { return "alice-laptop" }
func (describedSession) ClientVersion() ocra.Version {
	return ocra.Version{OS: "linux", Platform: "go1.26", SDK: "0.1.0"}
}

func TestCallReportHasTheFullShape(t *testing.T) {
	ctl := &Controller{s: describedSession{}, log: slog.New(slog.DiscardHandler)}
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newCall(ctl, callParams{id: "call-1", dir: Outbound, remote: "bob", startedAt: start})
	c.publish(Ended, func(d *Details) {
		d.EstablishedTime = start.Add(time.Second)
		d.EndedTime = start.Add(11 * time.Second)
		d.EndCause = HungUp
	})
	rep := callReport(ctl.s, peer{instance: "inst-a", fi: "inst-a:0"}, c)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, rep.ReportID)
	rep.ReportID = ""
	assert.Equal(t, ocra.CallReport{
		CallID:       "call-1",
		Instance:     ocra.ReportInstance{ID: "inst-a", DeviceID: "alice-laptop", Version: ocra.Version{OS: "linux", Platform: "go1.26", SDK: "0.1.0"}},
		UserID:       "alice",
		Direction:    "outbound",
		RemoteUserID: "bob",
		StartTime:    start,
		EndTime:      start.Add(11 * time.Second),
		Duration:     10,
		Result:       "HungUp",
	}, rep)
	assert.NotEqual(t, callReport(ctl.s, peer{}, c).ReportID, callReport(ctl.s, peer{}, c).ReportID, "one id per report")
}

// sealedInvite seals an Invite's JSON with key.
func sealedInvite(t *testing.T, key []byte, json string) string {
	t.Helper()
	payload, err := mxp.Seal(key, []byte(json))
	require.NoError(t, err)
	return payload
}

// TestParseInviteKeySizes: 16-, 24- and 32-byte instance and session keys
// are taken, and an Invite without bv (2.x) too.
func TestParseInviteKeySizes(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		instanceKey := bytes.Repeat([]byte{1}, n)
		sessionKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, n))
		in, err := parseInvite(instanceKey, "call-1", sealedInvite(t, instanceKey,
			`{"md":1,"bt":"media","fu":"alice","fi":"ia:7","fd":"ia","fs":"chan-a","fc":"",`+
				`"nvps":{"key":"`+sessionKey+`","sdp":"{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}","to":"ib"}}`))
		require.NoError(t, err, "%d-byte keys", n)
		assert.Len(t, in.key, n)
		assert.Equal(t, peer{instance: "ia", fi: "ia:7", channel: "chan-a", user: "alice"}, in.caller)
	}
	for _, n := range []int{8, 20, 33} {
		key := bytes.Repeat([]byte{1}, 32)
		_, err := parseInvite(key, "call-1", sealedInvite(t, key,
			`{"md":1,"fu":"alice","fd":"ia","fs":"c","nvps":{"key":"`+base64.StdEncoding.EncodeToString(make([]byte, n))+`","sdp":"{}"}}`))
		assert.ErrorContains(t, err, "no usable session key", "%d-byte session key", n)
	}
}

// TestParseInviteNeedsTheCallersChannel: the callee answers on the channel
// the Invite names (fs); it never makes one up from the caller's id.
func TestParseInviteNeedsTheCallersChannel(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 16)
	_, err := parseInvite(key, "call-1", sealedInvite(t, key,
		`{"md":1,"bv":10,"fu":"alice","fi":"ia:0","fd":"ia","nvps":{"key":"`+base64.StdEncoding.EncodeToString(key)+`","sdp":"{}"}}`))
	assert.ErrorContains(t, err, "signal channel")
}

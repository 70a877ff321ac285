package ocratest

import (
	"encoding/json"
	"testing"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// FuzzSVAML feeds arbitrary ICE answers to the router: it never panics, and
// every route it returns is a valid destination.
func FuzzSVAML(f *testing.F) {
	f.Add([]byte(`{"action":{"name":"connectMxp","destination":{"type":"username","endpoint":"bob"},"callHeaders":[{"key":"a","value":"b"}]}}`))
	f.Add([]byte(`{"action":{"name":"connectPstn","number":"+15550001"}}`))
	f.Add([]byte(`{"action":{"name":"connectConf","conferenceId":"room"}}`))
	f.Add([]byte(`{"action":{"name":"connectSip","destination":{"type":"sip","endpoint":"a@b"}}}`))
	f.Add([]byte(`{"action":{"name":"hangup"}}`))
	f.Add([]byte(`{"instructions":[{"name":"say"}]}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		var svaml SVAML
		if json.Unmarshal(answer, &svaml) != nil {
			return
		}
		dialled := target{dest: ocra.Destination{Domain: domainPhone, Type: ocra.DestPhoneNumber, Identity: "+15550001"}}
		got, err := applySVAML(dialled, svaml.Action)
		if err != nil || got.hangup {
			return
		}
		if peerTypes[got.dest.Type] == "" || got.dest.Identity == "" {
			t.Errorf("answer %q routes to %+v", answer, got.dest)
		}
	})
}

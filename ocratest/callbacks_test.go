package ocratest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// backend is an application backend receiving voice callbacks. It checks
// every signature and answers ICE with answerICE.
type backend struct {
	*httptest.Server
	appKey, appSecret string

	mu        sync.Mutex
	got       []ocratest.CallbackEvent
	answerICE func(ocratest.CallbackEvent) ocratest.SVAML
	badSigned int
}

func newBackend(t *testing.T) *backend {
	b := &backend{appKey: "0b3c7a52-5d1e-4c1f-9a8e-2f6d4b7c9e10", appSecret: base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))}
	secret, err := ocra.DecodeSecret(b.appSecret)
	require.NoError(t, err)
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, apiErr := ocra.VerifyRequest(r, body, ocra.SchemeApplication, time.Now(), func(id string) ([]byte, bool) {
			return secret, id == b.appKey
		})
		var e ocratest.CallbackEvent
		decodeErr := json.Unmarshal(body, &e)
		b.mu.Lock()
		defer b.mu.Unlock()
		if apiErr != nil || decodeErr != nil {
			b.badSigned++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b.got = append(b.got, e)
		if e.Event == "ice" && b.answerICE != nil {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(b.answerICE(e))
		}
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) events() []ocratest.CallbackEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

// names returns the event names received for call id.
func (b *backend) names(id string) []string {
	var names []string
	for _, e := range b.events() {
		if e.CallID == id {
			names = append(names, e.Event)
		}
	}
	return names
}

func (b *backend) server(t *testing.T, opts ...ocratest.Option) *ocratest.Server {
	return newServer(t, append(opts, ocratest.WithCallbackURL(b.URL), ocratest.WithApplication(b.appKey, b.appSecret))...)
}

func TestCallbacksOfAnAppToAppCall(t *testing.T) {
	b := newBackend(t)
	srv := b.server(t)
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	calls := incoming(bob, toneB)

	c, err := alice.CallController().CallUser("bob", map[string]string{"topic": "lunch"})
	require.NoError(t, err)
	out := track(c, toneA)
	out.waitEstablished(t)
	in := next(t, calls)
	in.waitEstablished(t)
	require.NoError(t, c.Hangup())
	out.waitEnded(t)
	in.waitEnded(t)

	require.Eventually(t, func() bool { return len(b.names(c.ID())) == 3 }, waitTimeout, 10*time.Millisecond)
	assert.Equal(t, []string{"ice", "ace", "dice"}, b.names(c.ID()))
	assert.Zero(t, b.badSigned, "every callback is signed with the application secret")
	events := b.events()
	ice, dice := events[0], events[2]
	assert.Equal(t, ocratest.CallbackEvent{
		Event: "ice", CallID: c.ID(), Timestamp: ice.Timestamp, Version: 1, ApplicationKey: b.appKey,
		User: "alice", To: &ocratest.CallbackPeer{Type: "username", Endpoint: "bob"},
		Domain: "mxp", OriginationType: "mxp", CallHeaders: []ocratest.CallHeader{{Key: "topic", Value: "lunch"}},
	}, ice)
	_, err = time.Parse(time.RFC3339, ice.Timestamp)
	assert.NoError(t, err)
	assert.Equal(t, "ANSWERED", dice.Result)
	assert.Equal(t, "N/A", dice.Reason, "the server does not see who hung up")
	require.NotNil(t, dice.Duration)
	assert.Equal(t, "alice", dice.From)
}

func TestConnectMxpRedirectsTheCall(t *testing.T) {
	b := newBackend(t)
	b.answerICE = func(e ocratest.CallbackEvent) ocratest.SVAML {
		return ocratest.SVAML{Action: &ocratest.SVAMLAction{
			Name:        "connectMxp",
			Destination: &ocratest.CallbackPeer{Type: "username", Endpoint: "bob"},
			CallHeaders: []ocratest.CallHeader{{Key: "redirected-from", Value: e.To.Endpoint}},
		}}
	}
	srv := b.server(t)
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	calls := incoming(bob, toneB)

	c, err := alice.CallController().CallUser("support", map[string]string{"topic": "help"})
	require.NoError(t, err)
	out := track(c, toneA)
	in := next(t, calls)
	assert.Equal(t, map[string]string{"topic": "help", "redirected-from": "support"}, in.Headers())
	assert.Equal(t, "alice", in.RemoteUserID())
	out.waitEstablished(t)
	out.listen(t, 500*time.Millisecond)
	assertHears(t, out, toneB, toneA)
	require.NoError(t, c.Hangup())
	out.waitEnded(t)
}

func TestSVAMLRoutesToFarEnds(t *testing.T) {
	b := newBackend(t)
	b.answerICE = func(e ocratest.CallbackEvent) ocratest.SVAML {
		switch e.To.Endpoint {
		case "phone":
			return ocratest.SVAML{Action: &ocratest.SVAMLAction{Name: "connectPstn", Number: "+15550001"}}
		case "room":
			return ocratest.SVAML{Action: &ocratest.SVAMLAction{Name: "connectConf", ConferenceID: "the-room"}}
		}
		return ocratest.SVAML{Action: &ocratest.SVAMLAction{Name: "hangup"}}
	}
	srv := b.server(t, ocratest.WithPhoneNumber("+15550001", ocratest.Behaviour{ToneHz: toneC}))
	alice := startClient(t, srv, "alice")

	c, err := alice.CallController().CallUser("phone", nil)
	require.NoError(t, err)
	phone := track(c, toneA)
	phone.waitEstablished(t)
	phone.listen(t, 500*time.Millisecond)
	assertHears(t, phone, toneC, toneA)

	c, err = alice.CallController().CallUser("room", nil)
	require.NoError(t, err)
	room := track(c, toneA)
	room.waitEstablished(t)
	assert.Equal(t, 1, srv.ConferenceParticipants("the-room"))

	c, err = alice.CallController().CallUser("anyone", nil)
	require.NoError(t, err)
	refused := track(c, toneA)
	refused.waitEnded(t)
	assert.Equal(t, call.Denied, refused.Details().EndCause)

	for _, tc := range []*tracked{phone, room} {
		require.NoError(t, tc.Hangup())
		tc.waitEnded(t)
	}
	require.Eventually(t, func() bool { return srv.ConferenceParticipants("the-room") == 0 }, waitTimeout, 10*time.Millisecond)
	require.Eventually(t, func() bool { return slices.Equal(b.names(phone.ID()), []string{"ice", "ace", "dice"}) },
		waitTimeout, 10*time.Millisecond, "phone call callbacks: %v", b.names(phone.ID()))
	dice := b.events()[len(b.events())-1]
	assert.Equal(t, "dice", dice.Event)
	require.Eventually(t, func() bool { return len(b.names(refused.ID())) == 2 }, waitTimeout, 10*time.Millisecond)
	assert.Equal(t, []string{"ice", "dice"}, b.names(refused.ID()))
}

func TestFailingICERefusesTheCall(t *testing.T) {
	b := newBackend(t)
	b.appSecret = base64.StdEncoding.EncodeToString([]byte("another secret, so the backend refuses"))
	srv := newServer(t, ocratest.WithCallbackURL(b.URL))
	alice := startClient(t, srv, "alice")
	startClient(t, srv, "bob")
	c, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	tc := track(c, 0)
	tc.waitEnded(t)
	assert.Equal(t, call.Failure, tc.Details().EndCause)
	assert.ErrorContains(t, tc.Details().Error, "50300")
}

// TestForgedReportDoesNotDriveDiCE: a call report is the caller's word on
// how an app-to-app call ended, and DiCE repeats it to the backend. A
// report from an instance outside the call is refused, and one from a
// callee instance is kept but does not end the call for the callbacks:
// only the caller's report does.
func TestForgedReportDoesNotDriveDiCE(t *testing.T) {
	b := newBackend(t)
	srv := b.server(t)
	rest := newClient(t, srv)
	ctx := context.Background()
	alice := startClient(t, srv, "alice")
	bob := startClient(t, srv, "bob")
	otherBob, _ := register(t, srv, rest, "bob") // a callee instance of the call, not the SDK's
	mallory, _ := register(t, srv, rest, "mallory")
	calls := incoming(bob, toneB)

	c, err := alice.CallController().CallUser("bob", nil)
	require.NoError(t, err)
	out := track(c, toneA)
	out.waitEstablished(t)
	in := next(t, calls)
	in.waitEstablished(t)

	forged := report(c.ID(), mallory, "mallory", "outbound")
	forged.Result = "Canceled"
	wantAPIError(t, rest.ReportCall(ctx, mallory, forged), ocra.CodeNotFound, "not found")
	fromCallee := report(c.ID(), otherBob, "bob", "outbound")
	fromCallee.Result = "Denied"
	require.NoError(t, rest.ReportCall(ctx, otherBob, fromCallee))

	require.NoError(t, c.Hangup())
	out.waitEnded(t)
	in.waitEnded(t)
	require.Eventually(t, func() bool { return len(b.names(c.ID())) == 3 }, waitTimeout, 10*time.Millisecond)
	assert.Equal(t, []string{"ice", "ace", "dice"}, b.names(c.ID()))
	dice := b.events()[2]
	assert.Equal(t, "ANSWERED", dice.Result, "DiCE follows the caller's report, not a forged one")
	assert.Equal(t, "N/A", dice.Reason)
}

package ocratest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// querySigned returns the realtime URL of c with query (may be empty),
// signed by cr at time at in the browser form: the signature of the GET of
// path and query, in the authorization and x-timestamp parameters.
func querySigned(c *ocra.Client, cr ocra.Credentials, query string, at time.Time) string {
	u, _ := url.Parse(c.PubSubURL())
	u.RawQuery = query
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: u.Path, RawQuery: query}, Header: http.Header{}}
	ocra.SignRequest(r, nil, ocra.SchemeInstance, cr.InstanceID, cr.Secret, at)
	signature := url.Values{"authorization": {r.Header.Get("Authorization")}, "x-timestamp": {r.Header.Get(ocra.HeaderTimestamp)}}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += signature.Encode()
	return u.String()
}

// dialWithoutHeaders opens the realtime channel as a browser does, with no
// header of its own, and returns the connection or the server's refusal.
func dialWithoutHeaders(t *testing.T, rawURL string) (*websocket.Conn, *ocra.APIError) {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.DialContext(context.Background(), rawURL, nil)
	if err == nil {
		t.Cleanup(func() { ws.Close() })
		return ws, nil
	}
	if !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("dial: %v", err)
	}
	defer resp.Body.Close()
	var apiErr ocra.APIError
	if err := json.NewDecoder(resp.Body).Decode(&apiErr); err != nil {
		t.Fatalf("refusal of status %d has no error body: %v", resp.StatusCode, err)
	}
	apiErr.Status = resp.StatusCode
	return nil, &apiErr
}

func TestRealtimeQuerySigned(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	cr, reg := register(t, s, c, "alice")

	for _, query := range []string{"", "client=browser&v=1"} {
		ws, apiErr := dialWithoutHeaders(t, querySigned(c, cr, query, time.Now()))
		if apiErr != nil {
			t.Fatalf("query %q: refused: %v", query, apiErr)
		}
		// The connection belongs to the signing instance: it may subscribe
		// to its own channels.
		profile := reg.Config.RTCProfile
		sub := pubsub.Frame{Op: pubsub.OpSubscribe, ID: 1, Channels: []string{profile.BroadcastChannel, profile.SignalChannel}}
		if err := ws.WriteJSON(sub); err != nil {
			t.Fatal(err)
		}
		var reply pubsub.Frame
		if err := ws.ReadJSON(&reply); err != nil {
			t.Fatal(err)
		}
		if reply.Op != pubsub.OpAck || reply.ID != 1 {
			t.Fatalf("query %q: subscribe answered with %+v, want an ack", query, reply)
		}
		if !s.Instances("alice")[0].Online {
			t.Errorf("query %q: the instance is not online", query)
		}
		ws.Close()
	}
}

func TestRealtimeQuerySignedRefused(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")
	now := time.Now()
	good := querySigned(c, cr, "v=1", now)

	tests := map[string]struct {
		url  string
		code int
	}{
		"no signature":        {c.PubSubURL(), ocra.CodeMissingAuth},
		"other secret":        {querySigned(c, ocra.Credentials{InstanceID: cr.InstanceID, Secret: []byte("not the secret")}, "", now), ocra.CodeInvalidSignature},
		"unsigned parameter":  {good + "&extra=1", ocra.CodeInvalidSignature},
		"parameter altered":   {strings.Replace(good, "v=1", "v=2", 1), ocra.CodeInvalidSignature},
		"stale timestamp":     {querySigned(c, cr, "", now.Add(-ocra.MaxClockSkew-time.Minute)), ocra.CodeBadTimestamp},
		"timestamp missing":   {strings.Split(good, "&x-timestamp=")[0], ocra.CodeBadTimestamp},
		"application scheme":  {strings.Replace(good, "authorization=instance", "authorization=application", 1), ocra.CodeWrongScheme},
		"unknown instance id": {strings.Replace(good, cr.InstanceID, "00000000-0000-4000-8000-000000000000", 1), ocra.CodeNotFound},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ws, apiErr := dialWithoutHeaders(t, tt.url)
			if ws != nil {
				t.Fatal("the upgrade was accepted")
			}
			if apiErr.Code != tt.code || apiErr.Status != tt.code/100 {
				t.Errorf("refused with %d %+v, want code %d", apiErr.Status, apiErr, tt.code)
			}
		})
	}
}

func TestRealtimeHeadersWinOverQuery(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	cr, _ := register(t, s, c, "alice")
	// A request signed in headers is verified as such, whatever its query:
	// here the query's signature is valid but the headers' is not.
	header := http.Header{"Authorization": {"instance " + cr.InstanceID + ":bad"}, ocra.HeaderTimestamp: {ocra.FormatTimestamp(time.Now())}}
	_, resp, err := websocket.DefaultDialer.Dial(querySigned(c, cr, "", time.Now()), header)
	if err == nil {
		t.Fatal("the upgrade was accepted")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}

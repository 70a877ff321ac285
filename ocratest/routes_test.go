package ocratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// withTable makes the server serve table instead of ocra.DefaultTable.
func withTable(table ocra.Table) Option {
	return func(o *options) { o.table = &table }
}

// nativeTable is the REST table with every path moved to the PascalCase
// shape native SDK 3.x used (POST /V2/Instance, real-wire.md source N) and
// no base: what one capture of real traffic might change.
func nativeTable() ocra.Table {
	moved := map[ocra.RouteName]string{
		ocra.RouteTimestamp:      "/V2/Timestamp",
		ocra.RouteCreateInstance: "/V2/Instance",
		ocra.RouteExtendInstance: "/V2/Instance/{instanceId}/Ttl",
		ocra.RouteConfig:         "/V2/Instance/{instanceId}/Config",
		ocra.RouteDeleteInstance: "/V2/Instance/{instanceId}",
		ocra.RouteICEServers:     "/V2/Instance/{instanceId}/IceServers",
		ocra.RouteCreateCall:     "/V2/Call",
		ocra.RouteReportCall:     "/V2/Call/{callId}/Report",
		ocra.RoutePubSub:         "/V2/PubSub",
	}
	t := ocra.DefaultTable()
	t.Base = ""
	for i, r := range t.Routes {
		t.Routes[i].Path = moved[r.Name]
	}
	return t
}

// sent is one request the client sent and the status it got.
type sent struct {
	method, path string // path escaped, as sent
	status       int
}

// recorder is an http.RoundTripper that records what goes through it.
type recorder struct {
	mu   sync.Mutex
	sent []sent
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	rec.add(sent{r.Method, r.URL.EscapedPath(), resp.StatusCode})
	return resp, nil
}

func (rec *recorder) add(s sent) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.sent = append(rec.sent, s)
}

func (rec *recorder) all() []sent {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.sent)
}

// exercise sends every request the client has, through each row of its
// table, and fails the test when one is not answered with success.
func exercise(t *testing.T, s *Server, c *ocra.Client, rec *recorder) {
	t.Helper()
	ctx := t.Context()
	_, err := c.Timestamp(ctx)
	require.NoError(t, err, "Timestamp")
	alice, err := c.CreateInstance(ctx, s.Token("alice"), ocra.CreateInstanceRequest{UserID: "alice", DeviceID: "d1"})
	require.NoError(t, err, "CreateInstance")
	_, err = c.CreateInstance(ctx, s.Token("bob"), ocra.CreateInstanceRequest{UserID: "bob", DeviceID: "d2"})
	require.NoError(t, err, "CreateInstance of the callee")
	secret, err := ocra.DecodeSecret(alice.Instance.Secret)
	require.NoError(t, err)
	cred := ocra.Credentials{InstanceID: alice.Instance.ID, Secret: secret}

	_, err = c.Config(ctx, cred)
	require.NoError(t, err, "Config")
	_, err = c.ICEServers(ctx, cred)
	require.NoError(t, err, "ICEServers")
	_, err = c.ExtendInstance(ctx, s.Token("alice"), cred.InstanceID)
	require.NoError(t, err, "ExtendInstance")
	_, err = c.CreateCall(ctx, cred, ocra.CreateCallRequest{
		CallID:      "route-test-call",
		Destination: ocra.Destination{Domain: "mxp", Type: ocra.DestUserID, Identity: "bob"},
		SDP:         ocra.SessionDescription{Type: "offer", SDP: "v=0\r\n"},
	})
	require.NoError(t, err, "CreateCall")
	// Built from JSON, so that the report carries every field the server
	// may check, whichever of them this version's CallReport has.
	var rep ocra.CallReport
	require.NoError(t, json.Unmarshal([]byte(`{"reportId":"`+newUUID()+`","callId":"route-test-call",`+
		`"instance":{"id":"`+cred.InstanceID+`","deviceId":"d1"},"userId":"alice","direction":"outbound","result":"HungUp"}`), &rep))
	require.NoError(t, c.ReportCall(ctx, cred, rep), "ReportCall")

	// The realtime channel's upgrade goes through the WebSocket dialer, not
	// the http.Client: record it by hand.
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := dialer.DialContext(ctx, c.PubSubURL(), c.PubSubHeader(cred))
	require.NoError(t, err, "PubSub upgrade")
	rec.add(sent{http.MethodGet, resp.Request.URL.EscapedPath(), resp.StatusCode})
	require.NoError(t, conn.Close())

	require.NoError(t, c.DeleteInstance(ctx, cred), "DeleteInstance")
}

// checkEveryRow asserts that the client sent a request through every row
// of table and that the server answered each with success.
func checkEveryRow(t *testing.T, table ocra.Table, got []sent) {
	t.Helper()
	hit := map[ocra.RouteName]bool{}
	for _, s := range got {
		row, _, err := table.Match(s.method, s.path)
		if !assert.NoError(t, err, "%s %s is not in the table", s.method, s.path) {
			continue
		}
		assert.True(t, s.status/100 == 2 || s.status == http.StatusSwitchingProtocols, "%s %s: HTTP %d", s.method, s.path, s.status)
		hit[row.Name] = true
	}
	for _, row := range table.Routes {
		assert.True(t, hit[row.Name], "row %s (%s %s) was not used by the client", row.Name, row.Method, row.Path)
	}
}

// Every row of the REST table is used by the client and served by
// ocratest: both route through the one table.
func TestRESTTableServedAndUsed(t *testing.T) {
	s := NewServer(WithWebSocket()) // the table's PubSub row is the WebSocket upgrade
	defer s.Close()
	rec := &recorder{}
	c, err := ocra.NewClient(s.URL(), &http.Client{Transport: rec})
	require.NoError(t, err)
	exercise(t, s, c, rec)
	got := rec.all()
	checkEveryRow(t, ocra.DefaultTable(), got)
	for _, r := range got {
		assert.True(t, strings.HasPrefix(r.path, ocra.BasePath+"/"), r.path)
	}
}

// Changing the table's paths moves the client's requests and the server's
// routes alike, and the old paths are gone from both.
func TestRESTTableMovedPathsMoveBoth(t *testing.T) {
	table := nativeTable()
	s := NewServer(WithWebSocket(), withTable(table))
	defer s.Close()
	rec := &recorder{}
	c, err := ocra.NewClient(s.URL(), &http.Client{Transport: rec}, ocra.WithTable(table))
	require.NoError(t, err)
	exercise(t, s, c, rec)
	got := rec.all()
	checkEveryRow(t, table, got)
	assert.Contains(t, got, sent{http.MethodPost, "/V2/Instance", http.StatusCreated})
	for _, r := range got {
		assert.True(t, strings.HasPrefix(r.path, "/V2/"), r.path)
	}

	// A client of the default table is lost on the moved server.
	old, err := ocra.NewClient(s.URL(), nil)
	require.NoError(t, err)
	_, err = old.CreateInstance(t.Context(), s.Token("carol"), ocra.CreateInstanceRequest{UserID: "carol"})
	var apiErr *ocra.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, ocra.CodeNotFound, apiErr.Code)
	assert.Contains(t, apiErr.Message, "no such endpoint")

	// And a client of the moved table on a default server.
	plain := NewServer()
	defer plain.Close()
	moved, err := ocra.NewClient(plain.URL(), nil, ocra.WithTable(table))
	require.NoError(t, err)
	_, err = moved.Timestamp(t.Context())
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, ocra.CodeNotFound, apiErr.Code)
}

// A row the server has no handler for, or a broken table, stops NewServer.
func TestRESTTableRowWithoutHandler(t *testing.T) {
	table := ocra.DefaultTable()
	table.Routes = append(table.Routes, ocra.Route{Name: "Unheard", Method: "GET", Path: "/unheard"})
	assert.PanicsWithValue(t, "ocratest: NewServer: REST table row Unheard has no handler", func() { NewServer(withTable(table)) })

	table = ocra.DefaultTable()
	table.Routes[1].Path = table.Routes[0].Path
	table.Routes[1].Method = table.Routes[0].Method
	assert.Panics(t, func() { NewServer(withTable(table)) })
}

// A method a path does not take is 405 with Allow, from the table.
func TestRESTTableMethodNotAllowed(t *testing.T) {
	s := NewServer()
	defer s.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, s.URL()+ocra.BasePath+"/instances/x", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "DELETE", resp.Header.Get("Allow"))
}

package ocra

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireTypes are the body types a row may name.
var wireTypes = map[string]reflect.Type{
	"TimestampResponse":      reflect.TypeFor[TimestampResponse](),
	"CreateInstanceRequest":  reflect.TypeFor[CreateInstanceRequest](),
	"CreateInstanceResponse": reflect.TypeFor[CreateInstanceResponse](),
	"TTLResponse":            reflect.TypeFor[TTLResponse](),
	"Config":                 reflect.TypeFor[Config](),
	"[]ICEServer":            reflect.TypeFor[[]ICEServer](),
	"CreateCallRequest":      reflect.TypeFor[CreateCallRequest](),
	"CreateCallResponse":     reflect.TypeFor[CreateCallResponse](),
	"CallReport":             reflect.TypeFor[CallReport](),
}

func TestDefaultTable(t *testing.T) {
	table := DefaultTable()
	require.NoError(t, table.Check())
	assert.Equal(t, BasePath, table.Base)
	assert.Len(t, table.Routes, len(clientRoutes), "one row per request the client sends")
	for _, r := range table.Routes {
		assert.Contains(t, clientRoutes, r.Name)
		for _, typ := range []string{r.Request, r.Response} {
			if typ != "" {
				assert.Contains(t, wireTypes, typ, "row %s names a type this package does not have", r.Name)
			}
		}
		assert.Contains(t, []Provenance{Known, Designed}, r.Wire, r.Name)
		assert.Contains(t, []Provenance{Known, Designed}, r.Bodies, r.Name)
		assert.NotEmpty(t, r.Source, r.Name)
		assert.NotContains(t, r.Auth.String(), "Auth(", r.Name)
	}

	// A caller's copy is its own.
	table.Routes[0].Path = "/changed"
	table.Base = "/x"
	assert.Equal(t, "/timestamp", DefaultTable().Routes[0].Path)
	assert.Equal(t, BasePath, DefaultTable().Base)
}

func TestTableCheckRefuses(t *testing.T) {
	row := func(name RouteName, method, path string) Route { return Route{Name: name, Method: method, Path: path} }
	cases := map[string]Table{
		"base without /":    {Base: "ocra", Routes: []Route{row("A", "GET", "/a")}},
		"base ending in /":  {Base: "/ocra/", Routes: []Route{row("A", "GET", "/a")}},
		"no name":           {Routes: []Route{row("", "GET", "/a")}},
		"no method":         {Routes: []Route{row("A", "", "/a")}},
		"relative path":     {Routes: []Route{row("A", "GET", "a")}},
		"two names":         {Routes: []Route{row("A", "GET", "/a"), row("A", "PUT", "/b")}},
		"same shape":        {Routes: []Route{row("A", "GET", "/a/{x}"), row("B", "GET", "/a/{y}")}},
		"unnamed parameter": {Routes: []Route{row("A", "GET", "/a/{}")}},
		"half a parameter":  {Routes: []Route{row("A", "GET", "/a/{x")}},
		"mixed segment":     {Routes: []Route{row("A", "GET", "/a/x{y}")}},
	}
	for name, table := range cases {
		assert.Error(t, table.Check(), name)
	}
	ok := Table{Routes: []Route{row("A", "GET", "/a/{x}"), row("B", "PUT", "/a/{x}"), row("C", "GET", "/a/b")}}
	assert.NoError(t, ok.Check())
}

// Every row's path, filled with values that need escaping, matches that row
// and gives the values back, in the default table and in one without base.
func TestTablePathMatchRoundTrip(t *testing.T) {
	noBase := DefaultTable()
	noBase.Base = ""
	for _, table := range []Table{DefaultTable(), noBase} {
		for _, r := range table.Routes {
			var args []string
			for i := range strings.Count(r.Path, "{") {
				args = append(args, "a b/ü"+strings.Repeat("%", i))
			}
			path, err := table.Path(r.Name, args...)
			require.NoError(t, err, r.Name)
			assert.True(t, strings.HasPrefix(path, table.Base+"/"), path)
			u, err := url.Parse("http://h" + path)
			require.NoError(t, err)
			got, gotArgs, err := table.Match(r.Method, u.EscapedPath())
			require.NoError(t, err, path)
			assert.Equal(t, r.Name, got.Name)
			assert.Equal(t, args, gotArgs)
		}
	}
}

func TestTablePathErrors(t *testing.T) {
	table := DefaultTable()
	_, err := table.Path("Nope")
	assert.ErrorContains(t, err, "no row Nope")
	_, err = table.Path(RouteConfig)
	assert.ErrorContains(t, err, "needs more than 0 path values")
	_, err = table.Path(RouteConfig, "")
	assert.ErrorContains(t, err, "{instanceId} is empty")
	_, err = table.Path(RouteTimestamp, "x")
	assert.ErrorContains(t, err, "takes 0 path values, not 1")
}

func TestTableMatchMisses(t *testing.T) {
	table := DefaultTable()
	var methodErr *MethodError
	_, _, err := table.Match(http.MethodPatch, "/ocra/v1/instances/x")
	require.ErrorAs(t, err, &methodErr)
	assert.Equal(t, []string{http.MethodDelete}, methodErr.Allowed)
	assert.Equal(t, "PATCH is not allowed on this path; use DELETE", err.Error())

	for _, path := range []string{"", "/", "/ocra/v1", "/ocra/v1/", "/ocra/v10/timestamp", "/timestamp",
		"/ocra/v1/instances//config", "/ocra/v1/instances/%zz/config", "/ocra/v1/calls/x/reports/y"} {
		_, _, err := table.Match(http.MethodGet, path)
		assert.True(t, errors.Is(err, ErrNoRoute) || errors.As(err, &methodErr), "%q: %v", path, err)
		assert.Error(t, err, path)
	}
}

// The client refuses a table it cannot speak, before sending anything.
func TestClientChecksTable(t *testing.T) {
	missing := DefaultTable()
	missing.Routes = missing.Routes[1:]
	_, err := NewClient("https://ocra.io", nil, WithTable(missing))
	assert.ErrorContains(t, err, "no row Timestamp")

	wrongAuth := DefaultTable()
	wrongAuth.Routes[0].Auth = AuthInstance
	_, err = NewClient("https://ocra.io", nil, WithTable(wrongAuth))
	assert.ErrorContains(t, err, "row Timestamp has auth instance signature; the client can send it only with none")

	broken := DefaultTable()
	broken.Base = "ocra"
	_, err = NewClient("https://ocra.io", nil, WithTable(broken))
	assert.Error(t, err)
}

// A client of another table sends its method and path; the table is
// copied, so later changes to the caller's table do not reach it.
func TestClientFollowsTable(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath())
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	table := DefaultTable()
	table.Base = ""
	for i, r := range table.Routes {
		if r.Name == RouteDeleteInstance {
			table.Routes[i].Method = http.MethodPost
			table.Routes[i].Path = "/V2/Instance/{instanceId}/Delete"
		}
	}
	c, err := NewClient(srv.URL, srv.Client(), WithTable(table))
	require.NoError(t, err)
	table.Routes[0].Path = "/changed-later"
	require.NoError(t, c.DeleteInstance(t.Context(), testCred))
	assert.Equal(t, []string{"POST /V2/Instance/inst%201%2Fa/Delete"}, got)
	assert.Equal(t, "ws://"+srv.Listener.Addr().String()+"/pubsub", c.PubSubURL())
}

func FuzzTableMatch(f *testing.F) {
	table := DefaultTable()
	for _, r := range table.Routes {
		f.Add(r.Method, table.Base+strings.ReplaceAll(strings.ReplaceAll(r.Path, "{instanceId}", "i%2F1"), "{callId}", "c"))
	}
	f.Add("GET", "/ocra/v1/instances/%/config")
	f.Add("DELETE", "/ocra/v1//")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, method, path string) {
		r, args, err := table.Match(method, path)
		if err != nil {
			return
		}
		// A match is a row whose path, filled with the values, matches again.
		again, err := table.Path(r.Name, args...)
		if err != nil {
			t.Fatalf("%q matched %s with %q, which does not fill its path: %v", path, r.Name, args, err)
		}
		r2, args2, err := table.Match(method, again)
		if err != nil || r2.Name != r.Name || !reflect.DeepEqual(args, args2) {
			t.Fatalf("%q -> %s %q -> %q -> %s %q %v", path, r.Name, args, again, r2.Name, args2, err)
		}
	})
}

package ocra

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The REST table: every path, method and auth scheme of the Ocra REST API,
// in one place. The SDK's client (Client) and the fake server (ocratest)
// both route through it, so they cannot drift apart, and one capture of
// Sinch's real traffic fixes a path, a method or an auth scheme in one row.
//
// What is known and what is designed (real-wire.md section 3): the body
// shapes of instance creation, Config and call initiation are known from
// the typings of Sinch's JS SDK 2.x (npm sinch-rtc@2.44.4, source U of
// real-wire.md). The paths, the methods and how the registration JWT travels
// are not public: every Method, Path and Auth below is designed (protocol.md
// section 3). Native SDK 3.x used PascalCase paths without our base, such as
// POST /V2/Instance (source N), which is the likeliest shape of the real
// ones. docs/realwire.md lists what to capture to settle them.

// Auth is how a request is authorized.
type Auth int

const (
	// AuthNone: no Authorization header.
	AuthNone Auth = iota
	// AuthBearer: "Authorization: Bearer <registration JWT>".
	AuthBearer
	// AuthInstance: signed with the instance secret (protocol.md section 2),
	// "Authorization: instance <instanceId>:<signature>".
	AuthInstance
)

var authNames = [...]string{"none", "bearer JWT", "instance signature"}

func (a Auth) String() string {
	if a < 0 || int(a) >= len(authNames) {
		return fmt.Sprintf("Auth(%d)", int(a))
	}
	return authNames[a]
}

// Provenance says where a part of the wire comes from.
type Provenance string

const (
	// Known: read in public material about Sinch's real service.
	Known Provenance = "known"
	// Designed: ours, a stand-in until a capture of real traffic settles it.
	Designed Provenance = "designed"
)

// RouteName names a row of the REST table; it is also the name of the
// Client method that sends the request.
type RouteName string

// The rows of the REST table.
const (
	RouteTimestamp      RouteName = "Timestamp"
	RouteCreateInstance RouteName = "CreateInstance"
	RouteExtendInstance RouteName = "ExtendInstance"
	RouteConfig         RouteName = "Config"
	RouteDeleteInstance RouteName = "DeleteInstance"
	RouteICEServers     RouteName = "ICEServers"
	RouteCreateCall     RouteName = "CreateCall"
	RouteReportCall     RouteName = "ReportCall"
	RoutePubSub         RouteName = "PubSub"
)

// Route is one row of the REST table.
type Route struct {
	Name   RouteName
	Method string
	// Path is below the table's Base. A "{name}" segment stands for one
	// path segment, filled in order by Table.Path and returned in order by
	// Table.Match.
	Path string
	Auth Auth
	// Request and Response name the body types of this package ("" for no
	// body; "[]T" for a JSON array of T).
	Request, Response string
	// Wire is the provenance of Method, Path and Auth; Bodies that of
	// Request and Response. Source says where each was read or designed.
	Wire, Bodies Provenance
	Source       string
}

// Table is the REST API: a base path and the routes below it.
type Table struct {
	// Base prefixes every route's Path: "" or "/" followed by segments,
	// without a trailing "/".
	Base   string
	Routes []Route
}

// BasePath is the Base of the default table: the prefix of every Ocra REST
// path (designed, protocol.md section 3; native 3.x used none, source N).
const BasePath = "/ocra/v1"

// defaultRoutes is the REST table. Every row's Wire is designed: see the
// comment at the top of this file. Keep one row per request, and keep the
// Source of a row in step with docs/realwire.md when a capture fixes it.
var defaultRoutes = [...]Route{
	// designed: clock skew correction; Sinch's equivalent is not public.
	{RouteTimestamp, "GET", "/timestamp", AuthNone, "", "TimestampResponse", Designed, Designed,
		"protocol.md 3 (designed)"},
	// bodies known (U: instance creation {userId, deviceId, capabilities, version, expireAt?} -> {instance, config});
	// path, method and how the JWT travels designed (native 3.x: POST /V2/Instance, N).
	{RouteCreateInstance, "POST", "/instances", AuthBearer, "CreateInstanceRequest", "CreateInstanceResponse", Designed, Known,
		"real-wire.md 3: bodies from 2.x typings (U); path designed, native 3.x used POST /V2/Instance (N)"},
	// designed: 2.x has updateInstanceTtlWindowDays (U) but its request is not public.
	{RouteExtendInstance, "PUT", "/instances/{instanceId}/ttl", AuthBearer, "", "TTLResponse", Designed, Designed,
		"protocol.md 3 (designed); the window is Config.updateInstanceTtlWindowDays (U)"},
	// body known (U Config); path designed.
	{RouteConfig, "GET", "/instances/{instanceId}/config", AuthInstance, "", "Config", Designed, Known,
		"real-wire.md 3: Config from 2.x typings (U); path designed"},
	// designed.
	{RouteDeleteInstance, "DELETE", "/instances/{instanceId}", AuthInstance, "", "", Designed, Designed,
		"protocol.md 3 (designed)"},
	// designed: 2.x fetches ICE servers only with turn.2 (U); request and shape not public.
	{RouteICEServers, "GET", "/instances/{instanceId}/ice-servers", AuthInstance, "", "[]ICEServer", Designed, Designed,
		"protocol.md 3 (designed); fetched with capability turn.2 (real-wire.md 2, U)"},
	// response known (U call initiation); request from protocol.md; path designed.
	{RouteCreateCall, "POST", "/calls", AuthInstance, "CreateCallRequest", "CreateCallResponse", Designed, Known,
		"real-wire.md 3: response from 2.x typings (U), request protocol.md 3; path designed"},
	// body known (U CallReport.d.ts: reportId, instance{id, deviceId, version}, userId, ...); path designed.
	{RouteReportCall, "POST", "/calls/{callId}/reports", AuthInstance, "CallReport", "", Designed, Known,
		"real-wire.md 2: the 2.x call report shape (U CallReport.d.ts); path designed"},
	// designed: the WebSocket realtime channel, our alternative to PubNub (real-wire.md 1).
	{RoutePubSub, "GET", "/pubsub", AuthInstance, "", "", Designed, Designed,
		"protocol.md 4 (designed WebSocket upgrade); Sinch uses PubNub (real-wire.md 1)"},
}

// DefaultTable returns the REST table the SDK speaks: a copy, which the
// caller may change.
func DefaultTable() Table {
	return Table{Base: BasePath, Routes: append([]Route(nil), defaultRoutes[:]...)}
}

// Check reports the first problem of t: a bad Base, a row without name,
// method or path, a path not starting with "/", an empty or unclosed
// "{...}" segment, or two rows with one name or one method and path.
func (t Table) Check() error {
	if t.Base != "" && (!strings.HasPrefix(t.Base, "/") || strings.HasSuffix(t.Base, "/")) {
		return fmt.Errorf("ocra: REST table base %q must be empty or start with / and not end with /", t.Base)
	}
	names := make(map[RouteName]bool, len(t.Routes))
	shapes := make(map[string]RouteName, len(t.Routes))
	for _, r := range t.Routes {
		switch {
		case r.Name == "" || r.Method == "":
			return fmt.Errorf("ocra: REST table row %q has no name or method", r.Name)
		case !strings.HasPrefix(r.Path, "/"):
			return fmt.Errorf("ocra: REST table row %s: path %q does not start with /", r.Name, r.Path)
		case names[r.Name]:
			return fmt.Errorf("ocra: REST table has two rows named %s", r.Name)
		}
		names[r.Name] = true
		var shape []string
		for _, seg := range strings.Split(r.Path, "/")[1:] {
			if isParam(seg) {
				if len(seg) == 2 {
					return fmt.Errorf("ocra: REST table row %s: path %q has an unnamed {} segment", r.Name, r.Path)
				}
				seg = "{}"
			} else if strings.ContainsAny(seg, "{}") {
				return fmt.Errorf("ocra: REST table row %s: path %q has a segment that is not one {name}", r.Name, r.Path)
			}
			shape = append(shape, seg)
		}
		key := r.Method + " " + strings.Join(shape, "/")
		if other, dup := shapes[key]; dup {
			return fmt.Errorf("ocra: REST table rows %s and %s have the same method and path", other, r.Name)
		}
		shapes[key] = r.Name
	}
	return nil
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && len(seg) >= 2
}

// Route returns the row called name.
func (t Table) Route(name RouteName) (Route, bool) {
	for _, r := range t.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}

// Path returns the escaped full path (Base included) of the row called
// name, its "{...}" segments filled with args in order, each path-escaped.
// It is an error when the row is missing, an arg is empty, or the number
// of args is not the number of "{...}" segments.
func (t Table) Path(name RouteName, args ...string) (string, error) {
	r, ok := t.Route(name)
	if !ok {
		return "", fmt.Errorf("ocra: REST table has no row %s", name)
	}
	segs := strings.Split(r.Path, "/")
	n := 0
	for i, seg := range segs {
		if !isParam(seg) {
			continue
		}
		if n >= len(args) {
			return "", fmt.Errorf("ocra: %s %s needs more than %d path values", r.Method, r.Path, len(args))
		}
		if args[n] == "" {
			return "", fmt.Errorf("ocra: %s %s: %s is empty", r.Method, r.Path, seg)
		}
		segs[i] = url.PathEscape(args[n])
		n++
	}
	if n != len(args) {
		return "", fmt.Errorf("ocra: %s %s takes %d path values, not %d", r.Method, r.Path, n, len(args))
	}
	return t.Base + strings.Join(segs, "/"), nil
}

// ErrNoRoute is Match's error for a path that no row has.
var ErrNoRoute = errors.New("ocra: no such endpoint")

// Match finds the row of a request: escapedPath is the request's full path
// as sent (Base included, path segments escaped, as url.URL.EscapedPath
// gives it). It returns the row and its unescaped "{...}" values in order.
// When rows have the path but not the method, allowed lists their methods
// and the error is a *MethodError; when no row has the path, it is
// ErrNoRoute.
func (t Table) Match(method, escapedPath string) (r Route, args []string, err error) {
	below, ok := strings.CutPrefix(escapedPath, t.Base)
	if !ok || !strings.HasPrefix(below, "/") {
		return Route{}, nil, ErrNoRoute
	}
	got := strings.Split(below, "/")
	var allowed []string
	for _, row := range t.Routes {
		vals, ok := matchSegments(strings.Split(row.Path, "/"), got)
		if !ok {
			continue
		}
		if row.Method == method {
			return row, vals, nil
		}
		allowed = append(allowed, row.Method)
	}
	if len(allowed) > 0 {
		return Route{}, nil, &MethodError{Method: method, Allowed: allowed}
	}
	return Route{}, nil, ErrNoRoute
}

// MethodError is Match's error for a path whose rows take other methods.
type MethodError struct {
	Method  string
	Allowed []string
}

func (e *MethodError) Error() string {
	return e.Method + " is not allowed on this path; use " + strings.Join(e.Allowed, " or ")
}

// matchSegments matches the segments of a row's path against those of a
// request's escaped path, and returns the unescaped values of its {...}
// segments.
func matchSegments(want, got []string) ([]string, bool) {
	if len(want) != len(got) {
		return nil, false
	}
	var vals []string
	for i, seg := range want {
		if !isParam(seg) {
			if seg != got[i] {
				return nil, false
			}
			continue
		}
		v, err := url.PathUnescape(got[i])
		if err != nil || v == "" {
			return nil, false
		}
		vals = append(vals, v)
	}
	return vals, true
}

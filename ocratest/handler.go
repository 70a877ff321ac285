package ocratest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/web"
)

// maxRequestBody is the largest request body the server reads.
const maxRequestBody = 64 << 10

// defaultTable is the REST table of a server without another (tests use
// one with other paths). It is never changed.
var defaultTable = ocra.DefaultTable()

// restTable is the REST table the server serves.
func (s *Server) restTable() ocra.Table {
	if s.opts.table != nil {
		return *s.opts.table
	}
	return defaultTable
}

// handler serves one row of the REST table; arg is the value of the row's
// first {...} path segment ("" when it has none).
type handler func(w http.ResponseWriter, r *http.Request, arg string)

// handlers serves every row of the REST table (ocra.DefaultTable). The
// table, not this map, says each row's method and path: the SDK's client
// sends what the same table says, so the two cannot drift apart.
func (s *Server) handlers() map[ocra.RouteName]handler {
	return map[ocra.RouteName]handler{
		ocra.RouteTimestamp:      s.handleTimestamp,
		ocra.RouteCreateInstance: s.handleCreateInstance,
		ocra.RouteDeleteInstance: s.handleDeleteInstance,
		ocra.RouteConfig:         s.handleConfig,
		ocra.RouteICEServers:     s.handleICEServers,
		ocra.RouteExtendInstance: s.handleExtendInstance,
		ocra.RoutePubSub:         s.handlePubSub,
		ocra.RouteCreateCall:     s.handleCreateCall,
		ocra.RouteReportCall:     s.handleReport,
	}
}

// route is an endpoint of the fake server that is not part of Ocra's API,
// below the table's Base. In path, "*" stands for one non-empty segment,
// which the handler receives as arg.
type route struct {
	method string
	path   string
	handle handler
}

// extraRoutes are the server's own endpoints, matched before the table.
func (s *Server) extraRoutes() []route {
	return []route{
		{http.MethodGet, "/ocratest/web/*", web.Serve}, // the browser test client, docs/browser.md
	}
}

// checkTable reports a row of the server's REST table that it cannot serve.
func (s *Server) checkTable() error {
	t := s.restTable()
	if err := t.Check(); err != nil {
		return err
	}
	hs := s.handlers()
	for _, r := range t.Routes {
		if hs[r.Name] == nil {
			return errors.New("REST table row " + string(r.Name) + " has no handler")
		}
	}
	return nil
}

// serveHTTP stamps the Date header with the server's clock, applies injected
// faults and the latency (WithLatency), routes the request through the REST
// table and caps its body.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", s.opts.now().UTC().Format(http.TimeFormat))
	table := s.restTable()
	escaped := r.URL.EscapedPath()
	path, ok := strings.CutPrefix(escaped, table.Base)
	if !ok || !strings.HasPrefix(path, "/") {
		s.writeError(w, r, apiError(ocra.CodeNotFound, "no such endpoint: Ocra paths start with "+table.Base+"/"))
		return
	}
	if s.applyFault(w, r, path) {
		return
	}
	if d := s.opts.latency; d > 0 && !s.stall(r.Context(), d) { // WithLatency
		s.writeError(w, r, apiError(ocra.CodeServiceUnavailable, "ocratest: the server closed"))
		return
	}
	for _, rt := range s.extraRoutes() {
		if arg, ok := matchPath(rt.path, path); ok && rt.method == r.Method {
			rt.handle(w, r, arg)
			return
		}
	}
	row, args, err := table.Match(r.Method, escaped)
	var methodErr *ocra.MethodError
	switch {
	case errors.As(err, &methodErr):
		allowed := strings.Join(methodErr.Allowed, ", ")
		w.Header().Set("Allow", allowed)
		s.writeError(w, r, &ocra.APIError{
			Status:  http.StatusMethodNotAllowed,
			Code:    http.StatusMethodNotAllowed * 100,
			Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(methodErr.Allowed, " or "),
		})
		return
	case err != nil:
		s.writeError(w, r, apiError(ocra.CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path))
		return
	}
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	s.handlers()[row.Name](w, r, arg)
}

// matchPath matches path against pattern and returns the segment that "*"
// matched.
func matchPath(pattern, path string) (arg string, ok bool) {
	want := strings.Split(pattern, "/")
	got := strings.Split(path, "/")
	if len(want) != len(got) {
		return "", false
	}
	for i, seg := range want {
		switch {
		case seg == "*" && got[i] != "":
			arg = got[i]
		case seg != got[i]:
			return "", false
		}
	}
	return arg, true
}

// apiError builds an error whose HTTP status is its code's first three digits.
func apiError(code int, message string) *ocra.APIError {
	return &ocra.APIError{Status: code / 100, Code: code, Message: message}
}

// notFoundInstance is the answer for an unknown, deleted or expired instance.
func notFoundInstance() *ocra.APIError {
	return apiError(ocra.CodeNotFound, "instance not found: create a new instance")
}

// writeError answers with Ocra's error body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *ocra.APIError) {
	s.writeJSON(w, r, e.Status, s.refuse(r, e))
}

// refuse returns a copy of e with a reference that also appears in the
// server's log, where the refusal is recorded.
func (s *Server) refuse(r *http.Request, e *ocra.APIError) *ocra.APIError {
	ref := *e
	if ref.Reference == "" {
		ref.Reference = hex.EncodeToString(randomBytes(8))
	}
	s.log.Info("request refused", "method", r.Method, "path", r.URL.Path,
		"status", ref.Status, "code", ref.Code, "message", ref.Message, "reference", ref.Reference)
	return &ref
}

// writeJSON answers with v as JSON.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil { // only our own types are written; they always marshal
		s.log.Error("encode response", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "ocratest: cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ocra.ContentTypeJSON)
	w.WriteHeader(status)
	w.Write(data) // a client that went away is no concern of the server
}

// readBody reads the capped request body.
func readBody(r *http.Request) ([]byte, *ocra.APIError) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &ocra.APIError{Status: http.StatusRequestEntityTooLarge, Code: ocra.CodeValidation,
			Message: "request body is over 64 KiB"}
	case err != nil:
		return nil, apiError(ocra.CodeValidation, "cannot read request body: "+err.Error())
	}
	return body, nil
}

// decodeJSON decodes a JSON request body into v.
func decodeJSON(body []byte, v any) *ocra.APIError {
	if err := json.Unmarshal(body, v); err != nil {
		return apiError(ocra.CodeValidation, "request body is not valid JSON of the expected shape: "+err.Error())
	}
	return nil
}

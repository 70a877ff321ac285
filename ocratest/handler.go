package ocratest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/web"
)

// maxRequestBody is the largest request body the server reads.
const maxRequestBody = 64 << 10

// route is one endpoint below ocra.BasePath. In path, "*" stands for one
// non-empty segment, which the handler receives as arg.
type route struct {
	method string
	path   string
	handle func(w http.ResponseWriter, r *http.Request, arg string)
}

// routes lists the endpoints of protocol.md sections 3 and 4.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/timestamp", s.handleTimestamp},
		{http.MethodPost, "/instances", s.handleCreateInstance},
		{http.MethodDelete, "/instances/*", s.handleDeleteInstance},
		{http.MethodGet, "/instances/*/config", s.handleConfig},
		{http.MethodGet, "/instances/*/ice-servers", s.handleICEServers},
		{http.MethodPut, "/instances/*/ttl", s.handleExtendInstance},
		{http.MethodGet, "/pubsub", s.handlePubSub},
		{http.MethodPost, "/calls", s.handleCreateCall},
		{http.MethodPost, "/calls/*/reports", s.handleReport},
		{http.MethodGet, "/ocratest/web/*", web.Serve}, // the browser test client, docs/browser.md
	}
}

// serveHTTP stamps the Date header with the server's clock, applies injected
// faults and the latency, routes the request and caps its body.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", s.opts.now().UTC().Format(http.TimeFormat))
	path, ok := strings.CutPrefix(r.URL.Path, ocra.BasePath)
	if !ok || (path != "" && path[0] != '/') {
		s.writeError(w, r, apiError(ocra.CodeNotFound, "no such endpoint: Ocra paths start with "+ocra.BasePath))
		return
	}
	if s.applyFault(w, r, path) {
		return
	}
	if d := s.opts.latency; d > 0 && !s.stall(r.Context(), d) { // WithLatency
		s.writeError(w, r, apiError(ocra.CodeServiceUnavailable, "ocratest: the server closed"))
		return
	}
	var allowed []string
	for _, rt := range s.routes() {
		arg, ok := matchPath(rt.path, path)
		if !ok {
			continue
		}
		if rt.method == r.Method {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
			rt.handle(w, r, arg)
			return
		}
		allowed = append(allowed, rt.method)
	}
	if len(allowed) == 0 {
		s.writeError(w, r, apiError(ocra.CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, &ocra.APIError{
		Status:  http.StatusMethodNotAllowed,
		Code:    http.StatusMethodNotAllowed * 100,
		Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allowed, " or "),
	})
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

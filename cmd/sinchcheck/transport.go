package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// printer writes the report's lines, one step at a time, from any
// goroutine. Every line names the step it belongs to.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	step   string
	closed bool
}

// close drops every later line.
func (p *printer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
}

// setStep makes later lines belong to step.
func (p *printer) setStep(step string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step = step
}

// line prints one line of the current step.
func (p *printer) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	fmt.Fprintf(p.w, "%-10s %s\n", p.step, fmt.Sprintf(format, args...))
}

// raw prints one line as it is.
func (p *printer) raw(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// exchange is one HTTP request as the report may show it: never a header,
// a body, a query string or a path segment that is not known to be safe.
type exchange struct {
	method string
	host   string // "" for the Ocra host
	path   string // escaped; redacted unless it is a row of the REST table
	row    *ocra.Route
	status int   // 0 when err is set
	err    error // the transport's error: DNS, TCP, TLS
}

// String is the exchange as the report prints it.
func (e exchange) String() string {
	var b strings.Builder
	b.WriteString(e.method + " ")
	if e.host != "" {
		b.WriteString(e.host)
	}
	b.WriteString(e.path + " -> ")
	if e.err != nil {
		b.WriteString("no answer: " + transportProblem(e.err))
	} else {
		b.WriteString(statusText(e.status))
	}
	if e.row != nil {
		fmt.Fprintf(&b, "  [REST table row %s, %s path]", e.row.Name, e.row.Wire)
	}
	return b.String()
}

// failed reports whether the exchange is one the report looks at when a
// step fails.
func (e exchange) failed() bool { return e.err != nil || e.status >= 300 }

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}

// recorder is the http.RoundTripper given to the SDK with the builder's
// HTTPClient option: it prints each request's method, path and status as
// the answer arrives, and keeps the last failed one for the diagnosis.
type recorder struct {
	next     http.RoundTripper
	ocraHost string // host:port of the environment host
	table    ocra.Table
	out      *printer

	mu         sync.Mutex
	last       *exchange // the step's last exchange
	lastFailed *exchange // the step's last failed exchange
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rec.next.RoundTrip(r)
	e := rec.describe(r)
	if err != nil {
		e.err = err
	} else {
		e.status = resp.StatusCode
	}
	rec.out.line("%v", e)
	rec.mu.Lock()
	rec.last = &e
	if e.failed() {
		rec.lastFailed = &e
	}
	rec.mu.Unlock()
	return resp, err
}

// reset forgets the exchanges so far: a new step begins.
func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.last, rec.lastFailed = nil, nil
}

// suspect returns the exchange a failure of the step is most likely about:
// its last failed one, else its last one (a 2xx answer can be bad too).
func (rec *recorder) suspect() (exchange, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	switch {
	case rec.lastFailed != nil:
		return *rec.lastFailed, true
	case rec.last != nil:
		return *rec.last, true
	}
	return exchange{}, false
}

// describe redacts a request to what the report may show. A request to
// the Ocra host that is a row of the REST table shows its path: the ids in
// it are not secret. Anything else (the realtime channel's hosts, such as
// PubNub's, whose paths carry keys, channel names and messages) shows its
// host and at most its first few path segments that are plain words.
func (rec *recorder) describe(r *http.Request) exchange {
	e := exchange{method: r.Method}
	path := r.URL.EscapedPath()
	if r.URL.Host != rec.ocraHost {
		e.host = r.URL.Host
	} else if row, _, err := rec.table.Match(r.Method, path); err == nil {
		e.row, e.path = &row, path
		return e
	}
	e.path = redactPath(path)
	return e
}

// safeSegment is a path segment that is a plain word or version, such as
// "v2", "subscribe", "publish", "time" or "0".
var safeSegment = regexp.MustCompile(`^([a-z]{1,16}|v[0-9]{1,2}|[0-9]{1,3})$`)

// maxShownSegments bounds how much of an unknown path the report shows.
const maxShownSegments = 3

// redactPath keeps the leading plain-word segments of path, at most
// maxShownSegments of them, and replaces the rest with "/…".
func redactPath(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var b strings.Builder
	for i, seg := range segs {
		if i == maxShownSegments || !safeSegment.MatchString(seg) {
			b.WriteString("/…")
			break
		}
		b.WriteString("/" + seg)
	}
	return b.String()
}

package ocra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// MaxResponseBody is the largest response body the client reads.
const MaxResponseBody = 1 << 20

// defaultTimeout bounds each request when NewClient is given no
// WithRequestTimeout.
const defaultTimeout = 30 * time.Second

// Client is the SDK's Ocra REST client. It is safe for concurrent use.
//
// Every request's method, path and authorization come from the REST table
// (routes.go). Instance-signed requests that the server refuses with 40101
// (bad timestamp) are retried once, with the signing clock corrected by the
// server's Date header. Redirects are never followed: a 3xx answer is an
// error that names it, so that no Authorization ever leaves the host.
type Client struct {
	base      url.URL // scheme and host only
	hc        *http.Client
	table     Table
	userAgent string
	timeout   time.Duration // bounds each round trip
	now       func() time.Time
	skew      atomic.Int64 // server clock minus local clock, in nanoseconds
}

// Option configures a Client.
type Option func(*Client)

// WithVersion sets the SDK version the client announces as User-Agent "sinch-go/<version>".
func WithVersion(version string) Option {
	return func(c *Client) { c.userAgent = "sinch-go/" + version }
}

// WithRequestTimeout bounds each request, from sending it to reading its
// answer (default 30 s). It is the one place the SDK's RequestTimeout
// applies to REST: callers pass contexts for cancellation only. A 40101
// retry is a request of its own, with a fresh bound. d <= 0 keeps the
// default.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithTable sets the REST table the client speaks (default DefaultTable).
func WithTable(t Table) Option {
	return func(c *Client) { c.table = Table{Base: t.Base, Routes: append([]Route(nil), t.Routes...)} }
}

// clientRoutes are the rows the client sends, each with the authorization
// its method has.
var clientRoutes = map[RouteName]Auth{
	RouteTimestamp:      AuthNone,
	RouteCreateInstance: AuthBearer,
	RouteExtendInstance: AuthBearer,
	RouteConfig:         AuthInstance,
	RouteDeleteInstance: AuthInstance,
	RouteICEServers:     AuthInstance,
	RouteCreateCall:     AuthInstance,
	RouteReportCall:     AuthInstance,
	RoutePubSub:         AuthInstance,
}

// WithClock sets the local clock the client signs requests with (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// Credentials are what an instance signs its requests with.
type Credentials struct {
	InstanceID string
	Secret     []byte
}

// String names the instance and leaves the secret out.
func (cr Credentials) String() string { return "instance " + cr.InstanceID }

// GoString is String, so that %#v does not print the secret either.
func (cr Credentials) GoString() string { return cr.String() }

// NewClient returns a client of the Ocra API at baseURL: "https://host[:port]",
// a bare "host[:port]" (TLS too), or "http://host:port" (local test servers).
// The REST table's paths are appended. A nil hc means a plain
// http.Client; each request is bounded by WithRequestTimeout (and by hc's
// own Timeout, if it has one). The client uses a copy of hc that never
// follows redirects.
func NewClient(baseURL string, hc *http.Client, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{}
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{base: *base, hc: &noRedirect, table: DefaultTable(), userAgent: "sinch-go", timeout: defaultTimeout, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if c.now == nil {
		return nil, errors.New("ocra: WithClock needs a clock")
	}
	if err := c.table.Check(); err != nil {
		return nil, err
	}
	for name, auth := range clientRoutes {
		switch r, ok := c.table.Route(name); {
		case !ok:
			return nil, fmt.Errorf("ocra: REST table has no row %s", name)
		case r.Auth != auth:
			return nil, fmt.Errorf("ocra: REST table row %s has auth %v; the client can send it only with %v", name, r.Auth, auth)
		}
	}
	return c, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("ocra: base URL is empty")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// A *url.Error repeats the URL, which may carry user info: keep only the reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("ocra: base URL is not a valid URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("ocra: base URL scheme %s is not https or http", errs.Quote(u.Scheme))
	case u.Host == "":
		return nil, errors.New("ocra: base URL has no host")
	case u.User != nil:
		return nil, errors.New("ocra: base URL must not carry user info")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return nil, errors.New("ocra: base URL must be only scheme, host and port (the API path is added)")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// request is one REST call: a row of the REST table, the values of its
// path's {...} segments, and what authorizes it, as the row's Auth says: a
// registration JWT (bearer) or the instance's credentials (cred).
type request struct {
	route  RouteName
	args   []string
	in     any    // JSON body; nil for none
	bearer string // the registration JWT
	cred   *Credentials
}

// prepared is a request resolved against the REST table.
type prepared struct {
	request
	method, path string // path: escaped, the table's Base included
	auth         Auth
}

// name is how errors name the request: method and path.
func (p *prepared) name() string { return p.method + " " + p.path }

// Timestamp returns the server's clock (row Timestamp, no authorization).
func (c *Client) Timestamp(ctx context.Context) (time.Time, error) {
	var out TimestampResponse
	p, err := c.prepare(request{route: RouteTimestamp})
	if err != nil {
		return time.Time{}, err
	}
	resp, err := c.send(ctx, p, &out)
	if err != nil {
		return time.Time{}, err
	}
	if out.Timestamp.IsZero() {
		return time.Time{}, badAnswer(p, resp, "it has no timestamp")
	}
	return out.Timestamp, nil
}

// CreateInstance registers a new instance with a registration token (row CreateInstance).
func (c *Client) CreateInstance(ctx context.Context, jwt string, req CreateInstanceRequest) (*CreateInstanceResponse, error) {
	var out CreateInstanceResponse
	r := request{route: RouteCreateInstance, in: req, bearer: jwt}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExtendInstance extends an instance's lifetime with a fresh registration token
// (row ExtendInstance).
func (c *Client) ExtendInstance(ctx context.Context, jwt, instanceID string) (*TTLResponse, error) {
	if instanceID == "" {
		return nil, errors.New("ocra: instance id is empty")
	}
	var out TTLResponse
	r := request{route: RouteExtendInstance, args: []string{instanceID}, bearer: jwt}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Config fetches the instance's configuration (row Config).
func (c *Client) Config(ctx context.Context, cr Credentials) (*Config, error) {
	var out Config
	r := request{route: RouteConfig, args: []string{cr.InstanceID}, cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteInstance unregisters the instance (row DeleteInstance).
func (c *Client) DeleteInstance(ctx context.Context, cr Credentials) error {
	return c.do(ctx, request{route: RouteDeleteInstance, args: []string{cr.InstanceID}, cred: &cr}, nil)
}

// ICEServers fetches the instance's STUN/TURN servers (row ICEServers).
func (c *Client) ICEServers(ctx context.Context, cr Credentials) ([]ICEServer, error) {
	var out []ICEServer
	r := request{route: RouteICEServers, args: []string{cr.InstanceID}, cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateCall starts a call (row CreateCall).
func (c *Client) CreateCall(ctx context.Context, cr Credentials, req CreateCallRequest) (*CreateCallResponse, error) {
	var out CreateCallResponse
	r := request{route: RouteCreateCall, in: req, cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportCall sends the report of an ended call (row ReportCall).
func (c *Client) ReportCall(ctx context.Context, cr Credentials, rep CallReport) error {
	if rep.CallID == "" {
		return errors.New("ocra: call report has no call id")
	}
	return c.do(ctx, request{route: RouteReportCall, args: []string{rep.CallID}, in: rep, cred: &cr}, nil)
}

// PubSubURL is the realtime channel's WebSocket URL (row PubSub):
// ws(s)://host/ocra/v1/pubsub with the default table.
func (c *Client) PubSubURL() string {
	u := url.URL{Scheme: "wss", Host: c.base.Host, Path: c.pubSubPath()}
	if c.base.Scheme == "http" {
		u.Scheme = "ws"
	}
	return u.String()
}

// PubSubHeader returns the headers of the instance-signed WebSocket upgrade
// request of row PubSub.
func (c *Client) PubSubHeader(cr Credentials) http.Header {
	r := &http.Request{
		Method: http.MethodGet,
		URL:    &url.URL{Path: c.pubSubPath()},
		Header: http.Header{"User-Agent": {c.userAgent}},
	}
	SignRequest(r, nil, SchemeInstance, cr.InstanceID, cr.Secret, c.signingTime())
	return r.Header
}

// pubSubPath is row PubSub's path, which NewClient checked is in the table
// and takes no path values.
func (c *Client) pubSubPath() string {
	path, err := c.table.Path(RoutePubSub)
	if err != nil {
		return c.table.Base + "/pubsub"
	}
	return path
}

// signingTime is the local clock corrected by the last known server skew.
func (c *Client) signingTime() time.Time {
	return c.now().Add(time.Duration(c.skew.Load()))
}

// do sends r and decodes a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	p, err := c.prepare(r)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, p, out)
	return err
}

// prepare resolves r against the REST table and refuses a request that
// could only fail, before anything is sent.
func (c *Client) prepare(r request) (*prepared, error) {
	row, ok := c.table.Route(r.route)
	if !ok {
		return nil, fmt.Errorf("ocra: REST table has no row %s", r.route)
	}
	switch {
	case row.Auth == AuthBearer && r.bearer == "":
		return nil, errors.New("ocra: registration token is empty")
	case row.Auth == AuthInstance && (r.cred == nil || r.cred.InstanceID == ""):
		return nil, errors.New("ocra: credentials have no instance id")
	case row.Auth == AuthInstance && len(r.cred.Secret) == 0:
		return nil, errors.New("ocra: credentials have no secret")
	}
	path, err := c.table.Path(r.route, r.args...)
	if err != nil {
		return nil, err
	}
	return &prepared{request: r, method: row.Method, path: path, auth: row.Auth}, nil
}

// send sends p and decodes a 2xx answer into out (when not nil). Any other
// answer is an *APIError; see Client for the one retry after a 40101, and
// APIError for the answers that are not Ocra's.
func (c *Client) send(ctx context.Context, p *prepared, out any) (*http.Response, error) {
	var body []byte
	if p.in != nil {
		var err error
		if body, err = json.Marshal(p.in); err != nil {
			return nil, fmt.Errorf("ocra: %s: encode body: %w", p.name(), err)
		}
	}
	for retried := false; ; retried = true {
		resp, data, err := c.roundTrip(ctx, p, body)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode / 100 {
		case 2:
			return resp, decodeResult(p, resp, data, out)
		case 3:
			return nil, redirectError(p, resp)
		}
		apiErr := decodeAPIError(resp.StatusCode, data)
		if apiErr.Code != CodeBadTimestamp || p.auth != AuthInstance || retried || !c.correctClock(resp.Header) {
			return nil, apiErr
		}
	}
}

// roundTrip sends one request and returns the response (its body closed) and
// its body, read through the MaxResponseBody limit.
func (c *Client) roundTrip(ctx context.Context, p *prepared, body []byte) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, p.method, c.base.String()+p.path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s: %w", p.name(), err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if len(body) > 0 {
		req.Header.Set("Content-Type", ContentTypeJSON)
	}
	switch p.auth {
	case AuthInstance:
		SignRequest(req, body, SchemeInstance, p.cred.InstanceID, p.cred.Secret, c.signingTime())
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+p.bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s: %w", p.name(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s: read response: %w", p.name(), err)
	}
	if len(data) > MaxResponseBody {
		return nil, nil, fmt.Errorf("ocra: %s: HTTP %d response body is over %d bytes", p.name(), resp.StatusCode, MaxResponseBody)
	}
	return resp, data, nil
}

// decodeResult decodes a 2xx answer's body into out; a body that is not
// the JSON out expects is a bad answer.
func decodeResult(p *prepared, resp *http.Response, data []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return badAnswer(p, resp, "it is not the expected JSON ("+decodeProblem(err, len(data))+")")
	}
	return nil
}

// decodeProblem says why a body of n bytes did not decode, without quoting
// the body: it may hold secrets.
func decodeProblem(err error, n int) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case n == 0:
		return "it is empty"
	case errors.As(err, &syntax) && syntax.Offset >= int64(n):
		return "truncated JSON"
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return "field " + typ.Field + " is a JSON " + typ.Value + ", not " + typ.Type.String()
	case errors.As(err, &typ):
		return "a JSON " + typ.Value + ", not " + typ.Type.String()
	}
	return "undecodable JSON"
}

// badAnswer is the error of a 2xx answer the client cannot use: the server
// at the base URL answered, but not as Ocra does.
func badAnswer(p *prepared, resp *http.Response, problem string) *APIError {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "none"
	}
	return &APIError{
		Status: resp.StatusCode,
		Code:   resp.StatusCode * 100,
		Message: fmt.Sprintf("bad answer to %s: HTTP %s with Content-Type %s, and %s: the host answered, "+
			"but not as Ocra does; check the environment host", p.name(), statusText(resp.StatusCode), ct, problem),
	}
}

// redirectError is the error of a 3xx answer, which the client never
// follows: a redirect would carry the request's Authorization to wherever
// it points, over plain HTTP too. It names the target's scheme and host (a
// path on the same host), never its query.
func redirectError(p *prepared, resp *http.Response) *APIError {
	target := "an unnamed location"
	if loc, err := resp.Location(); err == nil {
		if resp.Request != nil && resp.Request.URL != nil && loc.Host == resp.Request.URL.Host {
			target = loc.Scheme + "://" + loc.Host + loc.EscapedPath()
		} else {
			target = loc.Scheme + "://" + loc.Host
		}
	}
	return &APIError{
		Status: resp.StatusCode,
		Code:   resp.StatusCode * 100,
		Message: fmt.Sprintf("%s was redirected (HTTP %s) to %s; the SDK never follows redirects, so that "+
			"its Authorization stays with the host: set the environment host to the host that answers", p.name(), statusText(resp.StatusCode), target),
	}
}

// correctClock records the skew between the server's Date header and the local
// clock. It reports whether the header held a time.
func (c *Client) correctClock(h http.Header) bool {
	server, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return false
	}
	c.skew.Store(int64(server.Sub(c.now())))
	return true
}

// decodeAPIError turns a non-2xx answer into an *APIError. A body that is not
// Ocra's error JSON gives code status*100 and a message naming the status.
func decodeAPIError(status int, body []byte) *APIError {
	var e APIError
	if err := json.Unmarshal(body, &e); err != nil || e.Code == 0 {
		e = APIError{Code: status * 100, Message: "unexpected HTTP status " + statusText(status)}
	}
	e.Status = status
	return &e
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}

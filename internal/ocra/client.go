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

// defaultTimeout bounds a request when NewClient is given no *http.Client.
const defaultTimeout = 30 * time.Second

// Client is the SDK's Ocra REST client. It is safe for concurrent use.
//
// Requests made with Credentials are instance-signed. When the server refuses
// one with 40101 (bad timestamp), the client corrects its signing clock by the
// server's Date header and retries that request once.
type Client struct {
	base      url.URL // scheme and host only
	hc        *http.Client
	userAgent string
	now       func() time.Time
	skew      atomic.Int64 // server clock minus local clock, in nanoseconds
}

// Option configures a Client.
type Option func(*Client)

// WithVersion sets the SDK version the client announces as User-Agent "sinch-go/<version>".
func WithVersion(version string) Option {
	return func(c *Client) { c.userAgent = "sinch-go/" + version }
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
// BasePath is appended. A nil hc means an http.Client with a 30 s timeout.
func NewClient(baseURL string, hc *http.Client, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{base: *base, hc: hc, userAgent: "sinch-go", now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if c.now == nil {
		return nil, errors.New("ocra: WithClock needs a clock")
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

// request is one REST call, authorized by a registration JWT (Bearer), by
// instance signing (cred) or not at all.
type request struct {
	method     string
	path       string // below BasePath, with escaped path segments
	in         any    // JSON body; nil for none
	needsToken bool   // Bearer authorization
	bearer     string // the registration JWT
	cred       *Credentials
}

// Timestamp returns the server's clock (GET /timestamp, no authorization).
func (c *Client) Timestamp(ctx context.Context) (time.Time, error) {
	var out TimestampResponse
	if err := c.do(ctx, request{method: http.MethodGet, path: "/timestamp"}, &out); err != nil {
		return time.Time{}, err
	}
	if out.Timestamp.IsZero() {
		return time.Time{}, errors.New("ocra: GET /timestamp: response has no timestamp")
	}
	return out.Timestamp, nil
}

// CreateInstance registers a new instance with a registration token (POST /instances).
func (c *Client) CreateInstance(ctx context.Context, jwt string, req CreateInstanceRequest) (*CreateInstanceResponse, error) {
	var out CreateInstanceResponse
	r := request{method: http.MethodPost, path: "/instances", in: req, needsToken: true, bearer: jwt}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExtendInstance extends an instance's lifetime with a fresh registration token
// (PUT /instances/{id}/ttl).
func (c *Client) ExtendInstance(ctx context.Context, jwt, instanceID string) (*TTLResponse, error) {
	if instanceID == "" {
		return nil, errors.New("ocra: instance id is empty")
	}
	var out TTLResponse
	r := request{method: http.MethodPut, path: instancePath(instanceID) + "/ttl", needsToken: true, bearer: jwt}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Config fetches the instance's configuration (GET /instances/{id}/config).
func (c *Client) Config(ctx context.Context, cr Credentials) (*Config, error) {
	var out Config
	r := request{method: http.MethodGet, path: instancePath(cr.InstanceID) + "/config", cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteInstance unregisters the instance (DELETE /instances/{id}).
func (c *Client) DeleteInstance(ctx context.Context, cr Credentials) error {
	return c.do(ctx, request{method: http.MethodDelete, path: instancePath(cr.InstanceID), cred: &cr}, nil)
}

// ICEServers fetches the instance's STUN/TURN servers (GET /instances/{id}/ice-servers).
func (c *Client) ICEServers(ctx context.Context, cr Credentials) ([]ICEServer, error) {
	var out []ICEServer
	r := request{method: http.MethodGet, path: instancePath(cr.InstanceID) + "/ice-servers", cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateCall starts a call (POST /calls).
func (c *Client) CreateCall(ctx context.Context, cr Credentials, req CreateCallRequest) (*CreateCallResponse, error) {
	var out CreateCallResponse
	r := request{method: http.MethodPost, path: "/calls", in: req, cred: &cr}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportCall sends the report of an ended call (POST /calls/{callId}/reports).
func (c *Client) ReportCall(ctx context.Context, cr Credentials, rep CallReport) error {
	if rep.CallID == "" {
		return errors.New("ocra: call report has no call id")
	}
	path := "/calls/" + url.PathEscape(rep.CallID) + "/reports"
	return c.do(ctx, request{method: http.MethodPost, path: path, in: rep, cred: &cr}, nil)
}

// PubSubURL is the realtime channel's WebSocket URL: ws(s)://host/ocra/v1/pubsub.
func (c *Client) PubSubURL() string {
	u := url.URL{Scheme: "wss", Host: c.base.Host, Path: BasePath + "/pubsub"}
	if c.base.Scheme == "http" {
		u.Scheme = "ws"
	}
	return u.String()
}

// PubSubHeader returns the headers of an instance-signed GET of /ocra/v1/pubsub,
// for the WebSocket upgrade request.
func (c *Client) PubSubHeader(cr Credentials) http.Header {
	r := &http.Request{
		Method: http.MethodGet,
		URL:    &url.URL{Path: BasePath + "/pubsub"},
		Header: http.Header{"User-Agent": {c.userAgent}},
	}
	SignRequest(r, nil, SchemeInstance, cr.InstanceID, cr.Secret, c.signingTime())
	return r.Header
}

func instancePath(id string) string { return "/instances/" + url.PathEscape(id) }

// signingTime is the local clock corrected by the last known server skew.
func (c *Client) signingTime() time.Time {
	return c.now().Add(time.Duration(c.skew.Load()))
}

// do sends r and decodes a 2xx answer into out (when not nil). A non-2xx
// answer is an *APIError; see Client for the one retry after a 40101.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if err := r.check(); err != nil {
		return err
	}
	var body []byte
	if r.in != nil {
		var err error
		if body, err = json.Marshal(r.in); err != nil {
			return fmt.Errorf("ocra: %s %s: encode body: %w", r.method, r.path, err)
		}
	}
	for retried := false; ; retried = true {
		resp, data, err := c.roundTrip(ctx, r, body)
		if err != nil {
			return err
		}
		if resp.StatusCode/100 == 2 {
			return decodeResult(r, data, out)
		}
		apiErr := decodeAPIError(resp.StatusCode, data)
		if apiErr.Code != CodeBadTimestamp || r.cred == nil || retried || !c.correctClock(resp.Header) {
			return apiErr
		}
	}
}

// check refuses a request that could only fail, before anything is sent.
func (r request) check() error {
	switch {
	case r.needsToken && r.bearer == "":
		return errors.New("ocra: registration token is empty")
	case r.cred != nil && r.cred.InstanceID == "":
		return errors.New("ocra: credentials have no instance id")
	case r.cred != nil && len(r.cred.Secret) == 0:
		return errors.New("ocra: credentials have no secret")
	}
	return nil
}

// roundTrip sends one request and returns the response (its body closed) and
// its body, read through the MaxResponseBody limit.
func (c *Client) roundTrip(ctx context.Context, r request, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, c.base.String()+BasePath+r.path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if len(body) > 0 {
		req.Header.Set("Content-Type", ContentTypeJSON)
	}
	switch {
	case r.cred != nil:
		SignRequest(req, body, SchemeInstance, r.cred.InstanceID, r.cred.Secret, c.signingTime())
	case r.needsToken:
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("ocra: %s %s: read response: %w", r.method, r.path, err)
	}
	if len(data) > MaxResponseBody {
		return nil, nil, fmt.Errorf("ocra: %s %s: HTTP %d response body is over %d bytes", r.method, r.path, resp.StatusCode, MaxResponseBody)
	}
	return resp, data, nil
}

func decodeResult(r request, data []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ocra: %s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
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

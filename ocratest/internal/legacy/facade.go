package legacy

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/pubnub"
)

// Limits of the REST endpoints.
const (
	maxBodyLen       = 64 << 10
	maxFacadeSecrets = 4096
	maxCallIDLen     = 128
	defaultPollHold  = 20 * time.Second
	maxClockSkew     = ocra.MaxClockSkew
)

// noRelay is the media relay descriptor of a routed call when there is no
// relay: the SDK needs a non-empty string, and takes one that is empty
// without its line breaks as none (docs/sinch-rtc-1x.md section 6).
const noRelay = "\r\n"

// Config configures a Facade.
type Config struct {
	// AppKey and AppSecret (standard base64) are the application's: user
	// tickets must be signed with the secret.
	AppKey, AppSecret string
	// Backend owns the instances and routes the calls; nil gives a
	// MemoryBackend, in which 1.x clients call each other.
	Backend Backend
	// PubNubHost is the PubNub origin the configuration names ("host" or
	// "host:port"); empty names the host the client reached the facade on.
	PubNubHost string
	// PubNub is the PubNub origin of the facade's clients (the one of the
	// fake Sinch behind Backend, so that its channels are one space for
	// 1.x clients and others); the facade serves its endpoints too, for
	// clients that map every host name to the facade. Nil gives the
	// facade a PubNub origin of its own, closed with it.
	PubNub *pubnub.Server
	// PollHold is how long a subscribe poll of the facade's own PubNub
	// origin waits for a message; default 20 s (the client gives up after
	// 310 s).
	PollHold time.Duration
	// Logger gets the facade's debug logs; nil discards them.
	Logger *slog.Logger
}

// Facade serves the 1.x REST API and PubNub v1 (see the package doc).
type Facade struct {
	appKey     string
	secret     []byte
	backend    Backend
	memory     *MemoryBackend
	pubnubHost string
	log        *slog.Logger
	pn         *pubnub.Server
	ownPN      bool // pn is the facade's own, closed with it

	mu      sync.Mutex
	secrets map[string]registered // by instance id
}

type registered struct {
	in     Instance
	secret []byte
}

// New returns a facade; serve it over TLS (NewServer does).
func New(cfg Config) (*Facade, error) {
	if cfg.AppKey == "" {
		return nil, errors.New("legacy: Config.AppKey is empty: give the application key the tickets name")
	}
	secret, err := ocra.DecodeSecret(cfg.AppSecret)
	if err != nil {
		return nil, errors.New("legacy: Config.AppSecret is not a base64 application secret")
	}
	f := &Facade{appKey: cfg.AppKey, secret: secret, backend: cfg.Backend, pubnubHost: cfg.PubNubHost,
		log: cfg.Logger, pn: cfg.PubNub, secrets: map[string]registered{}}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.pn == nil {
		hold := cfg.PollHold
		if hold <= 0 {
			hold = defaultPollHold
		}
		f.pn, f.ownPN = pubnub.New(pubnub.Options{Hold: hold, Logger: f.log}), true
	}
	if f.backend == nil {
		f.memory = NewMemoryBackend()
		f.memory.Attach(f)
		f.backend = f.memory
	}
	return f, nil
}

// Memory returns the facade's MemoryBackend, or nil when Config gave a
// Backend.
func (f *Facade) Memory() *MemoryBackend { return f.memory }

// Close closes the facade's own PubNub origin, ending the subscribe polls
// in progress, so that an HTTP server's Close does not wait for them; a
// Config.PubNub is its owner's to close.
func (f *Facade) Close() {
	if f.memory != nil {
		f.memory.close()
	}
	if f.ownPN {
		f.pn.Close()
	}
}

// ServeHTTP implements http.Handler.
func (f *Facade) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Vary", "Origin")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if isPubNubPath(r.URL.Path) {
		f.pn.ServeHTTP(w, r)
		return
	}
	f.serveREST(w, r)
}

// apiError is a 1.x REST error body.
type apiError struct {
	ErrorCode int    `json:"errorCode"`
	Message   string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errorCode":50000,"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, apiError{ErrorCode: code, Message: message})
}

func (f *Facade) serveREST(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyLen+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, ocra.CodeValidation, "the request body could not be read")
		return
	}
	if len(body) > maxBodyLen {
		writeError(w, http.StatusRequestEntityTooLarge, ocra.CodeValidation, fmt.Sprintf("the request body exceeds %d bytes", maxBodyLen))
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && (p == "/v1/timestamp/" || p == "/v1/timestamp"):
		writeJSON(w, http.StatusOK, map[string]string{"timestamp": ocra.FormatTimestamp(time.Now())})
	case r.Method == http.MethodPost && p == "/v1/instance":
		f.createInstance(w, r, body, "")
	case r.Method == http.MethodPut && strings.HasPrefix(p, "/v1/instances/id/") && strings.HasSuffix(p, "/authorization"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/v1/instances/id/"), "/authorization")
		if id == "" || strings.Contains(id, "/") {
			writeError(w, http.StatusNotFound, ocra.CodeNotFound, "no such instance")
			return
		}
		f.createInstance(w, r, body, id)
	case r.Method == http.MethodGet && p == "/v1/configuration/user":
		if in, ok := f.verify(w, r, body); ok {
			f.configuration(w, r, in)
		}
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1/calls/") && strings.Count(p, "/") == 3:
		if in, ok := f.verify(w, r, body); ok {
			f.placeCall(w, in, strings.TrimPrefix(p, "/v1/calls/"), body)
		}
	case r.Method == http.MethodPut && strings.HasPrefix(p, "/v1/calls/") && strings.Count(p, "/") == 5:
		parts := strings.Split(p, "/") // "", v1, calls, domain, id, callId
		if parts[4] != "id" || parts[5] == "" {
			writeError(w, http.StatusNotFound, ocra.CodeNotFound, "no such resource")
			return
		}
		if in, ok := f.verify(w, r, body); ok {
			if !json.Valid(body) {
				writeError(w, http.StatusBadRequest, ocra.CodeValidation, "the call report is not JSON")
				return
			}
			f.backend.CallReport(in, parts[5], json.RawMessage(body))
			writeJSON(w, http.StatusOK, map[string]any{})
		}
	default:
		writeError(w, http.StatusNotFound, ocra.CodeNotFound, "the 1.x fake has no "+r.Method+" "+p)
	}
}

// createBody is the body of instance creation and renewal.
type createBody struct {
	Version struct {
		OS       string `json:"os"`
		Platform string `json:"platform"`
		SDK      string `json:"sdk"`
	} `json:"version"`
	Services struct {
		Calling []string `json:"calling"`
	} `json:"services"`
	ExpiresIn  int64  `json:"expiresIn"`
	InstanceID string `json:"instanceId"`
}

// createInstance serves POST instance (renew == "") and PUT
// instances/id/<renew>/authorization: the ticket names the user; the
// instance gets a fresh secret.
func (f *Facade) createInstance(w http.ResponseWriter, r *http.Request, body []byte, renew string) {
	scheme, ticket, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case scheme == "":
		writeError(w, http.StatusUnauthorized, ocra.CodeMissingAuth, "Missing Authorization header")
		return
	case scheme != "user":
		writeError(w, http.StatusForbidden, ocra.CodeWrongScheme, "Authorization scheme must be user")
		return
	}
	user, err := verifyTicket(ticket, f.appKey, f.secret, time.Now())
	if err != nil {
		writeError(w, http.StatusUnauthorized, ocra.CodeInvalidToken, "Invalid user ticket: "+err.Error())
		return
	}
	var cb createBody
	if err := json.Unmarshal(body, &cb); err != nil {
		writeError(w, http.StatusBadRequest, ocra.CodeValidation, "the instance request is not the expected JSON")
		return
	}
	f.mu.Lock()
	full := len(f.secrets) >= maxFacadeSecrets
	f.mu.Unlock()
	if full {
		writeError(w, http.StatusServiceUnavailable, ocra.CodeServiceUnavailable, "the fake holds too many instances")
		return
	}
	in, err := f.backend.CreateInstance(user, renew)
	if err != nil {
		f.log.Debug("legacy: instance not created", "err", err)
		writeError(w, http.StatusServiceUnavailable, ocra.CodeServiceUnavailable, "the instance could not be created")
		return
	}
	secret := randomKey(32)
	f.mu.Lock()
	f.secrets[in.ID] = registered{in: in, secret: secret}
	f.mu.Unlock()
	f.log.Debug("legacy: instance", "user", user, "instance", in.ID, "renewed", renew != "" && renew == in.ID,
		"sdk", cb.Version.SDK, "services", cb.Services.Calling)
	writeJSON(w, http.StatusOK, map[string]string{"id": in.ID, "secret": base64.StdEncoding.EncodeToString(secret)})
}

// verify checks an instance-signed request (protocol.md section 2) and
// writes the error when it fails.
func (f *Facade) verify(w http.ResponseWriter, r *http.Request, body []byte) (Instance, bool) {
	var found Instance
	_, apiErr := ocra.VerifyRequest(r, body, ocra.SchemeInstance, time.Now(), func(id string) ([]byte, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		reg, ok := f.secrets[id]
		found = reg.in
		return reg.secret, ok
	})
	if apiErr != nil {
		writeError(w, apiErr.Status, apiErr.Code, apiErr.Message)
		return Instance{}, false
	}
	return found, true
}

// configuration serves GET configuration/user.
func (f *Facade) configuration(w http.ResponseWriter, r *http.Request, in Instance) {
	host := f.pubnubHost
	if host == "" {
		host = r.Host
	}
	// The client publishes with the signal network's keys only; the
	// broadcast network's publish key is unused (section 4).
	k := f.pn.Keys()
	writeJSON(w, http.StatusOK, map[string]any{
		"rtcConfiguration": map[string]any{
			"broadcastNetwork": map[string]string{"host": host, "publishKey": k.SignalPublish, "subscribeKey": k.BroadcastSubscribe},
			"signalNetwork":    map[string]string{"host": host, "publishKey": k.SignalPublish, "subscribeKey": k.SignalSubscribe},
		},
		"rtcProfile": map[string]string{
			"broadcastChannel": in.Broadcast, "signalChannel": in.Signal, "transportChannel": in.Transport,
			"key": base64.StdEncoding.EncodeToString(in.Key),
		},
	})
}

// placeCallBody is the body of POST calls/:domain.
type placeCallBody struct {
	CLI         string `json:"cli"`
	Destination struct {
		Type     string `json:"type"`
		Endpoint string `json:"endpoint"`
	} `json:"destination"`
	CallID        string             `json:"callId"`
	MediaChannels []string           `json:"mediaChannels"`
	SubInstanceID json.Number        `json:"subinstanceId"`
	Headers       map[string]any     `json:"headers"`
	Domain        string             `json:"domain"`
	SDP           SessionDescription `json:"sdp"`
}

// decodeCall decodes and checks the body of a placed call.
func decodeCall(domain string, body []byte) (Call, error) {
	var b placeCallBody
	if err := json.Unmarshal(body, &b); err != nil {
		return Call{}, errors.New("the call is not the expected JSON")
	}
	if b.CallID == "" || len(b.CallID) > maxCallIDLen || strings.IndexFunc(b.CallID, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
	}) >= 0 {
		return Call{}, errors.New("callId must be 1 to 128 letters, digits, '-', '_' or '.'")
	}
	sub := b.SubInstanceID.String()
	if sub == "" || len(sub) > 20 || strings.Trim(sub, "0123456789") != "" {
		return Call{}, errors.New("subinstanceId must be a non-negative integer")
	}
	if b.Destination.Endpoint == "" || len(b.Destination.Endpoint) > 255 {
		return Call{}, errors.New("destination.endpoint must name the callee")
	}
	if b.SDP.Type != "offer" || b.SDP.SDP == "" {
		return Call{}, errors.New("sdp must be an offer")
	}
	c := Call{ID: b.CallID, Domain: domain, Callee: b.Destination.Endpoint, DestinationType: b.Destination.Type,
		SubInstanceID: sub, Offer: b.SDP, Video: slices.Contains(b.MediaChannels, "video")}
	if ph, ok := b.Headers["ph"].(string); ok {
		var m map[string]any
		if json.Unmarshal([]byte(ph), &m) != nil {
			return Call{}, errors.New("headers.ph must be a JSON object")
		}
		c.HeadersJSON = ph
	}
	return c, nil
}

// placeCall serves POST calls/:domain.
func (f *Facade) placeCall(w http.ResponseWriter, from Instance, domain string, body []byte) {
	call, err := decodeCall(domain, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, ocra.CodeValidation, "Invalid call: "+err.Error())
		return
	}
	route, err := f.backend.PlaceCall(from, call)
	switch {
	case errors.Is(err, ErrUserNotFound):
		writeError(w, http.StatusNotFound, ocra.CodeNotFound, "destination user not found")
		return
	case err != nil:
		f.log.Debug("legacy: call not routed", "call", call.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, ocra.CodeServiceUnavailable, "the call could not be routed")
		return
	}
	instances := route.Instances
	if instances == nil {
		instances = []RouteInstance{} // the caller trickles no candidates without it
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"body":          noRelay,
		"signalChannel": route.SignalChannel,
		"instances":     instances,
		"encryptionKey": base64.StdEncoding.EncodeToString(route.Key),
	})
}

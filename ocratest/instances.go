package ocratest

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Limits of POST /instances bodies.
const (
	maxUserIDLen       = 255
	maxDeviceIDLen     = 255
	maxCapabilities    = 32
	maxCapabilityLen   = 64
	instanceSecretSize = 32
	mxpKeySize         = 32
	minNoncePrune      = 1024 // nonces kept before the first pruning
)

// instance is a registered device of a user.
type instance struct {
	id           string
	seq          uint64
	userID       string
	deviceID     string
	secret       []byte
	secretText   string // base64 of secret
	key          []byte // MXP key of the Invites sent to it
	keyText      string
	expireAt     time.Time
	capabilities []string
	version      ocra.Version
	// Its channels: opaque random names, never derived from its id.
	broadcastChannel, signalChannel string
	// legacy marks an instance of a 1.x client (legacy.go), which has a
	// transport channel too and gets Invites in the 1.x form.
	legacy           bool
	transportChannel string
}

// lookupInstance returns the live instance id. An expired one is removed
// and its realtime connections dropped.
func (s *Server) lookupInstance(id string) *instance {
	now := s.opts.now()
	s.mu.Lock()
	in := s.instances[id]
	expired := in != nil && !now.Before(in.expireAt)
	if expired {
		s.removeInstanceLocked(in)
	}
	s.mu.Unlock()
	if expired {
		s.relay.revoke(in)
		return nil
	}
	return in
}

// removeInstanceLocked forgets in and its channels; the caller then
// revokes its realtime channel, outside s.mu.
func (s *Server) removeInstanceLocked(in *instance) {
	delete(s.instances, in.id)
	delete(s.channels, in.broadcastChannel)
	delete(s.channels, in.signalChannel)
}

// liveInstancesOf returns copies of the live instances of userID other than
// except, oldest first.
func (s *Server) liveInstancesOf(userID, except string) []instance {
	now := s.opts.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []instance
	for _, in := range s.instances {
		if in.userID == userID && in.id != except && now.Before(in.expireAt) {
			live = append(live, *in)
		}
	}
	slices.SortFunc(live, func(a, b instance) int { return cmp.Compare(a.seq, b.seq) })
	return live
}

// authInstance checks an instance-signed request and returns the instance
// that signed it. An unknown, deleted or expired instance is 40400, so that
// the client knows to register again.
func (s *Server) authInstance(r *http.Request, body []byte) (*instance, *ocra.APIError) {
	var signer *instance
	unknown := false
	_, err := ocra.VerifyRequest(r, body, ocra.SchemeInstance, s.opts.now(), func(id string) ([]byte, bool) {
		signer = s.lookupInstance(id)
		if signer == nil {
			unknown = true
			return nil, false
		}
		return signer.secret, true
	})
	switch {
	case unknown:
		return nil, notFoundInstance()
	case err != nil:
		return nil, err
	}
	return signer, nil
}

// signedRequest reads the body of an instance-signed request and checks its
// signature. On /instances/{id}/... paths (pathID not empty) the signer must be
// the instance of the path. On failure it has answered and returns ok false.
func (s *Server) signedRequest(w http.ResponseWriter, r *http.Request, pathID string) (body []byte, in *instance, ok bool) {
	body, apiErr := readBody(r)
	if apiErr == nil {
		in, apiErr = s.authInstance(r, body)
	}
	if apiErr == nil && pathID != "" && in.id != pathID {
		apiErr = apiError(ocra.CodeWrongScheme, "request signed by instance "+in.id+" for instance "+pathID+": an instance acts only on itself")
	}
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return nil, nil, false
	}
	return body, in, true
}

// authorizeRealtime is the Hub's check of the WebSocket upgrade, signed in
// headers or, by browsers, in the query string (see headerSigned).
func (s *Server) authorizeRealtime(r *http.Request) (string, *ocra.APIError) {
	in, err := s.authInstance(headerSigned(r), nil)
	if err != nil {
		return "", s.refuse(r, err)
	}
	return in.id, nil
}

// authToken checks the registration token of a Bearer request and spends its
// nonce.
func (s *Server) authToken(r *http.Request) (*auth.Claims, *ocra.APIError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, apiError(ocra.CodeMissingAuth, "missing Authorization header: send Bearer <registration token>")
	}
	scheme, token, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, apiError(ocra.CodeWrongScheme, "Authorization scheme must be Bearer with a registration token")
	}
	now := s.opts.now()
	claims, err := auth.VerifyRegistrationToken(token, s.opts.appKey, s.opts.appSecret, now)
	if err != nil {
		return nil, apiError(ocra.CodeInvalidToken, tokenProblem(err))
	}
	if !s.spendNonce(claims.Nonce, claims.ExpiresAt, now) {
		return nil, apiError(ocra.CodeInvalidToken, "token nonce already used: get a new token for every registration")
	}
	return claims, nil
}

// tokenProblem says what a token verification error means for the developer.
// The error never contains the token or the secret.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, auth.ErrTokenSignature):
		return "token signature invalid: check the application secret"
	case errors.Is(err, auth.ErrTokenExpired):
		return "token expired: get a fresh token just before registering"
	case errors.Is(err, auth.ErrTokenIssuer), errors.Is(err, auth.ErrTokenSubject):
		return "token is for another application: check the application key"
	}
	for _, p := range tokenFaults {
		if errors.Is(err, p.err) {
			return "invalid registration token: " + p.what
		}
	}
	return "invalid registration token"
}

// tokenFaults name the other ways a token is refused in a few words; the
// verifier's own chain of errors says each of them two or three times.
var tokenFaults = []struct {
	err  error
	what string
}{
	{auth.ErrTokenMalformed, "it is not a JWT"},
	{auth.ErrTokenAlgorithm, "its algorithm is not HS256"},
	{auth.ErrTokenKeyID, "its kid does not name its issue date"},
	{auth.ErrTokenLifetime, "its lifetime breaks the rules"},
	{auth.ErrTokenNotYetValid, "it is issued in the future: check the clock of the token's issuer"},
}

// spendNonce records a token's nonce and reports whether it was unused.
// Nonces are forgotten once their token has expired, as it cannot come back;
// they are pruned whenever their number has doubled since the last pruning.
func (s *Server) spendNonce(nonce string, exp, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonces[nonce]; used {
		return false
	}
	if len(s.nonces) >= s.noncePruneAt {
		for n, e := range s.nonces {
			if !now.Before(e) {
				delete(s.nonces, n)
			}
		}
		s.noncePruneAt = max(2*len(s.nonces), minNoncePrune)
	}
	s.nonces[nonce] = exp
	return true
}

// expiry is when an instance registered or extended now with claims expires:
// now plus the instance TTL, capped by the token's instance expiry.
func (s *Server) expiry(claims *auth.Claims, now time.Time) time.Time {
	exp := now.Add(s.opts.instanceTTL)
	if !claims.InstanceExpiry.IsZero() && claims.InstanceExpiry.Before(exp) {
		exp = claims.InstanceExpiry
	}
	return exp.UTC()
}

func (s *Server) handleTimestamp(w http.ResponseWriter, r *http.Request, _ string) {
	s.writeJSON(w, r, http.StatusOK, &ocra.TimestampResponse{Timestamp: s.opts.now().UTC().Truncate(time.Millisecond)})
}

func (s *Server) handleCreateInstance(w http.ResponseWriter, r *http.Request, _ string) {
	claims, apiErr := s.authToken(r)
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	body, apiErr := readBody(r)
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	var req ocra.CreateInstanceRequest
	if apiErr := decodeJSON(body, &req); apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	now := s.opts.now()
	if apiErr := checkCreateInstance(&req, claims, now); apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	in := s.addInstance(&req, s.expiry(claims, now))
	s.log.Info("instance created", "user", in.userID, "instance", in.id, "expireAt", in.expireAt)
	s.writeJSON(w, r, http.StatusCreated, &ocra.CreateInstanceResponse{
		Instance: ocra.Instance{
			ID:           in.id,
			Secret:       in.secretText,
			DeviceID:     in.deviceID,
			ExpireAt:     in.expireAt,
			Capabilities: in.capabilities,
			Version:      in.version,
		},
		Config: s.config(&in),
	})
}

// checkCreateInstance validates a POST /instances body against its token.
func checkCreateInstance(req *ocra.CreateInstanceRequest, claims *auth.Claims, now time.Time) *ocra.APIError {
	switch {
	case req.UserID == "":
		return apiError(ocra.CodeValidation, "userId is required")
	case len(req.UserID) > maxUserIDLen:
		return apiError(ocra.CodeValidation, "userId is longer than 255 bytes")
	case req.UserID != claims.UserID:
		return apiError(ocra.CodeInvalidToken, "token is for another user: userId must be the token's user")
	case len(req.DeviceID) > maxDeviceIDLen:
		return apiError(ocra.CodeValidation, "deviceId is longer than 255 bytes")
	case len(req.Capabilities) > maxCapabilities:
		return apiError(ocra.CodeValidation, "more than 32 capabilities")
	case req.ExpireAt != nil && !req.ExpireAt.After(now):
		return apiError(ocra.CodeValidation, "expireAt is not in the future")
	}
	for _, c := range req.Capabilities {
		if c == "" || len(c) > maxCapabilityLen {
			return apiError(ocra.CodeValidation, "a capability is empty or longer than 64 bytes")
		}
	}
	return nil
}

// addInstance registers a new instance of req.UserID expiring at exp, or
// earlier when the request asks for it, and returns a copy of it.
func (s *Server) addInstance(req *ocra.CreateInstanceRequest, exp time.Time) instance {
	if req.ExpireAt != nil && req.ExpireAt.Before(exp) {
		exp = req.ExpireAt.UTC()
	}
	in := &instance{
		id:           newUUID(),
		userID:       req.UserID,
		deviceID:     req.DeviceID,
		expireAt:     exp,
		capabilities: slices.Clone(req.Capabilities),
		version:      req.Version,
	}
	in.secret, in.secretText = randomKey(instanceSecretSize)
	in.key, in.keyText = randomKey(s.opts.instanceKeyBytes())
	in.broadcastChannel, in.signalChannel = newChannel('B'), newChannel('S')
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	in.seq = s.seq
	s.instances[in.id] = in
	s.channels[in.broadcastChannel] = channelOwner{instance: in.id, broadcast: true}
	s.channels[in.signalChannel] = channelOwner{instance: in.id}
	return *in
}

// config is the configuration of instance in.
func (s *Server) config(in *instance) ocra.Config {
	return ocra.Config{
		ConfigRefreshIntervalMs:     s.opts.refreshInterval.Milliseconds(),
		UpdateInstanceTTLWindowDays: s.opts.ttlWindowDays(),
		ICETransportPolicy:          s.opts.icePolicy,
		RTCProfile: ocra.RTCProfile{
			BroadcastChannel: in.broadcastChannel,
			SignalChannel:    in.signalChannel,
			Key:              in.keyText,
		},
		RTCConfig: ocra.RTCConfig{MXPPubSubConfig: s.pubSubConfig()},
	}
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request, id string) {
	_, in, ok := s.signedRequest(w, r, id)
	if !ok {
		return
	}
	cfg := s.config(in)
	s.writeJSON(w, r, http.StatusOK, &cfg)
}

func (s *Server) handleICEServers(w http.ResponseWriter, r *http.Request, id string) {
	_, in, ok := s.signedRequest(w, r, id)
	if !ok {
		return
	}
	servers := []ocra.ICEServer{} // loopback peers need no STUN or TURN server
	if s.turn != nil {
		servers = s.turn.iceServers(in, s.opts.now())
	}
	s.writeJSON(w, r, http.StatusOK, servers)
}

func (s *Server) handleDeleteInstance(w http.ResponseWriter, r *http.Request, id string) {
	_, in, ok := s.signedRequest(w, r, id)
	if !ok {
		return
	}
	s.mu.Lock()
	s.removeInstanceLocked(in)
	s.mu.Unlock()
	s.relay.revoke(in)
	s.log.Info("instance deleted", "instance", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleExtendInstance(w http.ResponseWriter, r *http.Request, id string) {
	claims, apiErr := s.authToken(r)
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	in := s.lookupInstance(id)
	if in == nil {
		s.writeError(w, r, notFoundInstance())
		return
	}
	if in.userID != claims.UserID {
		s.writeError(w, r, apiError(ocra.CodeInvalidToken, "token is for another user than the instance's"))
		return
	}
	exp := s.expiry(claims, s.opts.now())
	s.mu.Lock()
	in.expireAt = exp
	s.mu.Unlock()
	s.log.Info("instance extended", "instance", id, "expireAt", exp)
	s.writeJSON(w, r, http.StatusOK, &ocra.TTLResponse{InstanceID: id, ExpireAt: exp})
}

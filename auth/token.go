// Package auth builds and verifies Sinch registration tokens.
//
// A client registers with Sinch by presenting a registration token: a JWT that
// the application's backend signs with a key derived from the application
// secret, so that the secret never leaves the backend. The backend serves
// tokens to its authenticated users with [NewRegistrationToken]; the SDK hands
// them to Ocra. [VerifyRegistrationToken] checks a token the way Ocra does.
//
// Token format (HS256, kid "hkdfv1-YYYYMMDD", claims iss, sub, iat, exp, nonce
// and the optional "sinch:rtc:instance:exp") follows Sinch's published
// algorithm byte for byte.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

const (
	minTTL               = 60 * time.Second
	defaultTTL           = 600 * time.Second
	minInstanceLifetime  = 48 * time.Hour // from iat to sinch:rtc:instance:exp
	iatLeeway            = 60 * time.Second
	keyIDPrefix          = "hkdfv1-"
	keyDateLayout        = "20060102"
	claimInstanceExpiry  = "sinch:rtc:instance:exp"
	applicationURIPrefix = "//rtc.sinch.com/applications/"
)

// Option configures NewRegistrationToken.
type Option func(*options)

type options struct {
	now            func() time.Time
	ttl            time.Duration
	nonce          string
	nonceSet       bool
	instanceExpiry time.Time
}

// WithClock sets the clock that gives iat (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithTTL sets the token's lifetime, exp - iat: at least 60 s; default 600 s.
// Fractions of a second are dropped.
func WithTTL(d time.Duration) Option {
	return func(o *options) { o.ttl = d }
}

// WithNonce sets the nonce (default: a random UUID v4). Every token needs its own.
func WithNonce(nonce string) Option {
	return func(o *options) { o.nonce, o.nonceSet = nonce, true }
}

// WithInstanceExpiry sets sinch:rtc:instance:exp, which caps how long the
// instance registered with this token may live; at least 48 h after iat.
func WithInstanceExpiry(t time.Time) Option {
	return func(o *options) { o.instanceExpiry = t }
}

// NewRegistrationToken builds the registration token of userID for the
// application appKey, signed with a key derived from appSecret (base64).
func NewRegistrationToken(appKey, appSecret, userID string, opts ...Option) (string, error) {
	o := options{now: time.Now, ttl: defaultTTL}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(appKey, userID); err != nil {
		return "", err
	}
	if !o.nonceSet {
		o.nonce = newUUID()
	}
	iat := o.now().Unix()
	claims := jwt.MapClaims{ // a map marshals with its keys sorted, as the format requires
		"iss":   issuer(appKey),
		"sub":   subject(appKey, userID),
		"iat":   iat,
		"exp":   iat + int64(o.ttl/time.Second),
		"nonce": o.nonce,
	}
	if !o.instanceExpiry.IsZero() {
		exp := o.instanceExpiry.Unix()
		if exp-iat < int64(minInstanceLifetime/time.Second) {
			return "", errors.New("auth: instance expiry must be at least 48 h after the token's issue time")
		}
		claims[claimInstanceExpiry] = exp
	}
	day := time.Unix(iat, 0)
	key, err := SigningKey(appSecret, day)
	if err != nil {
		return "", err
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header = map[string]any{"alg": jwt.SigningMethodHS256.Alg(), "kid": keyID(day)}
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("auth: sign registration token: %w", err)
	}
	return s, nil
}

func (o *options) check(appKey, userID string) error {
	switch {
	case appKey == "":
		return errors.New("auth: application key is empty")
	case userID == "":
		return errors.New("auth: user id is empty")
	case o.now == nil:
		return errors.New("auth: WithClock needs a clock")
	case o.ttl < minTTL:
		return fmt.Errorf("auth: TTL %v is under the minimum of %v", o.ttl, minTTL)
	case o.nonceSet && o.nonce == "":
		return errors.New("auth: nonce is empty")
	}
	return nil
}

// SigningKey derives the key that signs the registration tokens of one UTC
// day: HMAC-SHA256(key = base64-decoded appSecret, message = "YYYYMMDD").
func SigningKey(appSecret string, day time.Time) ([]byte, error) {
	secret, err := ocra.DecodeSecret(appSecret)
	if err != nil {
		return nil, errors.New("auth: application secret is empty or not valid base64")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(day.UTC().Format(keyDateLayout)))
	return mac.Sum(nil), nil
}

func keyID(day time.Time) string { return keyIDPrefix + day.UTC().Format(keyDateLayout) }

func issuer(appKey string) string { return applicationURIPrefix + appKey }

func subject(appKey, userID string) string { return issuer(appKey) + "/users/" + userID }

// newUUID returns a random UUID version 4 (RFC 9562) in its canonical text form.
func newUUID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error: it crashes the program when the
	// system has no randomness.
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

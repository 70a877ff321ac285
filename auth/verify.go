package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors of VerifyRegistrationToken. Each failure wraps exactly one of them,
// so that a server can map it with errors.Is.
var (
	ErrTokenMalformed   = errors.New("auth: malformed registration token")
	ErrTokenAlgorithm   = errors.New("auth: registration token algorithm is not HS256")
	ErrTokenKeyID       = errors.New("auth: registration token key id does not name its issue date")
	ErrTokenSignature   = errors.New("auth: registration token signature is invalid")
	ErrTokenIssuer      = errors.New("auth: registration token is issued for another application")
	ErrTokenSubject     = errors.New("auth: registration token subject is not a user of the application")
	ErrTokenLifetime    = errors.New("auth: registration token lifetime breaks the rules")
	ErrTokenNotYetValid = errors.New("auth: registration token is issued in the future")
	ErrTokenExpired     = errors.New("auth: registration token has expired")
)

// Claims are the checked contents of a registration token.
type Claims struct {
	ApplicationKey, UserID, Nonce string
	IssuedAt, ExpiresAt           time.Time
	InstanceExpiry                time.Time // zero when absent
}

// tokenClaims is the claims JSON as received.
type tokenClaims struct {
	jwt.RegisteredClaims
	Nonce          string           `json:"nonce"`
	InstanceExpiry *jwt.NumericDate `json:"sinch:rtc:instance:exp,omitempty"`
}

// VerifyRegistrationToken checks a registration token of the application
// appKey as Ocra does, at time now: alg HS256; kid "hkdfv1-YYYYMMDD" naming
// iat's UTC date, whose derived key must verify the signature; iss and sub of
// appKey; iat at most 60 s in the future; exp after now; exp - iat at least
// 60 s; sinch:rtc:instance:exp, when present, at least 48 h after iat.
//
// A token that fails a check gives an error wrapping one of the ErrToken
// values; the errors never contain the token or the secret. Whether the
// nonce was seen before is for the caller to check.
func VerifyRegistrationToken(token, appKey, appSecret string, now time.Time) (*Claims, error) {
	if appKey == "" {
		return nil, errors.New("auth: application key is empty")
	}
	var tc tokenClaims
	tok, parts, err := jwt.NewParser().ParseUnverified(token, &tc)
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, ErrTokenAlgorithm
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	case tok.Header["alg"] != jwt.SigningMethodHS256.Alg():
		return nil, ErrTokenAlgorithm
	case tc.IssuedAt == nil || tc.ExpiresAt == nil || tc.Nonce == "":
		return nil, fmt.Errorf("%w: iat, exp and nonce are required", ErrTokenMalformed)
	}
	iat, exp := tc.IssuedAt.UTC(), tc.ExpiresAt.UTC()
	if kid, _ := tok.Header["kid"].(string); kid != keyID(iat) {
		return nil, fmt.Errorf("%w: want kid %s", ErrTokenKeyID, keyID(iat))
	}
	key, err := SigningKey(appSecret, iat)
	if err != nil {
		return nil, err
	}
	if jwt.SigningMethodHS256.Verify(parts[0]+"."+parts[1], tok.Signature, key) != nil {
		return nil, ErrTokenSignature
	}
	userID, ok := strings.CutPrefix(tc.Subject, subject(appKey, ""))
	switch {
	case tc.Issuer != issuer(appKey):
		return nil, fmt.Errorf("%w: want iss %s", ErrTokenIssuer, issuer(appKey))
	case !ok || userID == "":
		return nil, fmt.Errorf("%w: want sub %s", ErrTokenSubject, subject(appKey, "{userId}"))
	}
	c := &Claims{ApplicationKey: appKey, UserID: userID, Nonce: tc.Nonce, IssuedAt: iat, ExpiresAt: exp}
	if tc.InstanceExpiry != nil {
		c.InstanceExpiry = tc.InstanceExpiry.UTC()
	}
	if err := c.checkTimes(now); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Claims) checkTimes(now time.Time) error {
	switch {
	case c.ExpiresAt.Sub(c.IssuedAt) < minTTL:
		return fmt.Errorf("%w: exp must be at least %v after iat", ErrTokenLifetime, minTTL)
	case !c.InstanceExpiry.IsZero() && c.InstanceExpiry.Sub(c.IssuedAt) < minInstanceLifetime:
		return fmt.Errorf("%w: %s must be at least %v after iat", ErrTokenLifetime, claimInstanceExpiry, minInstanceLifetime)
	case c.IssuedAt.After(now.Add(iatLeeway)):
		return fmt.Errorf("%w: iat is over %v ahead of the clock", ErrTokenNotYetValid, iatLeeway)
	case !c.ExpiresAt.After(now):
		return ErrTokenExpired
	}
	return nil
}

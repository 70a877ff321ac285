package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/auth"
)

// Sinch's published reference data (protocol.md section 1).
const (
	vecAppKey    = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"
	vecSecret    = "ax8hTTQJF0OPXL32r1LHMA=="
	vecUser      = "foo"
	vecNonce     = "6b438bda-2d5c-4e8c-92b0-39f20a94b34e"
	vecIAT       = 1514862245
	vecKey       = "AZj5EsS8S7wb06xr5jERqPHsraQt3w/+Ih5EfrhisBQ="
	vecToken     = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.10N-QAvRK0-dacox5X5YusK7C0AWb-kZLiNNTKLQw8I"
	vecTypHeader = `{"alg":"HS256","typ":"JWT","kid":"hkdfv1-20180102"}`
	vecTypSig    = "2W9dvjmRDTGkM_C0OxEsjd6Oownnd5DlOIKu08GuYvA"
)

var vecTime = time.Unix(vecIAT, 0).UTC()

func fixedClock(t time.Time) auth.Option {
	return auth.WithClock(func() time.Time { return t })
}

func vectorToken(t *testing.T, opts ...auth.Option) string {
	t.Helper()
	opts = append([]auth.Option{fixedClock(vecTime), auth.WithNonce(vecNonce)}, opts...)
	tok, err := auth.NewRegistrationToken(vecAppKey, vecSecret, vecUser, opts...)
	require.NoError(t, err)
	return tok
}

// craft signs an arbitrary header and claims with the key of day, so that
// tests can build tokens NewRegistrationToken refuses to.
func craft(t *testing.T, header string, claims map[string]any, day time.Time) string {
	t.Helper()
	body, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(body)
	key, err := auth.SigningKey(vecSecret, day)
	require.NoError(t, err)
	sig, err := jwt.SigningMethodHS256.Sign(signing, key)
	require.NoError(t, err)
	return signing + "." + enc.EncodeToString(sig)
}

func vectorClaims() map[string]any {
	return map[string]any{
		"iss":   "//rtc.sinch.com/applications/" + vecAppKey,
		"sub":   "//rtc.sinch.com/applications/" + vecAppKey + "/users/" + vecUser,
		"iat":   vecIAT,
		"exp":   vecIAT + 600,
		"nonce": vecNonce,
	}
}

const vecHeader = `{"alg":"HS256","kid":"hkdfv1-20180102"}`

func TestSigningKeyVector(t *testing.T) {
	key, err := auth.SigningKey(vecSecret, vecTime)
	require.NoError(t, err)
	assert.Equal(t, vecKey, base64.StdEncoding.EncodeToString(key))

	// Only the UTC date counts: the same day in another zone gives the same key.
	inTokyo, err := auth.SigningKey(vecSecret, vecTime.In(time.FixedZone("JST", 9*3600)))
	require.NoError(t, err)
	assert.Equal(t, key, inTokyo)
	nextDay, err := auth.SigningKey(vecSecret, vecTime.AddDate(0, 0, 1))
	require.NoError(t, err)
	assert.NotEqual(t, key, nextDay)
}

func TestNewRegistrationTokenVector(t *testing.T) {
	assert.Equal(t, vecToken, vectorToken(t))
}

func TestTypHeaderVariantVector(t *testing.T) {
	tok := craft(t, vecTypHeader, vectorClaims(), vecTime)
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	assert.Equal(t, vecTypSig, sig)

	claims, err := auth.VerifyRegistrationToken(tok, vecAppKey, vecSecret, vecTime)
	require.NoError(t, err)
	assert.Equal(t, vecUser, claims.UserID)
}

func TestSecretForms(t *testing.T) {
	raw := []byte{0xfb, 0xef, 0xff, 0x00, 0x3e, 0x3f, 0xfe, 0x01, 0x02, 0x03}
	forms := map[string]string{
		"standard":          base64.StdEncoding.EncodeToString(raw),
		"standard unpadded": base64.RawStdEncoding.EncodeToString(raw),
		"URL-safe":          base64.URLEncoding.EncodeToString(raw),
		"URL-safe unpadded": base64.RawURLEncoding.EncodeToString(raw),
	}
	want, err := auth.SigningKey(forms["standard"], vecTime)
	require.NoError(t, err)
	for name, secret := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := auth.SigningKey(secret, vecTime)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestBadSecret(t *testing.T) {
	for _, secret := range []string{"", "not base64!", "ax8hTTQJF0OPXL32r1LHMA=", "ax8h+TQJF0OPXL32r1LH_A=="} {
		_, err := auth.NewRegistrationToken(vecAppKey, secret, vecUser)
		require.Error(t, err, "secret %q", secret)
		if secret != "" {
			assert.NotContains(t, err.Error(), secret)
		}
		_, err = auth.VerifyRegistrationToken(vecToken, vecAppKey, secret, vecTime)
		require.Error(t, err, "secret %q", secret)
		assert.False(t, errors.Is(err, auth.ErrTokenSignature), "a bad secret is not the token's fault")
	}
}

func TestNewRegistrationTokenDefaults(t *testing.T) {
	now := time.Date(2024, 2, 29, 23, 59, 59, 900e6, time.UTC)
	tok, err := auth.NewRegistrationToken(vecAppKey, vecSecret, "alice", fixedClock(now))
	require.NoError(t, err)

	claims, err := auth.VerifyRegistrationToken(tok, vecAppKey, vecSecret, now)
	require.NoError(t, err)
	assert.Equal(t, now.Truncate(time.Second), claims.IssuedAt)
	assert.Equal(t, 600*time.Second, claims.ExpiresAt.Sub(claims.IssuedAt))
	assert.True(t, claims.InstanceExpiry.IsZero())
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, claims.Nonce)

	header, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"HS256","kid":"hkdfv1-20240229"}`, string(raw))
}

func TestNewRegistrationTokenFreshNonces(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		tok, err := auth.NewRegistrationToken(vecAppKey, vecSecret, vecUser, fixedClock(vecTime))
		require.NoError(t, err)
		claims, err := auth.VerifyRegistrationToken(tok, vecAppKey, vecSecret, vecTime)
		require.NoError(t, err)
		require.Regexp(t, uuid, claims.Nonce)
		require.False(t, seen[claims.Nonce], "nonce repeated")
		seen[claims.Nonce] = true
	}
}

func TestNewRegistrationTokenOptions(t *testing.T) {
	t.Run("TTL", func(t *testing.T) {
		claims, err := auth.VerifyRegistrationToken(vectorToken(t, auth.WithTTL(90*time.Second+time.Millisecond)), vecAppKey, vecSecret, vecTime)
		require.NoError(t, err)
		assert.Equal(t, vecTime.Add(90*time.Second), claims.ExpiresAt)

		claims, err = auth.VerifyRegistrationToken(vectorToken(t, auth.WithTTL(time.Minute)), vecAppKey, vecSecret, vecTime)
		require.NoError(t, err)
		assert.Equal(t, vecTime.Add(time.Minute), claims.ExpiresAt)
	})
	t.Run("instance expiry", func(t *testing.T) {
		capAt := vecTime.Add(48 * time.Hour)
		claims, err := auth.VerifyRegistrationToken(vectorToken(t, auth.WithInstanceExpiry(capAt)), vecAppKey, vecSecret, vecTime)
		require.NoError(t, err)
		assert.Equal(t, capAt, claims.InstanceExpiry)
	})
	t.Run("nonce", func(t *testing.T) {
		claims, err := auth.VerifyRegistrationToken(vectorToken(t, auth.WithNonce("n-1")), vecAppKey, vecSecret, vecTime)
		require.NoError(t, err)
		assert.Equal(t, "n-1", claims.Nonce)
	})
}

func TestNewRegistrationTokenRejects(t *testing.T) {
	clock := fixedClock(vecTime)
	cases := map[string]struct {
		appKey, userID string
		opts           []auth.Option
	}{
		"empty app key":         {"", vecUser, nil},
		"empty user":            {vecAppKey, "", nil},
		"short TTL":             {vecAppKey, vecUser, []auth.Option{auth.WithTTL(59 * time.Second)}},
		"empty nonce":           {vecAppKey, vecUser, []auth.Option{auth.WithNonce("")}},
		"nil clock":             {vecAppKey, vecUser, []auth.Option{auth.WithClock(nil)}},
		"early instance expiry": {vecAppKey, vecUser, []auth.Option{clock, auth.WithInstanceExpiry(vecTime.Add(48*time.Hour - time.Second))}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := auth.NewRegistrationToken(tc.appKey, vecSecret, tc.userID, tc.opts...)
			assert.Error(t, err)
			assert.Empty(t, tok)
		})
	}
}

func TestVerifyRegistrationTokenVector(t *testing.T) {
	claims, err := auth.VerifyRegistrationToken(vecToken, vecAppKey, vecSecret, vecTime.Add(599*time.Second))
	require.NoError(t, err)
	assert.Equal(t, &auth.Claims{
		ApplicationKey: vecAppKey,
		UserID:         vecUser,
		Nonce:          vecNonce,
		IssuedAt:       vecTime,
		ExpiresAt:      vecTime.Add(600 * time.Second),
	}, claims)
}

func TestVerifyRegistrationTokenFailures(t *testing.T) {
	with := func(key string, value any) map[string]any {
		c := vectorClaims()
		if value == nil {
			delete(c, key)
		} else {
			c[key] = value
		}
		return c
	}
	tampered := vecToken[:len(vecToken)-2] + "xx"
	otherSecret := base64.StdEncoding.EncodeToString([]byte("another application secret"))
	cases := []struct {
		name    string
		token   string
		appKey  string
		secret  string
		now     time.Time
		wantErr error
	}{
		{"empty", "", vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"two parts", "a.b", vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"not base64", "!!.!!.!!", vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"claims not JSON", craftRaw(vecHeader, "nope"), vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"iss not a string", craft(t, vecHeader, with("iss", 7), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"no iat", craft(t, vecHeader, with("iat", nil), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"no exp", craft(t, vecHeader, with("exp", nil), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"no nonce", craft(t, vecHeader, with("nonce", nil), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenMalformed},
		{"alg none", craftRaw(`{"alg":"none","kid":"hkdfv1-20180102"}`, "{}"), vecAppKey, vecSecret, vecTime, auth.ErrTokenAlgorithm},
		{"alg HS512", craft(t, `{"alg":"HS512","kid":"hkdfv1-20180102"}`, vectorClaims(), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenAlgorithm},
		{"alg unknown", craftRaw(`{"alg":"XX1","kid":"hkdfv1-20180102"}`, "{}"), vecAppKey, vecSecret, vecTime, auth.ErrTokenAlgorithm},
		{"no kid", craft(t, `{"alg":"HS256"}`, vectorClaims(), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenKeyID},
		{"kid of another day", craft(t, `{"alg":"HS256","kid":"hkdfv1-20180103"}`, vectorClaims(), vecTime.AddDate(0, 0, 1)), vecAppKey, vecSecret, vecTime, auth.ErrTokenKeyID},
		{"key of another day", craft(t, vecHeader, vectorClaims(), vecTime.AddDate(0, 0, 1)), vecAppKey, vecSecret, vecTime, auth.ErrTokenSignature},
		{"tampered signature", tampered, vecAppKey, vecSecret, vecTime, auth.ErrTokenSignature},
		{"other secret", vecToken, vecAppKey, otherSecret, vecTime, auth.ErrTokenSignature},
		{"other application", vecToken, "other-app", vecSecret, vecTime, auth.ErrTokenIssuer},
		{"sub of other application", craft(t, vecHeader, with("sub", "//rtc.sinch.com/applications/other/users/foo"), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenSubject},
		{"sub without user", craft(t, vecHeader, with("sub", "//rtc.sinch.com/applications/"+vecAppKey+"/users/"), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenSubject},
		{"TTL under 60 s", craft(t, vecHeader, with("exp", vecIAT+59), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenLifetime},
		{"instance expiry under 48 h", craft(t, vecHeader, with("sinch:rtc:instance:exp", vecIAT+48*3600-1), vecTime), vecAppKey, vecSecret, vecTime, auth.ErrTokenLifetime},
		{"iat over 60 s ahead", vecToken, vecAppKey, vecSecret, vecTime.Add(-61 * time.Second), auth.ErrTokenNotYetValid},
		{"expired at exp", vecToken, vecAppKey, vecSecret, vecTime.Add(600 * time.Second), auth.ErrTokenExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := auth.VerifyRegistrationToken(tc.token, tc.appKey, tc.secret, tc.now)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, claims)
			if tc.token != "" {
				assert.NotContains(t, err.Error(), tc.token)
			}
			assert.NotContains(t, err.Error(), tc.secret)
		})
	}
}

func TestVerifyRegistrationTokenLimits(t *testing.T) {
	_, err := auth.VerifyRegistrationToken(vecToken, vecAppKey, vecSecret, vecTime.Add(-60*time.Second))
	assert.NoError(t, err, "iat 60 s ahead is within the leeway")
	_, err = auth.VerifyRegistrationToken(vecToken, vecAppKey, vecSecret, vecTime.Add(600*time.Second-time.Nanosecond))
	assert.NoError(t, err, "valid until exp")
	tok := craft(t, vecHeader, map[string]any{
		"iss":                    "//rtc.sinch.com/applications/" + vecAppKey,
		"sub":                    "//rtc.sinch.com/applications/" + vecAppKey + "/users/" + vecUser,
		"iat":                    vecIAT,
		"exp":                    vecIAT + 60,
		"nonce":                  vecNonce,
		"sinch:rtc:instance:exp": vecIAT + 48*3600,
	}, vecTime)
	_, err = auth.VerifyRegistrationToken(tok, vecAppKey, vecSecret, vecTime)
	assert.NoError(t, err, "TTL of 60 s and instance expiry of 48 h are allowed")
}

func TestVerifyRegistrationTokenEmptyAppKey(t *testing.T) {
	_, err := auth.VerifyRegistrationToken(vecToken, "", vecSecret, vecTime)
	assert.Error(t, err)
}

// craftRaw joins a header and a claims text with an empty signature.
func craftRaw(header, claims string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims)) + "."
}

func FuzzVerifyRegistrationToken(f *testing.F) {
	f.Add(vecToken)
	f.Add(vecToken[:len(vecToken)-1])
	f.Add("")
	f.Add("..")
	f.Add("a.b.c")
	f.Add(craftRaw(`{"alg":"HS256","kid":"hkdfv1-20180102"}`, `{"iat":1e300,"exp":-1e300,"nonce":"x"}`))
	f.Add(craftRaw(`{"alg":"HS256","kid":"hkdfv1-20180102"}`, `{"iat":"1","exp":[1],"aud":{}}`))
	f.Add(craftRaw(`null`, `null`))
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := auth.VerifyRegistrationToken(token, vecAppKey, vecSecret, vecTime)
		if err != nil {
			if claims != nil {
				t.Fatal("claims returned with an error")
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("error contains the token: %v", err)
			}
			return
		}
		if claims.UserID == "" || claims.Nonce == "" || !claims.ExpiresAt.After(vecTime) {
			t.Fatalf("accepted bad claims %+v", claims)
		}
	})
}

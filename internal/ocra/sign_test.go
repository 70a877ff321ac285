package ocra

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// protocol.md section 2's test vector.
const (
	vecSecret    = "BeIukql3pTKJ8RGL5zo0DA=="
	vecTimestamp = "2014-09-24T10:59:41Z"
	vecPath      = "/sinch/callback/ace"
	vecBody      = `{"event":"ace","callid":"822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257","timestamp":"2014-09-24T10:59:41Z","version":1}`
	vecMD5       = "REWF+X220L4/Gw1spXOU7g=="
	vecSignature = "Tg6fMyo8mj9pYfWQ9ssbx3Tc1BNC87IEygAfLbJqZb4="
)

func TestSigningVector(t *testing.T) {
	secret, err := DecodeSecret(vecSecret)
	require.NoError(t, err)
	md := ContentMD5([]byte(vecBody))
	assert.Equal(t, vecMD5, md)
	sts := StringToSign(http.MethodPost, md, "application/json", vecTimestamp, vecPath)
	assert.Equal(t, "POST\n"+vecMD5+"\napplication/json\nx-timestamp:"+vecTimestamp+"\n"+vecPath, sts)
	assert.Equal(t, vecSignature, Signature(secret, sts))
}

func TestContentMD5Empty(t *testing.T) {
	assert.Empty(t, ContentMD5(nil))
	assert.Empty(t, ContentMD5([]byte{}))
}

func TestFormatTimestamp(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	assert.Equal(t, "2014-09-24T10:59:41.123Z", FormatTimestamp(time.Date(2014, 9, 24, 11, 59, 41, 123456789, cet)))
	assert.Equal(t, "2014-09-24T10:59:41.000Z", FormatTimestamp(time.Date(2014, 9, 24, 10, 59, 41, 0, time.UTC)))
}

func TestDecodeSecret(t *testing.T) {
	raw := []byte{0xfb, 0xef, 0xff, 0x00, 0x3e, 0x3f, 0xfe}
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
	} {
		got, err := DecodeSecret(s)
		require.NoError(t, err, s)
		assert.Equal(t, raw, got, s)
	}
	for _, s := range []string{"", "=", "====", "abc$", "+/-_", "ax8hTTQJF0OPXL32r1LHMA="} {
		_, err := DecodeSecret(s)
		require.Error(t, err, "%q", s)
		if len(s) > 1 {
			assert.NotContains(t, err.Error(), s)
		}
	}
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func secretFor(id string) ([]byte, bool) {
	if id != "inst-1" {
		return nil, false
	}
	return testSecret, true
}

// signedRequest is a server-side request signed at now, with its body.
func signedRequest(method, target string, body []byte, now time.Time) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if len(body) > 0 {
		r.Header.Set("Content-Type", ContentTypeJSON)
	}
	SignRequest(r, body, SchemeInstance, "inst-1", testSecret, now)
	return r
}

func TestSignRequestHeaders(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC)
	body := []byte(`{"a":1}`)
	r := signedRequest(http.MethodPost, "/ocra/v1/calls?x=1", body, now)
	assert.Equal(t, "2024-05-06T07:08:09.010Z", r.Header.Get(HeaderTimestamp))
	assert.Equal(t, ContentMD5(body), r.Header.Get(HeaderContentMD5))
	sts := StringToSign(http.MethodPost, ContentMD5(body), ContentTypeJSON, "2024-05-06T07:08:09.010Z", "/ocra/v1/calls?x=1")
	assert.Equal(t, "instance inst-1:"+Signature(testSecret, sts), r.Header.Get("Authorization"))

	r = signedRequest(http.MethodGet, "/ocra/v1/pubsub", nil, now)
	assert.Empty(t, r.Header.Values(HeaderContentMD5))
}

func TestVerifyRequestAccepts(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, r := range []*http.Request{
		signedRequest(http.MethodPost, "/ocra/v1/calls?x=1&y=%20", []byte(`{"a":1}`), now),
		signedRequest(http.MethodGet, "/ocra/v1/instances/inst-1/config", nil, now),
		signedRequest(http.MethodGet, "/ocra/v1/pubsub", nil, now.Add(-MaxClockSkew)),
		signedRequest(http.MethodGet, "/ocra/v1/pubsub", nil, now.Add(MaxClockSkew)),
	} {
		body := []byte{}
		if r.Method == http.MethodPost {
			body = []byte(`{"a":1}`)
		}
		id, err := VerifyRequest(r, body, SchemeInstance, now, secretFor)
		require.Nil(t, err, "%s %s", r.Method, r.URL)
		assert.Equal(t, "inst-1", id)
	}
}

// A timestamp is signed as received, so a sender that leaves out the
// milliseconds (like the vector) verifies too.
func TestVerifyRequestTimestampAsGiven(t *testing.T) {
	secret, err := DecodeSecret(vecSecret)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, vecPath, bytes.NewReader([]byte(vecBody)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(HeaderTimestamp, vecTimestamp)
	r.Header.Set("Authorization", "application app-key:"+vecSignature)
	now, _ := time.Parse(time.RFC3339, vecTimestamp)
	id, apiErr := VerifyRequest(r, []byte(vecBody), SchemeApplication, now, func(id string) ([]byte, bool) {
		return secret, id == "app-key"
	})
	require.Nil(t, apiErr)
	assert.Equal(t, "app-key", id)
}

func TestVerifyRequestFailures(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	body := []byte(`{"callId":"c1"}`)
	const target = "/ocra/v1/calls?x=1"
	cases := []struct {
		name   string
		r      *http.Request
		body   []byte
		code   int
		status int
	}{
		{"no Authorization", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Header.Del("Authorization")
			return r
		}(), body, CodeMissingAuth, http.StatusUnauthorized},
		{"application scheme", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, target, nil)
			SignRequest(r, body, SchemeApplication, "inst-1", testSecret, now)
			return r
		}(), body, CodeWrongScheme, http.StatusForbidden},
		{"Bearer", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, target, nil)
			r.Header.Set("Authorization", "Bearer a.b.c")
			return r
		}(), body, CodeWrongScheme, http.StatusForbidden},
		{"no timestamp", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Header.Del(HeaderTimestamp)
			return r
		}(), body, CodeBadTimestamp, http.StatusUnauthorized},
		{"garbage timestamp", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Header.Set(HeaderTimestamp, "yesterday")
			return r
		}(), body, CodeBadTimestamp, http.StatusUnauthorized},
		{"timestamp over 15 min behind", signedRequest(http.MethodPost, target, body, now.Add(-MaxClockSkew-time.Millisecond)), body, CodeBadTimestamp, http.StatusUnauthorized},
		{"timestamp over 15 min ahead", signedRequest(http.MethodPost, target, body, now.Add(MaxClockSkew+time.Millisecond)), body, CodeBadTimestamp, http.StatusUnauthorized},
		{"other path", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.URL.Path = "/ocra/v1/calls2"
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
		{"other query", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.URL.RawQuery = "x=2"
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
		{"other body", signedRequest(http.MethodPost, target, body, now), []byte(`{"callId":"c2"}`), CodeInvalidSignature, http.StatusUnauthorized},
		{"other method", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Method = http.MethodPut
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
		{"other content type", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
		{"unknown id", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, target, nil)
			r.Header.Set("Content-Type", ContentTypeJSON)
			SignRequest(r, body, SchemeInstance, "inst-2", testSecret, now)
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
		{"no signature", func() *http.Request {
			r := signedRequest(http.MethodPost, target, body, now)
			r.Header.Set("Authorization", "instance inst-1")
			return r
		}(), body, CodeInvalidSignature, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, apiErr := VerifyRequest(tc.r, tc.body, SchemeInstance, now, secretFor)
			require.NotNil(t, apiErr)
			assert.Empty(t, id)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.status, apiErr.Status)
			assert.NotEmpty(t, apiErr.Message)
		})
	}
}

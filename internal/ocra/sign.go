package ocra

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Header names of a signed request.
const (
	HeaderTimestamp  = "x-timestamp"
	HeaderContentMD5 = "Content-MD5"
)

// Authorization schemes of a signed request.
const (
	SchemeInstance    = "instance"    // the SDK, after registration
	SchemeApplication = "application" // Sinch -> an app's backend
)

// MaxClockSkew is how far a request's x-timestamp may be from the server's clock.
const MaxClockSkew = 15 * time.Minute

// DecodeSecret decodes a base64 secret: standard or URL-safe alphabet, padded
// or not. An empty or undecodable secret is an error that never contains it.
func DecodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("ocra: secret is empty")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") {
		enc = enc.WithPadding(base64.NoPadding)
	}
	key, err := enc.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, errors.New("ocra: secret is not valid base64")
	}
	return key, nil
}

// ContentMD5 is base64(MD5(body)), or "" for an empty body.
func ContentMD5(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// FormatTimestamp formats t as an x-timestamp: RFC 3339 in UTC with milliseconds.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// StringToSign joins the signed parts of a request as protocol.md section 2 defines.
// timestamp is used as given, so that a received x-timestamp is signed byte for byte.
func StringToSign(method, contentMD5, contentType, timestamp, pathWithQuery string) string {
	return method + "\n" + contentMD5 + "\n" + contentType + "\n" +
		HeaderTimestamp + ":" + timestamp + "\n" + pathWithQuery
}

// Signature is base64(HMAC-SHA256(secret, stringToSign)).
func Signature(secret []byte, stringToSign string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignRequest sets x-timestamp, Content-MD5 (when body is not empty) and
// Authorization: "<scheme> <id>:<signature>" (scheme "instance" or "application").
// The Content-Type header must already be set as it will be sent.
func SignRequest(r *http.Request, body []byte, scheme, id string, secret []byte, now time.Time) {
	ts := FormatTimestamp(now)
	md := ContentMD5(body)
	r.Header.Set(HeaderTimestamp, ts)
	if md != "" {
		r.Header.Set(HeaderContentMD5, md)
	}
	sts := StringToSign(r.Method, md, r.Header.Get("Content-Type"), ts, r.URL.RequestURI())
	r.Header.Set("Authorization", scheme+" "+id+":"+Signature(secret, sts))
}

// VerifyRequest checks a signed request on the server side: missing Authorization 40100,
// other scheme 40301, missing/unparseable timestamp or skew over 15 min 40101, unknown id
// or wrong signature (body MD5 recomputed from body, path+query from r.URL) 40102.
// secretFor returns the secret of an id and whether the id is known.
func VerifyRequest(r *http.Request, body []byte, scheme string, now time.Time,
	secretFor func(id string) ([]byte, bool)) (id string, err *APIError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return "", &APIError{Status: http.StatusUnauthorized, Code: CodeMissingAuth, Message: "Missing Authorization header"}
	}
	gotScheme, cred, _ := strings.Cut(authz, " ")
	if gotScheme != scheme {
		return "", &APIError{Status: http.StatusForbidden, Code: CodeWrongScheme, Message: "Authorization scheme must be " + scheme}
	}
	ts := r.Header.Get(HeaderTimestamp)
	t, perr := time.Parse(time.RFC3339Nano, ts)
	if perr != nil {
		return "", &APIError{Status: http.StatusUnauthorized, Code: CodeBadTimestamp, Message: "Missing or invalid x-timestamp"}
	}
	if skew := now.Sub(t); skew > MaxClockSkew || skew < -MaxClockSkew {
		return "", &APIError{Status: http.StatusUnauthorized, Code: CodeBadTimestamp, Message: "x-timestamp is more than 15 minutes from the server's clock"}
	}
	id, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return "", invalidSignature()
	}
	secret, known := secretFor(id)
	if !known {
		return "", invalidSignature()
	}
	sts := StringToSign(r.Method, ContentMD5(body), r.Header.Get("Content-Type"), ts, r.URL.RequestURI())
	if !hmac.Equal([]byte(sig), []byte(Signature(secret, sts))) {
		return "", invalidSignature()
	}
	return id, nil
}

func invalidSignature() *APIError {
	return &APIError{Status: http.StatusUnauthorized, Code: CodeInvalidSignature, Message: "Invalid Signature"}
}

package ocratest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Query parameters of the browser form of the realtime channel's upgrade
// request: a browser cannot set headers on a WebSocket, so it sends the
// Authorization and x-timestamp values of the instance-signed GET in the
// query string instead (docs/browser.md).
const (
	queryAuthorization = "authorization"
	queryTimestamp     = ocra.HeaderTimestamp
)

// headerSigned returns r unchanged when its signature is in headers, or
// when its query has no authorization parameter. Otherwise it returns a
// copy of r whose Authorization and x-timestamp headers are the query's
// parameters, and whose URL no longer has them: the signature covers the
// path and the rest of the query, as if the request had been signed with
// headers, and is verified the same way.
func headerSigned(r *http.Request) *http.Request {
	if r.Header.Get("Authorization") != "" || !strings.Contains(r.URL.RawQuery, queryAuthorization+"=") {
		return r
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || !query.Has(queryAuthorization) {
		return r
	}
	signed := r.Clone(r.Context())
	signed.Header.Set("Authorization", query.Get(queryAuthorization))
	signed.Header.Set(ocra.HeaderTimestamp, query.Get(queryTimestamp))
	signed.URL.RawQuery = withoutSignature(r.URL.RawQuery)
	return signed
}

// withoutSignature removes the signature parameters from a raw query and
// keeps the others byte for byte, in order.
func withoutSignature(rawQuery string) string {
	var kept []string
	for param := range strings.SplitSeq(rawQuery, "&") {
		name, _, _ := strings.Cut(param, "=")
		if name, err := url.QueryUnescape(name); err == nil && (name == queryAuthorization || name == queryTimestamp) {
			continue
		}
		kept = append(kept, param)
	}
	return strings.Join(kept, "&")
}

package ocratest

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzWithoutSignature checks that removing the signature parameters from a
// raw query leaves no signature parameter, and keeps only parameters of the
// query, byte for byte and in order.
func FuzzWithoutSignature(f *testing.F) {
	f.Add("authorization=instance+a%3Ab&x-timestamp=2025-01-01T00%3A00%3A00.000Z")
	f.Add("v=1&authorization=x&w=%41&x%2Dtimestamp=t&&z")
	f.Add("%zz=1&authorization")
	f.Fuzz(func(t *testing.T, raw string) {
		got := withoutSignature(raw)
		if q, _ := url.ParseQuery(got); q.Has(queryAuthorization) || q.Has(queryTimestamp) {
			t.Fatalf("withoutSignature(%q) = %q keeps a signature parameter", raw, got)
		}
		params := strings.Split(raw, "&")
		for _, kept := range strings.Split(got, "&") {
			i := slices.Index(params, kept)
			if got != "" && i < 0 {
				t.Fatalf("withoutSignature(%q) = %q: %q is not a parameter of the query, or out of order", raw, got, kept)
			}
			params = params[i+1:]
		}
	})
}

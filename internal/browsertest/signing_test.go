package browsertest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// TestBrowserSigning checks the page's MD5 and request signing against the
// protocol's test vector and against the SDK's own signing.
func TestBrowserSigning(t *testing.T) {
	srv := ocratest.NewServer()
	t.Cleanup(srv.Close)
	p := openPage(t, srv)

	// protocol.md section 2.
	const body = `{"event":"ace","callid":"822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257","timestamp":"2014-09-24T10:59:41Z","version":1}`
	md5 := eval[string](p, fmt.Sprintf(`sinchPage.signing.contentMD5(new TextEncoder().encode(%s))`, js(body)))
	assert.Equal(t, "REWF+X220L4/Gw1spXOU7g==", md5)
	sig := eval[string](p, fmt.Sprintf(`sinchPage.signing.signature(Uint8Array.from(atob(%s), c => c.charCodeAt(0)),
		sinchPage.signing.stringToSign('POST', %s, 'application/json', '2014-09-24T10:59:41Z', '/sinch/callback/ace'))`,
		js("BeIukql3pTKJ8RGL5zo0DA=="), js(md5)))
	assert.Equal(t, "Tg6fMyo8mj9pYfWQ9ssbx3Tc1BNC87IEygAfLbJqZb4=", sig)

	// Bodies around MD5's 64-byte block and padding boundaries, and a long one.
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 4000} {
		b := make([]byte, n)
		rand.Read(b)
		got := eval[string](p, fmt.Sprintf(`sinchPage.signing.contentMD5(Uint8Array.from(atob(%s), c => c.charCodeAt(0)))`,
			js(base64.StdEncoding.EncodeToString(b))))
		assert.Equal(t, ocra.ContentMD5(b), got, "Content-MD5 of %d random bytes", n)
	}
}

package rtc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// certificateRenewal is how long before its expiry (a month after it was
// made) the shared certificate is replaced.
const certificateRenewal = 24 * time.Hour

var shared struct {
	mu   sync.Mutex
	cert *webrtc.Certificate
}

// Certificate returns the DTLS certificate every peer connection of the
// process uses: an ECDSA P-256 key and a self-signed certificate, as pion
// makes by default for each peer connection, made once and renewed a day
// before it expires. Making one per peer connection put a key generation
// and an ECDSA signature on every call's setup path, on both sides
// (docs/benchmarks.md, issue 17). The fingerprint the peer checks is still
// carried, encrypted, in each call's SDP.
func Certificate() (webrtc.Certificate, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if c := shared.cert; c != nil && time.Until(c.Expires()) > certificateRenewal {
		return *c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return webrtc.Certificate{}, fmt.Errorf("rtc: generating the DTLS key: %w", err)
	}
	c, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return webrtc.Certificate{}, fmt.Errorf("rtc: making the DTLS certificate: %w", err)
	}
	shared.cert = c
	return *c, nil
}

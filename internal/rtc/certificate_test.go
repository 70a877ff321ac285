package rtc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fingerprint(t *testing.T, c webrtc.Certificate) string {
	t.Helper()
	fps, err := c.GetFingerprints()
	require.NoError(t, err)
	require.NotEmpty(t, fps)
	return fps[0].Value
}

func TestCertificateIsSharedAndRenewed(t *testing.T) {
	a, err := Certificate()
	require.NoError(t, err)
	b, err := Certificate()
	require.NoError(t, err)
	assert.Equal(t, fingerprint(t, a), fingerprint(t, b), "one certificate for every peer connection")
	assert.Greater(t, time.Until(a.Expires()), certificateRenewal)

	// One that expires within the renewal window is replaced.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	expiring, err := webrtc.NewCertificate(key, x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	})
	require.NoError(t, err)
	shared.mu.Lock()
	shared.cert = expiring
	shared.mu.Unlock()
	c, err := Certificate()
	require.NoError(t, err)
	assert.NotEqual(t, fingerprint(t, *expiring), fingerprint(t, c))
	assert.Greater(t, time.Until(c.Expires()), certificateRenewal)
}

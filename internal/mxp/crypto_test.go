package mxp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSealOpenRoundTrip(t *testing.T) {
	for _, keyLen := range []int{16, 24, 32} {
		key := testKey[:keyLen]
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 1000} {
			plaintext := bytes.Repeat([]byte{'x'}, n)
			payload, err := Seal(key, plaintext)
			require.NoError(t, err)

			raw, err := base64.StdEncoding.DecodeString(payload)
			require.NoError(t, err, "payload is standard base64")
			assert.Equal(t, aes.BlockSize+(n/aes.BlockSize+1)*aes.BlockSize, len(raw),
				"IV plus PKCS#7-padded ciphertext for key %d, plaintext %d", keyLen, n)

			got, err := Open(key, payload)
			require.NoError(t, err)
			assert.Equal(t, plaintext, got, "key %d, plaintext %d", keyLen, n)
		}
	}
}

// TestOpenInterop decrypts a payload built by hand from the wire rule, the
// way another SDK would build it.
func TestOpenInterop(t *testing.T) {
	iv := bytes.Repeat([]byte{7}, aes.BlockSize)
	plaintext := []byte(`{"md":2,"bv":10}`) // 16 bytes: a whole block of padding follows
	padded := append(plaintext, bytes.Repeat([]byte{16}, 16)...)
	block, err := aes.NewCipher(testKey)
	require.NoError(t, err)
	ciphertext := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ciphertext, padded)
	payload := base64.StdEncoding.EncodeToString(append(iv, ciphertext...))

	got, err := Open(testKey, payload)
	require.NoError(t, err)
	assert.Equal(t, plaintext, got)
}

func TestSealUsesFreshIV(t *testing.T) {
	a, err := Seal(testKey, []byte("same"))
	require.NoError(t, err)
	b, err := Seal(testKey, []byte("same"))
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
}

func TestBadKeyLength(t *testing.T) {
	_, err := Seal(testKey[:20], []byte("x"))
	assert.ErrorContains(t, err, "key must be 16, 24 or 32 bytes, got 20")

	payload, err := Seal(testKey, []byte("x"))
	require.NoError(t, err)
	_, err = Open(nil, payload)
	assert.ErrorContains(t, err, "got 0")
}

func TestOpenWrongKey(t *testing.T) {
	payload, err := Seal(otherKey, bytes.Repeat([]byte("secret "), 10))
	require.NoError(t, err)
	_, err = Open(testKey, payload)
	// One time in about 256 a wrong key still yields valid padding; the
	// JSON check in DecodeMessage catches those (TestDecodeMessageWrongKey).
	if err != nil {
		assert.ErrorIs(t, err, ErrDecrypt)
		requireNoKey(t, err)
	}
}

func TestOpenRejects(t *testing.T) {
	good, err := Seal(testKey, []byte("hello"))
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(good)
	require.NoError(t, err)

	// Flipping the top bit of the IV's last byte flips the same bit of the
	// plaintext's last byte, the padding length, which then exceeds 16.
	tampered := bytes.Clone(raw)
	tampered[aes.BlockSize-1] ^= 0x80
	// "hello" is followed by eleven 0x0b bytes; changing one in the middle
	// leaves a plausible length in the last byte but inconsistent padding.
	inconsistent := bytes.Clone(raw)
	inconsistent[8] ^= 1

	for name, tc := range map[string]struct {
		payload string
		decrypt bool // wraps ErrDecrypt
		want    string
	}{
		"not base64":       {payload: "not base64!", want: "not standard base64"},
		"url-safe base64":  {payload: base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 48)), want: "not standard base64"},
		"empty":            {payload: "", want: "0 bytes"},
		"IV only":          {payload: base64.StdEncoding.EncodeToString(raw[:aes.BlockSize]), want: "16 bytes"},
		"partial block":    {payload: base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), want: "31 bytes"},
		"tampered padding": {payload: base64.StdEncoding.EncodeToString(tampered), decrypt: true, want: "bad padding"},
		"inconsistent pad": {payload: base64.StdEncoding.EncodeToString(inconsistent), decrypt: true, want: "bad padding"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(testKey, tc.payload)
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, tc.decrypt, errors.Is(err, ErrDecrypt))
			requireNoKey(t, err)
		})
	}
}

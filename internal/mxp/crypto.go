package mxp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrDecrypt reports a payload that does not decrypt to a message: it was
// sealed with another key, or altered on the way. AES-CBC carries no
// integrity check, so the two cannot be told apart.
var ErrDecrypt = errors.New("mxp: wrong key or corrupted payload")

// Seal encrypts plaintext with an AES key of 16, 24 or 32 bytes and returns
// the MXP payload: standard base64 of a fresh random 16-byte IV followed by
// the AES-CBC ciphertext of the PKCS#7-padded plaintext.
func Seal(key, plaintext []byte) (string, error) {
	var iv [aes.BlockSize]byte
	rand.Read(iv[:]) // never fails: crypto/rand.Read always fills its buffer
	return sealWithIV(key, iv[:], plaintext)
}

// sealWithIV is Seal with a given IV of aes.BlockSize bytes; the golden
// tests fix it to compare whole frames.
func sealWithIV(key, iv, plaintext []byte) (string, error) {
	block, err := newCipher(key)
	if err != nil {
		return "", err
	}
	padLen := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, aes.BlockSize+len(plaintext)+padLen)
	body := buf[aes.BlockSize:]
	copy(buf, iv[:aes.BlockSize])
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(padLen)
	}
	cipher.NewCBCEncrypter(block, buf[:aes.BlockSize]).CryptBlocks(body, body)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Open reverses Seal. A payload that decrypts with bad padding, the usual
// result of a wrong key, gives an error wrapping ErrDecrypt.
func Open(key []byte, payload string) ([]byte, error) {
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("mxp: payload is not standard base64: %w", err)
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("mxp: payload of %d bytes is not an IV and whole cipher blocks", len(raw))
	}
	iv, body := raw[:aes.BlockSize], raw[aes.BlockSize:]
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(body, body)
	plaintext, ok := unpad(body)
	if !ok {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	return plaintext, nil
}

// newCipher checks the key length itself so that the error names the rule.
func newCipher(key []byte) (cipher.Block, error) {
	switch len(key) {
	case 16, 24, 32:
		return aes.NewCipher(key)
	default:
		return nil, fmt.Errorf("mxp: key must be 16, 24 or 32 bytes, got %d", len(key))
	}
}

// unpad strips PKCS#7 padding from b, whose length is a positive multiple of
// the block size. Every padding byte is examined, whatever the first
// mismatch, so timing says little about where the padding went wrong.
func unpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, false
	}
	want := byte(n)
	ok := 1
	for _, c := range b[len(b)-n:] {
		ok &= subtle.ConstantTimeByteEq(c, want)
	}
	if ok != 1 {
		return nil, false
	}
	return b[:len(b)-n], true
}

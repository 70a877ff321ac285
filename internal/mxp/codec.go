package mxp

import (
	"crypto/aes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxMessageSize is the largest message JSON, in bytes, that EncodeMessage
// produces and DecodeMessage accepts.
const MaxMessageSize = 64 << 10

// maxPayloadLen is the base64 length of the largest payload: an IV, then a
// MaxMessageSize plaintext padded with a whole block.
const maxPayloadLen = (aes.BlockSize + MaxMessageSize + aes.BlockSize + 2) / 3 * 4

// maxJSONDepth is how deeply DecodeMessage lets objects and arrays nest. A
// Message is flat apart from nvps, so real messages use two levels.
const maxJSONDepth = 32

// EncodeMessage encodes m as JSON and seals it with key. A zero Version is
// sent as ProtocolVersion (bv is always sent, as Sinch's 1.x SDKs do); m
// itself is not modified.
func EncodeMessage(key []byte, m *Message) (string, error) {
	plaintext, err := encodeJSON(m)
	if err != nil {
		return "", err
	}
	return Seal(key, plaintext)
}

// encodeJSON is the plaintext of EncodeMessage.
func encodeJSON(m *Message) ([]byte, error) {
	if m == nil {
		return nil, errors.New("mxp: nil message")
	}
	msg := *m
	if msg.Version == 0 {
		msg.Version = ProtocolVersion
	}
	if err := msg.check(); err != nil {
		return nil, err
	}
	plaintext, err := json.Marshal(&msg)
	if err != nil {
		return nil, fmt.Errorf("mxp: encode %v message: %w", msg.Method, err)
	}
	if len(plaintext) > MaxMessageSize {
		return nil, fmt.Errorf("mxp: %v message of %d bytes exceeds %d", msg.Method, len(plaintext), MaxMessageSize)
	}
	return plaintext, nil
}

// DecodeMessage opens payload with key and decodes the message in it. It
// refuses payloads over MaxMessageSize, JSON nested deeper than a message
// can be, protocol versions other than ProtocolVersion and unknown methods.
// A message without bv (or bv 0) is taken as ProtocolVersion, and its
// Version set so.
// A payload that does not decrypt to JSON gives an error wrapping ErrDecrypt.
// Unknown JSON fields are ignored.
func DecodeMessage(key []byte, payload string) (*Message, error) {
	if len(payload) > maxPayloadLen {
		return nil, fmt.Errorf("mxp: payload of %d characters exceeds the %d-byte message limit", len(payload), MaxMessageSize)
	}
	plaintext, err := Open(key, payload)
	if err != nil {
		return nil, err
	}
	return decodeJSON(plaintext)
}

// Encode encodes and seals m, then splits the payload into frames for
// sessionID, ready to publish in order.
func Encode(sessionID string, key []byte, m *Message) ([]string, error) {
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	payload, err := EncodeMessage(key, m)
	if err != nil {
		return nil, err
	}
	return Split(sessionID, payload), nil
}

func decodeJSON(b []byte) (*Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("mxp: message of %d bytes exceeds %d", len(b), MaxMessageSize)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: message is not JSON", ErrDecrypt)
	}
	if nestedDeeper(b, maxJSONDepth) {
		return nil, fmt.Errorf("mxp: message JSON nests deeper than %d levels", maxJSONDepth)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("mxp: malformed message: %w", err)
	}
	if m.Version == 0 {
		m.Version = ProtocolVersion
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// check validates the fields every message must get right.
func (m *Message) check() error {
	if m.Version != ProtocolVersion {
		return fmt.Errorf("mxp: unsupported protocol version %d, want %d", m.Version, ProtocolVersion)
	}
	if !m.Method.valid() {
		return fmt.Errorf("mxp: unknown method %d", int(m.Method))
	}
	return nil
}

// nestedDeeper reports whether the valid JSON b nests objects and arrays
// more than limit levels deep.
func nestedDeeper(b []byte, limit int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

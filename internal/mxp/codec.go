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
// sent as ProtocolVersion; m itself is not modified.
func EncodeMessage(key []byte, m *Message) (string, error) {
	if m == nil {
		return "", errors.New("mxp: nil message")
	}
	msg := *m
	if msg.Version == 0 {
		msg.Version = ProtocolVersion
	}
	if err := msg.check(); err != nil {
		return "", err
	}
	plaintext, err := json.Marshal(&msg)
	if err != nil {
		return "", fmt.Errorf("mxp: encode %v message: %w", msg.Method, err)
	}
	if len(plaintext) > MaxMessageSize {
		return "", fmt.Errorf("mxp: %v message of %d bytes exceeds %d", msg.Method, len(plaintext), MaxMessageSize)
	}
	return Seal(key, plaintext)
}

// DecodeMessage opens payload with key and decodes the message in it. It
// refuses payloads over MaxMessageSize, JSON nested deeper than a message
// can be, protocol versions other than ProtocolVersion and unknown methods.
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

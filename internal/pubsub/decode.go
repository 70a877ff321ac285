package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Limits of channel names and subscriptions.
const (
	// MaxChannelNameLen is the longest channel name.
	MaxChannelNameLen = 128
	// MaxChannelsPerFrame is the most channels one subscribe or unsubscribe names.
	MaxChannelsPerFrame = 16
)

// DecodeFrame parses one frame received from the network. It refuses frames
// over MaxFrameSize, anything but a JSON object, unknown ops, frames that lack
// a field their op requires and malformed channel names. When the JSON parses
// but validation fails, the returned Frame holds what was decoded, so that a
// server can answer with the request's id.
func DecodeFrame(b []byte) (Frame, error) {
	var f Frame
	if len(b) > MaxFrameSize {
		return f, fmt.Errorf("pubsub: frame of %d bytes exceeds the %d-byte limit", len(b), MaxFrameSize)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return f, errors.New("pubsub: frame is not a JSON object")
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return Frame{}, fmt.Errorf("pubsub: invalid frame JSON: %w", err)
	}
	return f, f.validate()
}

// validate checks that f carries what its op requires.
func (f *Frame) validate() error {
	switch f.Op {
	case OpSubscribe, OpUnsubscribe:
		return validateChannels(f.Op, f.Channels)
	case OpPublish:
		if err := f.requireID(); err != nil {
			return err
		}
		if f.Message == "" {
			return errors.New("pubsub: publish frame without message")
		}
		return validateChannel(f.Channel)
	case OpMessage:
		return validateChannel(f.Channel)
	case OpPing, OpAck, OpPong:
		return f.requireID()
	case OpError:
		if f.Code == 0 {
			return errors.New("pubsub: error frame without code")
		}
		return nil
	case "":
		return errors.New("pubsub: frame without op")
	default:
		return fmt.Errorf("pubsub: unknown op %q", truncate(f.Op))
	}
}

func (f *Frame) requireID() error {
	if f.ID == 0 {
		return fmt.Errorf("pubsub: %s frame without id", f.Op)
	}
	return nil
}

func validateChannels(op string, chs []string) error {
	if len(chs) == 0 {
		return fmt.Errorf("pubsub: %s frame without channels", op)
	}
	if len(chs) > MaxChannelsPerFrame {
		return fmt.Errorf("pubsub: %s frame names %d channels, at most %d allowed", op, len(chs), MaxChannelsPerFrame)
	}
	for _, ch := range chs {
		if err := validateChannel(ch); err != nil {
			return err
		}
	}
	return nil
}

// validateChannel checks a channel name: 1..MaxChannelNameLen characters
// of [A-Za-z0-9_.:=-]. Names are opaque: nothing is read into them.
func validateChannel(ch string) error {
	if ch == "" {
		return errors.New("pubsub: missing channel")
	}
	if len(ch) > MaxChannelNameLen {
		return fmt.Errorf("pubsub: channel %q: name must be 1 to %d characters", truncate(ch), MaxChannelNameLen)
	}
	for i := 0; i < len(ch); i++ {
		if !channelChar(ch[i]) {
			return fmt.Errorf("pubsub: channel %q: invalid character %q", truncate(ch), ch[i])
		}
	}
	return nil
}

func channelChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '_', '.', ':', '=', '-':
		return true
	}
	return false
}

// truncate shortens untrusted text quoted in error messages.
func truncate(s string) string {
	const maxQuoted = 40
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "..."
}

// EncodeFrame validates f and marshals it, refusing frames the peer would
// refuse as too large.
func EncodeFrame(f Frame) ([]byte, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("pubsub: encode %s frame: %w", f.Op, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("pubsub: %s frame of %d bytes exceeds the %d-byte limit", f.Op, len(b), MaxFrameSize)
	}
	return b, nil
}

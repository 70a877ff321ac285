package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// PubNub's REST protocol (real-wire.md section 1): the decoders of what a
// PubNub origin answers, the request paths and the origin's form. Every
// decoder takes untrusted bytes and answers with an error or a value, never
// a panic; the callers bound how many bytes they read.

// MaxPubNubMessage is PubNub's limit on one published message: the
// URL-escaped JSON value plus the URL-escaped channel name, in bytes.
const MaxPubNubMessage = 32 << 10

// ErrTooLarge is wrapped by the error of a Publish whose message is over
// MaxPubNubMessage once encoded. Nothing was sent.
var ErrTooLarge = errors.New("pubsub: message over PubNub's 32 KiB limit")

// Limits of the replies a PubNubConn reads.
const (
	maxSubscribeReply = 1 << 20 // one long-poll reply
	maxSmallReply     = 4 << 10 // publish, time and error replies
	// maxTimetokenLen bounds a timetoken: 17 digits today, 20 fit a uint64.
	maxTimetokenLen = 20
	// maxQuoted bounds the server text quoted in an error.
	maxQuotedReply = 80
)

// Timetoken zero: "give me the current timetoken" in a subscribe.
const zeroTimetoken = "0"

// subscribeReply is a decoded subscribe v2 reply.
type subscribeReply struct {
	Cursor   Timetoken
	Messages []envelope
}

// envelope is one message of a subscribe reply: its channel, its payload as
// raw JSON and its type (0 or absent: a published message).
type envelope struct {
	Channel string
	Data    json.RawMessage
	Type    int
}

// text returns the payload when it is a JSON string, the only form an MXP
// frame travels in.
func (e envelope) text() (string, bool) {
	if len(e.Data) == 0 || e.Data[0] != '"' {
		return "", false
	}
	if s, ok := plainString(e.Data); ok {
		return s, true
	}
	var s string
	if json.Unmarshal(e.Data, &s) != nil {
		return "", false
	}
	return s, true
}

// plainString returns the text of b, a JSON string with no escape in it
// (an MXP frame is one), without a JSON decoder's two passes; false when b
// is not such a string.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false // a decoder replaces what is not UTF-8
	}
	return string(in), true
}

// decodeSubscribe parses `{"t":{"t":"<timetoken>","r":<region>},"m":[...]}`.
// The timetoken must be a string of digits, else the reply fails: the
// cursor is what a subscription cannot do without. An envelope that is not
// an object with a string channel is kept with an empty Channel, for the
// caller to drop: the rest of the reply stays good.
func decodeSubscribe(b []byte) (subscribeReply, error) {
	if !isJSONObject(b) {
		return subscribeReply{}, fmt.Errorf("pubsub: subscribe reply is not a JSON object: %s", quoteReply(b))
	}
	// Most replies hold only well-formed envelopes, which one pass
	// decodes. Else the reply is decoded again envelope by envelope, so
	// that only the bad ones are lost.
	if r, err, ok := decodeSubscribeWhole(b); ok {
		return r, err
	}
	return decodeSubscribeEach(b)
}

// decodeSubscribeWhole decodes a reply in one pass; ok is false when an
// envelope is not of the expected shape (decodeSubscribeEach then decides).
func decodeSubscribeWhole(b []byte) (_ subscribeReply, _ error, ok bool) {
	var whole struct {
		T *rawCursor `json:"t"`
		M []struct {
			C *string         `json:"c"`
			D json.RawMessage `json:"d"`
			E *int            `json:"e"`
		} `json:"m"`
	}
	if json.Unmarshal(b, &whole) != nil {
		return subscribeReply{}, nil, false
	}
	cur, err := whole.T.decode()
	if err != nil {
		return subscribeReply{}, err, true
	}
	r := subscribeReply{Cursor: cur, Messages: make([]envelope, len(whole.M))}
	for i, m := range whole.M {
		if m.C == nil {
			continue // no channel: the caller drops it, as decodeEnvelope's
		}
		r.Messages[i] = envelope{Channel: *m.C, Data: m.D}
		if m.E != nil {
			r.Messages[i].Type = *m.E
		}
	}
	return r, nil, true
}

// decodeSubscribeEach decodes a reply envelope by envelope.
func decodeSubscribeEach(b []byte) (subscribeReply, error) {
	var raw struct {
		T *rawCursor        `json:"t"`
		M []json.RawMessage `json:"m"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return subscribeReply{}, fmt.Errorf("pubsub: subscribe reply is not of the expected shape: %w", err)
	}
	cur, err := raw.T.decode()
	if err != nil {
		return subscribeReply{}, err
	}
	r := subscribeReply{Cursor: cur, Messages: make([]envelope, 0, len(raw.M))}
	for _, m := range raw.M {
		r.Messages = append(r.Messages, decodeEnvelope(m))
	}
	return r, nil
}

// rawCursor is the "t" of a subscribe reply, before its checks.
type rawCursor struct {
	T json.RawMessage `json:"t"`
	R json.RawMessage `json:"r"`
}

// decode checks the timetoken (a string of digits) and the region.
func (c *rawCursor) decode() (Timetoken, error) {
	if c == nil {
		return Timetoken{}, errors.New("pubsub: subscribe reply has no timetoken (t)")
	}
	tt, err := decodeTimetoken(c.T)
	if err != nil {
		return Timetoken{}, err
	}
	region, err := decodeRegion(c.R)
	if err != nil {
		return Timetoken{}, err
	}
	return Timetoken{T: tt, R: region}, nil
}

// decodeEnvelope decodes one message of a subscribe reply; one that is not
// an object with a string channel and an integer type has no Channel.
func decodeEnvelope(m json.RawMessage) envelope {
	var raw struct {
		C *string         `json:"c"`
		D json.RawMessage `json:"d"`
		E *int            `json:"e"`
	}
	if !isJSONObject(m) || json.Unmarshal(m, &raw) != nil || raw.C == nil {
		return envelope{}
	}
	e := envelope{Channel: *raw.C, Data: raw.D}
	if raw.E != nil {
		e.Type = *raw.E
	}
	return e
}

// decodeTimetoken accepts a JSON string of 1 to maxTimetokenLen digits.
func decodeTimetoken(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("pubsub: timetoken is not a string: %s", quoteReply(raw))
	}
	if !isTimetoken(s) {
		return "", fmt.Errorf("pubsub: timetoken %q is not 1 to %d digits", truncate(s), maxTimetokenLen)
	}
	return s, nil
}

// isTimetoken reports whether s is 1 to maxTimetokenLen decimal digits.
func isTimetoken(s string) bool {
	if s == "" || len(s) > maxTimetokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeRegion accepts an absent region (0) or a small non-negative integer.
func decodeRegion(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var r int
	if err := json.Unmarshal(raw, &r); err != nil || r < 0 || r > 1<<20 {
		return 0, fmt.Errorf("pubsub: region is not a small non-negative integer: %s", quoteReply(raw))
	}
	return r, nil
}

// decodePublish parses `[1,"Sent","<timetoken>"]` and returns the
// timetoken. Any other answer is an error that quotes it (bounded).
func decodePublish(b []byte) (string, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) < 3 {
		return "", fmt.Errorf("pubsub: publish answered %s, not [1,\"Sent\",timetoken]", quoteReply(b))
	}
	var ok int
	var desc string
	if json.Unmarshal(raw[0], &ok) != nil || json.Unmarshal(raw[1], &desc) != nil || ok != 1 {
		return "", fmt.Errorf("pubsub: publish refused: %s", quoteReply(b))
	}
	tt, err := decodeTimetoken(raw[2])
	if err != nil {
		return "", fmt.Errorf("pubsub: publish answered %s: %w", quoteReply(b), err)
	}
	return tt, nil
}

// decodeTime parses `[<timetoken>]`: a number, or a string of digits.
func decodeTime(b []byte) (string, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 1 {
		return "", fmt.Errorf("pubsub: time answered %s, not [timetoken]", quoteReply(b))
	}
	v := raw[0]
	if len(v) > 0 && v[0] == '"' {
		return decodeTimetoken(v)
	}
	if !isTimetoken(string(v)) {
		return "", fmt.Errorf("pubsub: time answered %s, not [timetoken]", quoteReply(b))
	}
	return string(v), nil
}

// pubNubError turns a refused PubNub request into an *ocra.APIError, so that
// the client's engine treats it like any refusal: its Status decides whether
// trying again can help. An Ocra error body (a fault of the fake server)
// keeps its code; else the code is status*100 and the message is PubNub's
// ("message" of its JSON error, or the array's description), bounded.
func pubNubError(op string, status int, body []byte) *ocra.APIError {
	var oe ocra.APIError
	if json.Unmarshal(body, &oe) == nil && oe.Code >= 10000 && oe.Code <= 59999 {
		oe.Status = status
		oe.Message = "PubNub " + op + " refused: " + truncateN(oe.Message, maxQuotedReply)
		return &oe
	}
	msg := ""
	var obj struct {
		Message json.RawMessage `json:"message"`
	}
	var arr []json.RawMessage
	switch {
	case json.Unmarshal(body, &obj) == nil && len(obj.Message) > 0:
		var s string
		if json.Unmarshal(obj.Message, &s) == nil {
			msg = s
		}
	case json.Unmarshal(body, &arr) == nil && len(arr) >= 2:
		var s string
		if json.Unmarshal(arr[1], &s) == nil {
			msg = s
		}
	}
	if msg == "" {
		msg = "HTTP " + strconv.Itoa(status)
	}
	return &ocra.APIError{
		Status:  status,
		Code:    status * 100,
		Message: "PubNub " + op + " refused: " + truncateN(msg, maxQuotedReply),
	}
}

// isJSONObject reports whether b, after white space, starts an object.
func isJSONObject(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// quoteReply quotes the start of an untrusted reply for an error message.
func quoteReply(b []byte) string {
	return strconv.Quote(truncateN(string(b), maxQuotedReply))
}

func truncateN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// parseOrigin turns a PubNub origin into a base URL: "host[:port]" and
// "https://host[:port]" are HTTPS; plain HTTP only when written
// "http://host[:port]". An origin carries nothing but scheme, host and port.
func parseOrigin(origin string) (*url.URL, error) {
	if origin == "" {
		return nil, errors.New("pubsub: PubNub origin is empty: the configuration names no host")
	}
	s := origin
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("pubsub: PubNub origin %q is not host[:port] or an http(s) URL", truncate(origin))
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("pubsub: PubNub origin %q is not host[:port] or an http(s) URL", truncate(origin))
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// PubNubOrigin is the origin of a configuration's hostname and port
// (rtcConfig.mxpPubSubConfig): the port is added unless it is 0 or the
// hostname already names one. A scheme in hostname is kept: "http://" is
// how a server asks for plain HTTP.
func PubNubOrigin(hostname string, port int) string {
	scheme, host, found := strings.Cut(hostname, "://")
	if !found {
		scheme, host = "", hostname
	}
	host = strings.TrimSuffix(host, "/")
	if port > 0 {
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
		}
	}
	if scheme == "" {
		return host
	}
	return scheme + "://" + host
}

// publishSize is the size PubNub counts against MaxPubNubMessage.
func publishSize(channel string, encoded []byte) int {
	return escapedLen(encoded) + escapedLen(channel)
}

// escapedLen is the length of s once escapeSegment escaped it.
func escapedLen[S string | []byte](s S) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n += 2
		}
	}
	return n
}

// escapeSegment percent-escapes every byte of s but the unreserved ones
// (RFC 3986: A-Z a-z 0-9 - . _ ~), as PubNub's SDKs do: '+', ':' or ','
// in a path mean something to some servers.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// encodeMessage is the JSON string value of message, as published.
func encodeMessage(message string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(message) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

package call

import (
	"strings"
	"unicode/utf8"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// Limits of call arguments.
const (
	// MaxHeadersSize is the most bytes of UTF-8 that the keys and values
	// of a call's headers may hold in total.
	MaxHeadersSize = 1024
	// MaxConferenceIDLength is the most characters of a conference id.
	MaxConferenceIDLength = 64
	// maxE164Digits is the most digits of an E.164 number.
	maxE164Digits = 15
)

// checkHeaders validates call headers: valid UTF-8, MaxHeadersSize in total.
func checkHeaders(headers map[string]string) error {
	size := 0
	for k, v := range headers {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return errs.Invalid("call headers must be valid UTF-8: header %s is not", errs.Quote(strings.ToValidUTF8(k, "\uFFFD")))
		}
		size += len(k) + len(v)
	}
	if size > MaxHeadersSize {
		return errs.Invalid("call headers hold %d bytes of keys and values, more than the %d allowed", size, MaxHeadersSize)
	}
	return nil
}

// checkPhoneNumber accepts E.164: "+" and 1 to 15 digits.
func checkPhoneNumber(number string) error {
	digits, ok := strings.CutPrefix(number, "+")
	if !ok || digits == "" || len(digits) > maxE164Digits || strings.Trim(digits, "0123456789") != "" {
		return errs.Invalid("phone number %s is not E.164: write \"+\" and 1 to %d digits, such as +46701234567",
			errs.Quote(strings.ToValidUTF8(number, "\uFFFD")), maxE164Digits)
	}
	return nil
}

// checkSIPIdentity accepts "user@host", with an optional "sip:" prefix,
// without spaces.
func checkSIPIdentity(identity string) error {
	user, host, ok := strings.Cut(strings.TrimPrefix(identity, "sip:"), "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(identity, " \t\r\n") || !utf8.ValidString(identity) {
		return errs.Invalid("SIP identity %s is not user@host", errs.Quote(strings.ToValidUTF8(identity, "\uFFFD")))
	}
	return nil
}

// checkConferenceID accepts 1 to MaxConferenceIDLength characters of UTF-8.
func checkConferenceID(id string) error {
	switch {
	case id == "":
		return errs.Invalid("conference id is empty")
	case !utf8.ValidString(id):
		return errs.Invalid("conference id is not valid UTF-8")
	case utf8.RuneCountInString(id) > MaxConferenceIDLength:
		return errs.Invalid("conference id has %d characters, more than the %d allowed",
			utf8.RuneCountInString(id), MaxConferenceIDLength)
	}
	return nil
}

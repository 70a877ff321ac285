package errs

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestQuoteShowsAShortPrefix(t *testing.T) {
	require.Equal(t, `"abc"`, Quote("abc"))
	require.Equal(t, `""`, Quote(""))
	exact := strings.Repeat("a", maxQuoted)
	require.Equal(t, `"`+exact+`"`, Quote(exact), "32 bytes are quoted whole")
	require.Equal(t, `"`+exact+`"... (1048576 bytes)`, Quote(strings.Repeat("a", 1<<20)))
	// A cut never splits a character: 31 bytes of "a", then a 3-byte "€".
	q := Quote(strings.Repeat("a", 31) + strings.Repeat("€", 100))
	require.Equal(t, `"`+strings.Repeat("a", 31)+`"... (331 bytes)`, q)
	require.True(t, utf8.ValidString(Quote("\xff\xfe"+strings.Repeat("€", 50))))
	require.Equal(t, `"\xff"`, Quote("\xff"), "invalid UTF-8 is escaped, as %q does")
}

// TestSinchErrorText: the message comes once, then the code and the cause
// unless the message already gives them.
func TestSinchErrorText(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	for _, tc := range []struct {
		name string
		err  *SinchError
		want string
	}{
		{"message only", &SinchError{Message: "media lost: no media for 30s"}, "sinch: media lost: no media for 30s"},
		{"code", &SinchError{Code: 486, Message: "the remote party failed the call: busy"},
			"sinch: the remote party failed the call: busy (code 486)"},
		{"cause", &SinchError{Message: "creating the peer connection failed", Err: cause},
			"sinch: creating the peer connection failed: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"a sentinel cause says sinch once", &SinchError{Message: "gave up", Err: ErrClientTerminated},
			"sinch: gave up: client terminated"},
		{"described cause and code", &SinchError{Code: 40103, Message: `creating the instance failed with 40103 (token expired)`, Err: Described(cause)},
			`sinch: creating the instance failed with 40103 (token expired)`},
		{"no message", &SinchError{Domain: Network}, "sinch: Network error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.err.Error())
		})
	}
	described := &SinchError{Message: "m", Err: Described(ErrClientTerminated)}
	require.ErrorIs(t, described, ErrClientTerminated, "errors.Is sees through Described")
	require.Equal(t, ErrClientTerminated, errors.Unwrap(described), "Unwrap gives the cause itself")
	require.Nil(t, Described(nil))
}

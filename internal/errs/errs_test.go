package errs

import (
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

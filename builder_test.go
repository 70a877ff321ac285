package sinch_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch"
)

const testKey = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"

func TestBuildNamesTheBadField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(b *sinch.SinchClientBuilder)
		field string // must appear in the error
	}{
		{"empty key", func(b *sinch.SinchClientBuilder) { b.ApplicationKey("") }, "ApplicationKey is empty"},
		{"key not a UUID", func(b *sinch.SinchClientBuilder) { b.ApplicationKey("not-a-uuid") }, "ApplicationKey \"not-a-uuid\" is not a UUID"},
		{"empty user", func(b *sinch.SinchClientBuilder) { b.UserID("") }, "UserID is empty"},
		{"user with space", func(b *sinch.SinchClientBuilder) { b.UserID("al ice") }, "outside A-Z a-z 0-9 - _ ="},
		{"user with slash", func(b *sinch.SinchClientBuilder) { b.UserID("a/b") }, "outside A-Z a-z 0-9 - _ ="},
		{"user too long", func(b *sinch.SinchClientBuilder) { b.UserID(strings.Repeat("a", 256)) }, "256 bytes long, more than 255"},
		{"host blank", func(b *sinch.SinchClientBuilder) { b.EnvironmentHost(" ") }, "is not a host name"},
		{"host with bad scheme", func(b *sinch.SinchClientBuilder) { b.EnvironmentHost("ftp://x.example") }, "scheme must be https"},
		{"host with path", func(b *sinch.SinchClientBuilder) { b.EnvironmentHost("https://x.example/api") }, "not a URL with a path"},
		{"host unparsable", func(b *sinch.SinchClientBuilder) { b.EnvironmentHost("http://[::1") }, "is not a host name"},
		{"bad cli", func(b *sinch.SinchClientBuilder) { b.CallerIdentifier("0046123") }, "CallerIdentifier \"0046123\" is not an E.164"},
		{"negative timeout", func(b *sinch.SinchClientBuilder) { b.RequestTimeout(-time.Second) }, "RequestTimeout must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID("alice")
			tc.build(b)
			c, err := b.Build()
			require.Nil(t, c)
			require.ErrorIs(t, err, sinch.ErrInvalidArgument)
			require.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestBuildAcceptsGoodSettings(t *testing.T) {
	for _, host := range []string{"", "ocra.api.sinch.com", "https://ocra.example:8443", "http://127.0.0.1:9000"} {
		b := sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID("Alice_1-x=").CallerIdentifier("+46700000000")
		if host != "" {
			b.EnvironmentHost(host)
		}
		c, err := b.Build()
		require.NoError(t, err, host)
		require.Equal(t, "Alice_1-x=", c.UserID())
		require.Equal(t, testKey, c.ApplicationKey())
		require.False(t, c.IsStarted())
		c.Terminate()
	}
	c, err := sinch.GetSinchClientBuilder().ApplicationKey(testKey).UserID(strings.Repeat("a", 255)).Build()
	require.False(t, errors.Is(err, sinch.ErrInvalidArgument), "255 bytes is allowed")
	c.Terminate()
}

package auth_test

import (
	"fmt"
	"time"

	"github.com/sinch-rtc-go/sinch/auth"
)

// A backend signs a registration token for one of its users. In production
// the clock and nonce options are left out: the token is issued now, with a
// fresh random nonce; here they are fixed to reproduce Sinch's reference token.
func ExampleNewRegistrationToken() {
	const (
		appKey    = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"
		appSecret = "ax8hTTQJF0OPXL32r1LHMA==" // keep it on the backend
	)
	issued := time.Date(2018, 1, 2, 3, 4, 5, 0, time.UTC)
	token, err := auth.NewRegistrationToken(appKey, appSecret, "foo",
		auth.WithClock(func() time.Time { return issued }),
		auth.WithNonce("6b438bda-2d5c-4e8c-92b0-39f20a94b34e"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(token)
	// Output:
	// eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.eyJleHAiOjE1MTQ4NjI4NDUsImlhdCI6MTUxNDg2MjI0NSwiaXNzIjoiLy9ydGMuc2luY2guY29tL2FwcGxpY2F0aW9ucy9hMzJlNWE4ZC1mN2Q4LTQxMWMtOTY0NS05MDM4ZThkZDA1MWQiLCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyJ9.10N-QAvRK0-dacox5X5YusK7C0AWb-kZLiNNTKLQw8I
}

// A server checks a token it received.
func ExampleVerifyRegistrationToken() {
	const (
		appKey    = "a32e5a8d-f7d8-411c-9645-9038e8dd051d"
		appSecret = "ax8hTTQJF0OPXL32r1LHMA=="
	)
	issued := time.Date(2018, 1, 2, 3, 4, 5, 0, time.UTC)
	token, _ := auth.NewRegistrationToken(appKey, appSecret, "foo",
		auth.WithClock(func() time.Time { return issued }))

	claims, err := auth.VerifyRegistrationToken(token, appKey, appSecret, issued.Add(time.Minute))
	fmt.Println(claims.UserID, claims.ExpiresAt, err)

	_, err = auth.VerifyRegistrationToken(token, appKey, appSecret, issued.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// foo 2018-01-02 03:14:05 +0000 UTC <nil>
	// auth: registration token has expired
}

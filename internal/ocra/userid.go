package ocra

import (
	"fmt"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// MaxUserIDLength is the most bytes of a user id.
const MaxUserIDLength = 255

// CheckUserID says what is wrong with a user id, nil when nothing: 1 to
// 255 bytes of A-Z a-z 0-9 - _ =. The builder checks the client's own id
// with it, and the call controller the ids it calls.
func CheckUserID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("is empty")
	case len(id) > MaxUserIDLength:
		return fmt.Errorf("is %d bytes long, more than %d", len(id), MaxUserIDLength)
	}
	for _, r := range id {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '=') {
			return fmt.Errorf("%s has a character outside A-Z a-z 0-9 - _ =", errs.Quote(id))
		}
	}
	return nil
}

package video_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The examples start clients and calls: none may leave a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

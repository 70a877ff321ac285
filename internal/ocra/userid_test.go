package ocra

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckUserID(t *testing.T) {
	for _, ok := range []string{"a", "Alice_1-x=", strings.Repeat("z", MaxUserIDLength)} {
		assert.NoError(t, CheckUserID(ok), ok)
	}
	for id, want := range map[string]string{
		"":                                     "is empty",
		strings.Repeat("z", MaxUserIDLength+1): "256 bytes long, more than 255",
		"al ice":                               `"al ice" has a character outside`,
		"a/b":                                  `"a/b" has a character outside`,
		"åsa":                                  `"åsa" has a character outside`,
	} {
		assert.ErrorContains(t, CheckUserID(id), want, id)
	}
}

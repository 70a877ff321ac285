package sinch

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// TestErrorTypesAreTheInternalOnes: the domains users compare with are the
// values the SDK sets, whichever package set them.
func TestErrorTypesAreTheInternalOnes(t *testing.T) {
	for _, tc := range []struct {
		public, internal ErrorType
		name             string
	}{
		{ErrorTypeGeneric, errs.Generic, "Generic"},
		{ErrorTypeNetwork, errs.Network, "Network"},
		{ErrorTypeSession, errs.Session, "Session"},
		{ErrorTypeAPI, errs.API, "API"},
		{ErrorTypePersistence, errs.Persistence, "Persistence"},
		{ErrorTypeSIP, errs.SIP, "SIP"},
		{ErrorTypeHTTP, errs.HTTP, "HTTP"},
	} {
		require.Equal(t, tc.internal, tc.public, tc.name)
		require.Equal(t, tc.name, tc.public.String())
	}
}

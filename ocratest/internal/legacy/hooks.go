package legacy

import "net/http"

// Hooks that package ocratest sets at init, for the tests of this package
// that make 1.x clients and SDK clients call each other (package ocratest
// imports this one, so this one cannot name its types). They are nil in a
// program that does not link ocratest.
var (
	// OcratestOption returns an ocratest.Option that starts a facade,
	// whose Backend is the ocratest server, on a TLS listener of its own,
	// serving extra under /page/.
	OcratestOption func(extra http.Handler) any
	// OcratestFacade returns the facade of an *ocratest.Server started
	// with OcratestOption, or nil.
	OcratestFacade func(server any) *Server
)

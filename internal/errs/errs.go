// Package errs holds the error values and the SinchError type that several
// public packages return. Package sinch re-exports them under the same names,
// so errors.Is and errors.As work whichever package returned the error.
package errs

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Sentinel errors; see package sinch for their documentation.
var (
	ErrClientTerminated = errors.New("sinch: client terminated")
	ErrNotStarted       = errors.New("sinch: client not started")
	ErrAlreadyStarted   = errors.New("sinch: client already started")
	ErrInvalidOperation = errors.New("sinch: invalid operation")
	ErrInvalidArgument  = errors.New("sinch: invalid argument")
)

// ErrorType is the domain a SinchError comes from.
type ErrorType int

// Error domains, as in the JS SDK.
const (
	Generic ErrorType = iota
	Network
	Session
	API
	Persistence
	SIP
	HTTP
)

var errorTypeNames = [...]string{"Generic", "Network", "Session", "API", "Persistence", "SIP", "HTTP"}

func (t ErrorType) String() string {
	if t >= 0 && int(t) < len(errorTypeNames) {
		return errorTypeNames[t]
	}
	return fmt.Sprintf("ErrorType(%d)", int(t))
}

// SinchError is the error the SDK reports through OnClientFailed and call
// details. Code and Message keep the server's code and text when the server
// produced the error.
type SinchError struct {
	Code    int
	Domain  ErrorType
	Fatal   bool
	Message string // what happened and what to do
	Err     error  // the cause, if any
}

func (e *SinchError) Error() string {
	s := "sinch: " + e.Domain.String() + " error"
	if e.Code != 0 {
		s += fmt.Sprintf(" %d", e.Code)
	}
	s += ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *SinchError) Unwrap() error { return e.Err }

// Invalid returns an error for a bad argument that names it.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// maxQuoted is the most bytes of user input that Quote shows.
const maxQuoted = 32

// Quote quotes s for an error message, as %q does, but at most its first
// 32 bytes (cut on a character boundary), followed by "..." and the
// length when s is longer: an error never repeats a large argument.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > maxQuoted-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// Package errs holds the error values and the SinchError type that several
// public packages return. Package sinch re-exports them under the same names,
// so errors.Is and errors.As work whichever package returned the error.
package errs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// produced the error. Package sinch documents the fields for users.
type SinchError struct {
	Code    int
	Domain  ErrorType
	Fatal   bool
	Message string // what happened and what to do, one sentence
	Err     error  // the cause, if any
}

// Error returns "sinch: " and the message, then the code and the cause when
// the message does not already give them (see Described). A cause's own
// "sinch: " prefix is dropped, so the text says it once.
func (e *SinchError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Domain.String() + " error"
	}
	s := "sinch: " + msg
	if _, told := e.Err.(described); told {
		return s
	}
	if e.Code != 0 {
		s += " (code " + strconv.Itoa(e.Code) + ")"
	}
	if e.Err != nil {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "sinch: ")
	}
	return s
}

// Unwrap returns the cause.
func (e *SinchError) Unwrap() error {
	if d, ok := e.Err.(described); ok {
		return d.err
	}
	return e.Err
}

// Described marks err as the cause of a SinchError whose Message already
// says what err says, with the code: Error then does not repeat it, while
// errors.Is and errors.As still find it. A copy of the Err field keeps the
// mark, so a message built on another's Message does not repeat it either.
func Described(err error) error {
	if err == nil {
		return nil
	}
	return described{err}
}

type described struct{ err error }

func (d described) Error() string { return d.err.Error() }
func (d described) Unwrap() error { return d.err }

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

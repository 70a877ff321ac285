package sinch

import (
	"context"
	"errors"
	"fmt"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Errors returned by the client, its controllers and its calls. They are the
// same values whichever package returns them: test with errors.Is.
var (
	// ErrClientTerminated: the client was terminated; build a new one.
	ErrClientTerminated = errs.ErrClientTerminated
	// ErrNotStarted: the operation needs a started client (see WaitStarted).
	ErrNotStarted = errs.ErrNotStarted
	// ErrAlreadyStarted: Start was called on a client that is starting or started.
	ErrAlreadyStarted = errs.ErrAlreadyStarted
	// ErrInvalidOperation: the operation does not apply in the object's state,
	// such as answering an outbound call.
	ErrInvalidOperation = errs.ErrInvalidOperation
	// ErrInvalidArgument: an argument was refused before anything was sent;
	// the message names it.
	ErrInvalidArgument = errs.ErrInvalidArgument
)

// SinchError is the error OnClientFailed receives. It keeps the server's code
// and message when the server refused a request, says what to do, and
// unwraps to its cause.
type SinchError = errs.SinchError

// ErrorType is the domain of a SinchError.
type ErrorType = errs.ErrorType

// Error domains.
const (
	ErrorTypeGeneric     = errs.Generic
	ErrorTypeNetwork     = errs.Network
	ErrorTypeSession     = errs.Session
	ErrorTypeAPI         = errs.API
	ErrorTypePersistence = errs.Persistence
	ErrorTypeSIP         = errs.SIP
	ErrorTypeHTTP        = errs.HTTP
)

// requestError turns a failed Ocra request into a SinchError that keeps the
// server's code and says what to do.
func requestError(step string, err error) *SinchError {
	var apiErr *ocra.APIError
	if errors.As(err, &apiErr) {
		return &SinchError{
			Code:    apiErr.Code,
			Domain:  errs.API,
			Fatal:   apiErr.Status < 500,
			Message: fmt.Sprintf("%s: %s%s", step, apiErr.Message, hint(apiErr.Code)),
			Err:     err,
		}
	}
	if errors.Is(err, context.Canceled) {
		return &SinchError{Domain: errs.Generic, Message: step + ": terminated", Err: ErrClientTerminated}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &SinchError{
			Domain:  errs.Network,
			Message: step + ": Ocra did not answer within RequestTimeout: check EnvironmentHost and the network",
			Err:     err,
		}
	}
	return &SinchError{
		Domain:  errs.Network,
		Message: step + ": cannot reach Ocra: check EnvironmentHost and the network",
		Err:     err,
	}
}

// hint says what to do about a server error code.
func hint(code int) string {
	switch code {
	case ocra.CodeInvalidToken:
		return " (the registration token was refused: check the application secret, and the user id in the token's sub)"
	case ocra.CodeInvalidSignature:
		return " (a request signature was refused: check the system clock)"
	case ocra.CodeBadTimestamp:
		return " (the system clock is more than 15 minutes off: fix it)"
	case ocra.CodeMissingAuth, ocra.CodeWrongScheme:
		return " (the request was not authorized: this is an SDK or server bug)"
	case ocra.CodeNotFound:
		return " (the instance is gone: start the client again)"
	case ocra.CodeServiceUnavailable, ocra.CodeInternal:
		return " (the service failed: try again later)"
	}
	return ""
}

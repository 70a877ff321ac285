package sinch

import (
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

// requestError turns a failed Ocra request into the SinchError a user
// reads (ocra.RequestError): the step, the server's code and message, and
// what to do.
func requestError(step string, err error) *SinchError {
	return ocra.RequestError(step, err, todo)
}

// todo says what to do about a server error code, "" when the server's
// message is all there is to say.
func todo(code int) string {
	switch code {
	case ocra.CodeInvalidToken:
		return "register a new token, made with this application's key and secret, whose sub is this user id"
	case ocra.CodeInvalidSignature:
		return "check the system clock"
	case ocra.CodeBadTimestamp:
		return "the system clock is more than 15 minutes off; fix it"
	case ocra.CodeMissingAuth, ocra.CodeWrongScheme:
		return "this is an SDK or server bug; report it"
	case ocra.CodeNotFound:
		return "the instance is gone; start the client again"
	case ocra.CodeServiceUnavailable, ocra.CodeInternal:
		return "the service failed; try again later"
	}
	return ""
}

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

// SinchError is the error OnClientFailed receives and WaitStarted returns
// when a start fails; a failed call's Details().Error is one too. Get it
// with errors.As:
//
//	var serr *sinch.SinchError
//	if errors.As(err, &serr) && serr.Code == 40103 {
//		// the registration token was refused
//	}
//
// It is a struct with these fields (it is declared in an internal package
// so that package call returns the same type):
//
//	Code    int       // the server's error code, such as 40103; 0 when no server refused anything
//	Domain  ErrorType // where it happened: ErrorTypeNetwork, ErrorTypeAPI, ...
//	Fatal   bool      // the client gave up for good: retrying as is will not help
//	Message string    // one sentence: what happened and what to do
//	Err     error     // the cause, also returned by Unwrap; may be nil
//
// Error returns "sinch: " and Message, followed by the code and the cause
// when Message does not already give them. No error of the SDK contains a
// token or a secret.
type SinchError = errs.SinchError

// ErrorType is the domain of a SinchError, as in the JS SDK. Its String
// method returns the domain's name, such as "Network".
type ErrorType = errs.ErrorType

// Error domains.
const (
	ErrorTypeGeneric     ErrorType = iota // the SDK itself, or the application's answers to it
	ErrorTypeNetwork                      // the server or the peer could not be reached
	ErrorTypeSession                      // the registration expired, or the remote party failed a call
	ErrorTypeAPI                          // the server refused a request; Code says why
	ErrorTypePersistence                  // unused by this SDK; kept for the JS SDK's list
	ErrorTypeSIP                          // unused by this SDK; kept for the JS SDK's list
	ErrorTypeHTTP                         // unused by this SDK; kept for the JS SDK's list
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

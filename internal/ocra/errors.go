package ocra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// RequestError turns a failed request into the error a user reads: one
// sentence that names the step, says what happened (the server's code and
// message, or why Ocra could not be reached) and what to do. todo gives
// what to do about a server code, "" for nothing more to say; it may be
// nil. The cause stays reachable with errors.As; the text never repeats it.
func RequestError(step string, err error, todo func(code int) string) *errs.SinchError {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		msg := fmt.Sprintf("%s failed with %d", step, apiErr.Code)
		if apiErr.Message != "" {
			msg += " (" + apiErr.Message + ")"
		}
		if todo != nil {
			if t := todo(apiErr.Code); t != "" {
				msg += ": " + t
			}
		}
		return &errs.SinchError{
			Code:    apiErr.Code,
			Domain:  errs.API,
			Fatal:   apiErr.Status < 500,
			Message: msg,
			Err:     errs.Described(err),
		}
	case errors.Is(err, context.Canceled):
		return &errs.SinchError{Domain: errs.Generic, Message: step + " stopped: the client was terminated",
			Err: errs.Described(errs.ErrClientTerminated)}
	case errors.Is(err, context.DeadlineExceeded):
		return &errs.SinchError{Domain: errs.Network,
			Message: step + " failed: Ocra did not answer within RequestTimeout: check EnvironmentHost and the network",
			Err:     errs.Described(err)}
	}
	return &errs.SinchError{Domain: errs.Network,
		Message: step + " failed: cannot reach Ocra (" + unreachable(err) + "): check EnvironmentHost and the network",
		Err:     errs.Described(err)}
}

// unreachable says why a request got no answer, without the request line
// the client's errors start with: "dial tcp 127.0.0.1:1: connect:
// connection refused".
func unreachable(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "ocra: ")
}

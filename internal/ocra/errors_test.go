package ocra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

func TestRequestError(t *testing.T) {
	todo := func(code int) string {
		if code == CodeNotFound {
			return "start the client again"
		}
		return ""
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: errors.New("connect: connection refused")}
	for _, tc := range []struct {
		name   string
		err    error
		want   string
		code   int
		fatal  bool
		domain errs.ErrorType
	}{
		{"refused with a todo", fmt.Errorf("ocra: POST /x: %w", &APIError{Status: 404, Code: 40400, Message: "instance not found"}),
			`extending the instance failed with 40400 (instance not found): start the client again`, 40400, true, errs.API},
		{"refused without a todo", &APIError{Status: 503, Code: 50300, Message: "busy"},
			`extending the instance failed with 50300 (busy)`, 50300, false, errs.API},
		{"unreachable", fmt.Errorf("ocra: POST /x: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/x", Err: dial}),
			"extending the instance failed: cannot reach Ocra (dial tcp 127.0.0.1:1: connect: connection refused): check EnvironmentHost and the network", 0, false, errs.Network},
		{"timeout", fmt.Errorf("ocra: POST /x: %w", context.DeadlineExceeded),
			"extending the instance failed: Ocra did not answer within RequestTimeout: check EnvironmentHost and the network", 0, false, errs.Network},
		{"terminated", context.Canceled, "extending the instance stopped: the client was terminated", 0, false, errs.Generic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RequestError("extending the instance", tc.err, todo)
			require.Equal(t, "sinch: "+tc.want, got.Error())
			require.Equal(t, tc.code, got.Code)
			require.Equal(t, tc.fatal, got.Fatal)
			require.Equal(t, tc.domain, got.Domain)
			require.NotNil(t, errors.Unwrap(got))
		})
	}
	require.ErrorIs(t, RequestError("x", context.Canceled, nil), errs.ErrClientTerminated)
	var apiErr *APIError
	require.ErrorAs(t, RequestError("x", &APIError{Code: 1}, nil), &apiErr)
}

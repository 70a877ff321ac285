package sinch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/errs"
)

// credentialRequest takes the first answer to one OnCredentialsRequired.
type credentialRequest struct {
	once   sync.Once
	answer chan string // "" means RegisterFailed
}

func newCredentialRequest() *credentialRequest {
	return &credentialRequest{answer: make(chan string, 1)}
}

// Register hands over a registration token; only the first answer counts.
func (r *credentialRequest) Register(jwt string) { r.once.Do(func() { r.answer <- jwt }) }

// RegisterFailed says no token can be had; only the first answer counts.
func (r *credentialRequest) RegisterFailed() { r.once.Do(func() { r.answer <- "" }) }

// errNoCredentials is wrapped by the error of a request for credentials
// that got no answer within CredentialsTimeout.
var errNoCredentials = errors.New("sinch: no answer to OnCredentialsRequired")

// credentials asks the application for a registration token and waits for
// the first answer, at most CredentialsTimeout.
func (e *engine) credentials(ctx context.Context) (string, *SinchError) {
	reg := newCredentialRequest()
	if !e.events.credentialsRequired(reg) {
		return "", &SinchError{Domain: errs.Generic, Fatal: true,
			Message: "no listener to answer OnCredentialsRequired: call AddListener before Start"}
	}
	timer := time.NewTimer(e.cfg.credentialsTimeout)
	defer timer.Stop()
	select {
	case jwt := <-reg.answer:
		if jwt == "" {
			return "", &SinchError{Domain: errs.Generic, Fatal: true,
				Message: "the application answered OnCredentialsRequired with RegisterFailed (or an empty token)"}
		}
		return jwt, nil
	case <-timer.C:
		return "", &SinchError{Domain: errs.Generic, Fatal: true, Err: errs.Described(errNoCredentials),
			Message: fmt.Sprintf("no answer to OnCredentialsRequired within %v: call Register or RegisterFailed", e.cfg.credentialsTimeout)}
	case <-ctx.Done():
		return "", &SinchError{Domain: errs.Generic, Fatal: true, Message: "terminated while waiting for credentials", Err: errs.Described(ErrClientTerminated)}
	}
}

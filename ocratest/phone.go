package ocratest

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"strings"
	"time"

	sdkerrs "github.com/sinch-rtc-go/sinch/internal/errs"
)

// DefaultToneHz is the tone a far end plays when its Behaviour sets none.
const DefaultToneHz = 440

// sipScheme is the optional prefix of SIP identities.
const sipScheme = "sip:"

// maxE164Digits is the most digits of an E.164 number.
const maxE164Digits = 15

// AnswerMode is what a phone number or SIP identity does when called.
type AnswerMode int

// Answer modes. The zero value answers and plays a tone.
const (
	// PlayTone answers and plays a sine tone of Behaviour.ToneHz.
	PlayTone AnswerMode = iota
	// Echo answers and sends back the audio it receives.
	Echo
	// Busy declines the call at once: the caller's call ends Denied.
	Busy
	// NoAnswer rings and never answers: the caller's no-answer timeout
	// ends the call with NoAnswer.
	NoAnswer
	// Fail fails the call at once: the caller's call ends with Failure.
	Fail
)

var answerModeNames = [...]string{"PlayTone", "Echo", "Busy", "NoAnswer", "Fail"}

// String returns the mode's name, such as "Busy".
func (m AnswerMode) String() string {
	if m >= 0 && int(m) < len(answerModeNames) {
		return answerModeNames[m]
	}
	return fmt.Sprintf("AnswerMode(%d)", int(m))
}

// Behaviour is how a far end (a phone number or SIP identity) acts in a
// call. A phone that calls an app with [Server.CallFromPhone] plays its tone,
// or echoes, whatever its mode.
type Behaviour struct {
	Answer AnswerMode
	// ToneHz is the tone of PlayTone; 0 means DefaultToneHz.
	ToneHz float64
	// AnswerAfter is how long PlayTone and Echo ring before they answer.
	AnswerAfter time.Duration
}

// toneHz is the tone the far end plays.
func (b Behaviour) toneHz() float64 {
	if b.ToneHz == 0 {
		return DefaultToneHz
	}
	return b.ToneHz
}

func (b Behaviour) check() error {
	switch {
	case b.Answer < PlayTone || b.Answer > Fail:
		return fmt.Errorf("unknown answer mode %v", b.Answer)
	case b.ToneHz < 0 || math.IsNaN(b.ToneHz) || math.IsInf(b.ToneHz, 0):
		return fmt.Errorf("tone %v Hz is not a frequency", b.ToneHz)
	case b.AnswerAfter < 0:
		return fmt.Errorf("AnswerAfter %v is negative", b.AnswerAfter)
	}
	return nil
}

// checkFarEnds validates the phone numbers, SIP identities and callback URL
// of the options.
func (o *options) checkFarEnds() error {
	var errs []error
	for number, b := range o.phones {
		if !isE164(number) {
			errs = append(errs, fmt.Errorf("phone number %s is not E.164 (+ and 1 to %d digits)", sdkerrs.Quote(number), maxE164Digits))
		}
		if err := b.check(); err != nil {
			errs = append(errs, fmt.Errorf("phone number %s: %w", sdkerrs.Quote(number), err))
		}
	}
	for identity, b := range o.sips {
		if user, host, ok := strings.Cut(identity, "@"); !ok || user == "" || host == "" {
			errs = append(errs, fmt.Errorf("SIP identity %s is not user@host", sdkerrs.Quote(identity)))
		}
		if err := b.check(); err != nil {
			errs = append(errs, fmt.Errorf("SIP identity %s: %w", sdkerrs.Quote(identity), err))
		}
	}
	if o.callbackURL != "" {
		u, err := url.Parse(o.callbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("callback URL is not an absolute http or https URL"))
		}
	}
	return errors.Join(errs...)
}

// isE164 reports whether number is "+" and 1 to 15 digits.
func isE164(number string) bool {
	digits, ok := strings.CutPrefix(number, "+")
	return ok && digits != "" && len(digits) <= maxE164Digits && strings.Trim(digits, "0123456789") == ""
}

// DTMF returns the DTMF digits that the far end of a phone number or SIP
// identity received in all its calls so far, in order ("" for none).
func (s *Server) DTMF(identity string) string {
	s.far.mu.Lock()
	defer s.far.mu.Unlock()
	return s.far.dtmf[strings.TrimPrefix(identity, sipScheme)]
}

// SIPHeaders returns the custom headers of the last call to a SIP identity
// (nil when it had none).
func (s *Server) SIPHeaders(identity string) map[string]string {
	s.far.mu.Lock()
	defer s.far.mu.Unlock()
	return maps.Clone(s.far.sipHeaders[strings.TrimPrefix(identity, sipScheme)])
}

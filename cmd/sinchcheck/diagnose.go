package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// realWireDoc is where the report sends a user for what is known and what
// is designed.
const realWireDoc = "docs/realwire.md"

// transportProblem says what kind of transport failure err is. The errors
// of an http.RoundTripper carry no URL, so their text is safe to show.
func transportProblem(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "DNS: " + dnsErr.Error()
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return "TLS: " + err.Error()
	case errors.As(err, &record), isPlainHTTP(err):
		return "TLS: the server does not speak TLS"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}

// isPlainHTTP reports whether err is net/http's for a server that answered
// a TLS handshake in plain HTTP (it wraps no typed error).
func isPlainHTTP(err error) bool {
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// diagnosis says what to look at when a step failed with err; last is the
// last failed HTTP exchange of the step, if any.
type diagnosis struct {
	host     string // the -host value
	user     string
	callee   string // the -call value, "" when none
	secretIn string // how to name the secret's environment variable
}

// lookAt returns the "look at" line of a failure.
func (d diagnosis) lookAt(err error, last *exchange) string {
	if hint := d.network(err); hint != "" {
		return hint
	}
	var row *ocra.Route
	if last != nil {
		row = last.row
	}
	if row == nil && strings.Contains(err.Error(), "realtime channel") {
		if r, ok := ocra.DefaultTable().Route(ocra.RoutePubSub); ok {
			row = &r
		}
	}
	code := 0
	var serr *sinch.SinchError
	var apiErr *ocra.APIError
	switch {
	case errors.As(err, &apiErr):
		code = apiErr.Code
	case errors.As(err, &serr):
		code = serr.Code
	}
	if hint := d.byCode(code, row); hint != "" {
		return hint
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "MXP key"), strings.Contains(msg, "instance secret"):
		return "the registration answer's keys: real instance keys are 16 bytes (real-wire.md 2); " +
			"send the shape (never the values) of the instance and rtcProfile fields, see " + realWireDoc
	case strings.Contains(msg, "realtime channel"):
		return "the realtime channel: Sinch's is PubNub (real-wire.md 1), whose host, keys and channel names " +
			"come in the registration's config; see " + realWireDoc + " for what to capture"
	case errors.Is(err, context.DeadlineExceeded):
		return "nothing failed, but the step did not finish within -timeout: the last line above is where it " +
			"stopped; raise -timeout, or see " + realWireDoc
	}
	return "the error above; " + realWireDoc + " lists what is known and what is designed"
}

// network is the hint of a failure to reach the host, or "".
func (d diagnosis) network(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the host: %q does not resolve; check -host (%s) and this machine's DNS", dnsErr.Name, d.host)
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return fmt.Sprintf("the host's TLS certificate is not trusted: check -host (%s), and that no proxy or "+
			"antivirus intercepts TLS on this machine", d.host)
	case errors.As(err, &record), isPlainHTTP(err):
		return fmt.Sprintf("the host does not speak TLS: check -host (%s); write http:// only for a local test server", d.host)
	case errors.As(err, &opErr):
		return fmt.Sprintf("the host cannot be reached (%s): check -host (%s), the network and the firewall", opErr.Op, d.host)
	}
	return ""
}

// byCode is the hint of an Ocra error code (or HTTP status * 100), or "".
func (d diagnosis) byCode(code int, row *ocra.Route) string {
	name := "the request above"
	designed := false
	if row != nil {
		name = "REST table row " + string(row.Name) + " (" + row.Method + " " + ocra.DefaultTable().Base + row.Path + ")"
		designed = row.Wire == ocra.Designed
	}
	switch {
	case code == ocra.CodeInvalidToken:
		return fmt.Sprintf("the registration token was refused (40103): check the application secret in %s, "+
			"-key, and the user id in the token (-user %s)", d.secretIn, d.user)
	case code == ocra.CodeInvalidSignature:
		return "a request signature was refused (40102): check this machine's clock (NTP); if the clock is right, " +
			"the 2.x signature string and header are not public: see " + realWireDoc
	case code == ocra.CodeBadTimestamp:
		return "this machine's clock is more than 15 minutes off (40101): fix the clock (NTP)"
	case code == ocra.CodeMissingAuth, code == ocra.CodeWrongScheme:
		return fmt.Sprintf("the server wanted another authorization for %s: its auth scheme is designed, not known; "+
			"capture the real request's Authorization scheme (never its value), see %s", name, realWireDoc)
	case code/10000 == 3: // a status*100 code: the client never follows redirects
		return "the host redirected the request (named above): set -host to the host that answers"
	case code/10000 == 2: // a 2xx answer that is not Ocra's
		return fmt.Sprintf("the host answered %s, but not as Ocra does: check -host (%s); if it is right, "+
			"capture the real answer's shape, see %s", name, d.host, realWireDoc)
	case code == ocra.CodeNotFound && row != nil && row.Name == ocra.RouteCreateCall:
		return fmt.Sprintf("%q has no registered device (start an app as that user and run again), or %s "+
			"is designed, not known: capture the real path, see %s", d.callee, name, realWireDoc)
	case code == ocra.CodeNotFound && designed:
		return fmt.Sprintf("the %s is designed, not known: capture the real path, see %s", name, realWireDoc)
	case code == ocra.CodeNotFound:
		return "the instance is gone (40400): run again"
	case code == 40500:
		return fmt.Sprintf("the method of %s is designed, not known: capture the real method, see %s", name, realWireDoc)
	case code == ocra.CodeValidation:
		return fmt.Sprintf("the server refused the body of %s (40001; the message above names the field): "+
			"compare its shape with %s", name, realWireDoc)
	case code/10000 == 5:
		return "the service failed: try again later; if it persists, " + name + " may be wrong, see " + realWireDoc
	}
	return ""
}

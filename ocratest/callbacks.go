package ocratest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/errs"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// Voice callbacks. With WithCallbackURL the server POSTs Sinch's voice
// callback events to the application's backend, each signed with the
// application secret (protocol.md section 2: Authorization "application
// {appKey}:{signature}"; verify them with the same algorithm):
//
//   - ICE before it routes any call, app-to-app ones too. The answer's
//     SVAML action decides where the call goes: connectMxp (another user;
//     its callHeaders join the call's headers), connectPstn (a phone
//     number: the action's number, else the dialled one), connectConf (a
//     conference), connectSip (a SIP identity) or hangup (the caller's call
//     ends Denied). No action, or "continue", routes the call as dialled.
//     A backend that fails, answers non-2xx or answers something that is
//     not SVAML makes POST /calls fail with 50300: the caller's call ends
//     with Failure.
//   - ACE when the call is answered, DiCE when it ends (once per call;
//     for app-to-app calls the caller's call report says how). Their answers
//     are ignored. They are posted in order by one goroutine; those still
//     queued when the server closes are dropped.

// callbackTimeout bounds one callback request.
const callbackTimeout = 5 * time.Second

// callbackVersion is the version of the callback API the events carry.
const callbackVersion = 1

// CallbackEvent is the body of a voice callback, as Sinch's Voice callback
// API shapes it. Fields that an event does not have are omitted.
type CallbackEvent struct {
	Event           string        `json:"event"` // "ice", "ace" or "dice"
	CallID          string        `json:"callid"`
	Timestamp       string        `json:"timestamp"` // RFC 3339, UTC
	Version         int           `json:"version"`
	ApplicationKey  string        `json:"applicationKey"`
	CLI             string        `json:"cli,omitempty"`
	User            string        `json:"user,omitempty"` // ICE of an app's call: the calling user
	To              *CallbackPeer `json:"to,omitempty"`
	Domain          string        `json:"domain,omitempty"`
	OriginationType string        `json:"originationType,omitempty"`
	CallHeaders     []CallHeader  `json:"callHeaders,omitempty"`
	// DiCE only.
	Result   string `json:"result,omitempty"`   // ANSWERED, BUSY, NOANSWER, FAILED or N/A
	Reason   string `json:"reason,omitempty"`   // such as CALLERHANGUP, CALLEEHANGUP, CANCEL, TIMEOUT
	Duration *int   `json:"duration,omitempty"` // seconds of the answered call
	From     string `json:"from,omitempty"`
}

// CallbackPeer is a party of a callback: Type is "username", "number",
// "sip" or "conference"; Endpoint its identity.
type CallbackPeer struct {
	Type     string `json:"type"`
	Endpoint string `json:"endpoint"`
}

// CallHeader is one custom call header.
type CallHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SVAML is the backend's answer to ICE. Instructions are ignored.
type SVAML struct {
	Action *SVAMLAction `json:"action,omitempty"`
}

// SVAMLAction is the action of an SVAML answer.
type SVAMLAction struct {
	// Name is connectMxp, connectPstn, connectConf, connectSip, continue
	// or hangup.
	Name string `json:"name"`
	// Destination is the user of connectMxp or the SIP identity of
	// connectSip.
	Destination *CallbackPeer `json:"destination,omitempty"`
	// Number is the phone number of connectPstn.
	Number string `json:"number,omitempty"`
	// ConferenceID is the conference of connectConf.
	ConferenceID string `json:"conferenceId,omitempty"`
	// CallHeaders are added to the call's headers (connectMxp).
	CallHeaders []CallHeader `json:"callHeaders,omitempty"`
}

// callEvent is what the callbacks say of a call.
type callEvent struct {
	callID      string
	cli         string
	user        string // the calling app user; "" for a phone
	dest        ocra.Destination
	headers     map[string]string
	origination string // domainApp or domainPhone
}

// target is where a call goes once the backend had its say.
type target struct {
	dest    ocra.Destination
	headers map[string]string
	hangup  bool
}

// peerTypes maps destination types to the type of a callback's "to".
var peerTypes = map[string]string{
	ocra.DestUserID:      "username",
	ocra.DestPhoneNumber: "number",
	ocra.DestSIP:         "sip",
	ocra.DestConference:  "conference",
}

// callbacks posts events to the application's backend.
type callbacks struct {
	url       string
	appKey    string
	secret    []byte
	now       func() time.Time
	transport *http.Transport
	client    *http.Client
	log       *slog.Logger

	mu      sync.Mutex
	pending []CallbackEvent
	wake    chan struct{} // holds a token while events are pending
}

func newCallbacks(o *options, log *slog.Logger) *callbacks {
	if o.callbackURL == "" {
		return nil
	}
	secret, _ := ocra.DecodeSecret(o.appSecret) // checked by NewServer
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &callbacks{
		url:       o.callbackURL,
		appKey:    o.appKey,
		secret:    secret,
		now:       o.now,
		transport: tr,
		client:    &http.Client{Transport: tr, Timeout: callbackTimeout},
		wake:      make(chan struct{}, 1),
		log:       log,
	}
}

// event returns the event named name of call ev, stamped now.
func (cb *callbacks) event(name string, ev callEvent) CallbackEvent {
	return CallbackEvent{
		Event:          name,
		CallID:         ev.callID,
		Timestamp:      cb.now().UTC().Format(time.RFC3339),
		Version:        callbackVersion,
		ApplicationKey: cb.appKey,
	}
}

// post sends e, signed, and decodes the answer into answer (when not nil).
func (cb *callbacks) post(ctx context.Context, e CallbackEvent, answer any) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ocra.ContentTypeJSON)
	ocra.SignRequest(req, body, ocra.SchemeApplication, cb.appKey, cb.secret, cb.now())
	resp, err := cb.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestBody))
	switch {
	case err != nil:
		return err
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("the backend answered %s to %s", resp.Status, e.Event)
	case answer == nil || len(bytes.TrimSpace(data)) == 0:
		return nil
	}
	if err := json.Unmarshal(data, answer); err != nil {
		return fmt.Errorf("the backend's answer to %s is not SVAML: %w", e.Event, err)
	}
	return nil
}

// queue posts e in the background, after the events queued before it.
func (cb *callbacks) queue(e CallbackEvent) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.pending = append(cb.pending, e)
	select {
	case cb.wake <- struct{}{}:
	default:
	}
}

// run posts queued events until ctx is done.
func (cb *callbacks) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-cb.wake:
		}
		cb.mu.Lock()
		events := cb.pending
		cb.pending = nil
		cb.mu.Unlock()
		for _, e := range events {
			if err := cb.post(ctx, e, nil); err != nil {
				cb.log.Info("voice callback failed", "event", e.Event, "call", e.CallID, "err", err)
			}
		}
	}
}

// routeByCallbacks posts ICE for a call and returns where the backend
// sends it: as dialled without a callback URL.
func (s *Server) routeByCallbacks(ctx context.Context, ev callEvent) (target, error) {
	t := target{dest: ev.dest, headers: ev.headers}
	cb := s.far.cb
	if cb == nil {
		return t, nil
	}
	ice := cb.event("ice", ev)
	ice.CLI = ev.cli
	ice.User = ev.user
	ice.To = &CallbackPeer{Type: peerTypes[ev.dest.Type], Endpoint: ev.dest.Identity}
	ice.Domain = ev.dest.Domain
	ice.OriginationType = ev.origination
	ice.CallHeaders = callHeaders(ev.headers)
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	var answer SVAML
	if err := cb.post(ctx, ice, &answer); err != nil {
		return t, fmt.Errorf("ICE callback failed: %w", err)
	}
	return applySVAML(t, answer.Action)
}

// applySVAML routes t as the ICE answer's action says.
func applySVAML(t target, a *SVAMLAction) (target, error) {
	if a == nil {
		return t, nil
	}
	switch a.Name {
	case "", "continue":
	case "hangup":
		t.hangup = true
	case "connectMxp":
		if a.Destination == nil || a.Destination.Endpoint == "" {
			return t, errors.New("connectMxp has no destination endpoint")
		}
		t.dest = ocra.Destination{Domain: domainApp, Type: ocra.DestUserID, Identity: a.Destination.Endpoint}
		if len(a.CallHeaders) > 0 {
			t.headers = maps.Clone(t.headers)
			if t.headers == nil {
				t.headers = make(map[string]string, len(a.CallHeaders))
			}
			for _, h := range a.CallHeaders {
				t.headers[h.Key] = h.Value
			}
		}
	case "connectPstn":
		number := a.Number
		if number == "" && t.dest.Type == ocra.DestPhoneNumber {
			number = t.dest.Identity
		}
		if number == "" {
			return t, errors.New("connectPstn has no number")
		}
		t.dest = ocra.Destination{Domain: domainPhone, Type: ocra.DestPhoneNumber, Identity: number}
	case "connectConf":
		if a.ConferenceID == "" {
			return t, errors.New("connectConf has no conferenceId")
		}
		t.dest = ocra.Destination{Domain: domainConference, Type: ocra.DestConference, Identity: a.ConferenceID}
	case "connectSip":
		if a.Destination == nil || a.Destination.Endpoint == "" {
			return t, errors.New("connectSip has no destination endpoint")
		}
		t.dest = ocra.Destination{Domain: domainSIP, Type: ocra.DestSIP, Identity: a.Destination.Endpoint}
	default:
		return t, fmt.Errorf("SVAML action %s is not supported by ocratest", errs.Quote(a.Name))
	}
	return t, nil
}

// callHeaders lists headers sorted by key, as callbacks carry them.
func callHeaders(headers map[string]string) []CallHeader {
	list := make([]CallHeader, 0, len(headers))
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		list = append(list, CallHeader{Key: k, Value: headers[k]})
	}
	return list
}

// callAnswered records the answer of a call and queues its ACE.
func (s *Server) callAnswered(callID string) {
	s.mu.Lock()
	c := s.calls[callID]
	first := c != nil && !c.answered
	if first {
		c.answered = true
	}
	s.mu.Unlock()
	if first && s.far.cb != nil {
		s.far.cb.queue(s.far.cb.event("ace", c.event))
	}
}

// callEnded records the end of a call and queues its DiCE, once. e is the
// far end that ended it, nil for a call report.
func (s *Server) callEnded(callID string, e *endpoint, o outcome, answered time.Duration) {
	s.mu.Lock()
	c := s.calls[callID]
	first := c != nil && c.endpoint == e && !c.ended
	if first {
		c.ended = true
	}
	s.mu.Unlock()
	if !first || s.far.cb == nil {
		return
	}
	dice := s.far.cb.event("dice", c.event)
	dice.Result, dice.Reason = o.result, o.reason
	seconds := int(answered.Round(time.Second) / time.Second)
	dice.Duration = &seconds
	dice.From = c.event.cli
	if dice.From == "" {
		dice.From = c.event.user
	}
	dice.To = &CallbackPeer{Type: peerTypes[c.event.dest.Type], Endpoint: c.event.dest.Identity}
	dice.CallHeaders = callHeaders(c.event.headers)
	s.far.cb.queue(dice)
}

// reportOutcomes maps the end causes of callers' call reports to DiCE
// outcomes. The server does not see who hung up an answered app-to-app
// call (Leave goes from peer to peer), so its reason is N/A.
var reportOutcomes = map[string]outcome{
	"HungUp":   {"ANSWERED", "N/A"},
	"Canceled": outcomeCanceled,
	"Denied":   outcomeBusy,
	"NoAnswer": outcomeTimeout,
	"Timeout":  outcomeTimeout,
	"Failure":  outcomeFailed,
	"Inactive": outcomeFailed,
}

// reportEnded ends an app-to-app call with its caller's call report. Calls
// with a far end end with it instead.
func (s *Server) reportEnded(rep *ocra.CallReport) {
	o, ok := reportOutcomes[rep.Result]
	if !ok || rep.Direction != "outbound" {
		return
	}
	s.callEnded(rep.CallID, nil, o, time.Duration(rep.Duration*float64(time.Second)))
}

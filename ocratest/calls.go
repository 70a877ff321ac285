package ocratest

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

const (
	// sessionKeySize is the default size of a call's MXP session key.
	sessionKeySize = 32
	// maxConferenceIDLen is the most characters of a conference id.
	maxConferenceIDLen = 64
)

// callIDPattern is what a call id may look like.
var callIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Destination domains of POST /calls and of the callbacks.
const (
	domainApp        = "mxp"
	domainPhone      = "pstn"
	domainSIP        = "sip"
	domainConference = "conference"
)

// call is a call the server routed.
type call struct {
	caller   string    // the calling instance (an endpoint's for calls from phones)
	callees  []string  // the app instances the Invite went to
	endpoint *endpoint // the far end of phone, SIP and conference calls and calls from phones
	key      []byte    // the session key
	event    callEvent // what the callbacks say of it
	answered bool      // ACE is queued
	ended    bool      // DiCE is queued (or due no more)
	// channel is the call's own channel (mxpSignalChannel), opaque and
	// random, which the server reads; stopListen stops that.
	channel    string
	stopListen func()
}

// party is who an Invite comes from, and its signal channel; sub is its
// sub-instance id ("" for DefaultSubInstance: 1.x callers have others).
type party struct{ user, instance, sub, channel string }

func (s *Server) handleCreateCall(w http.ResponseWriter, r *http.Request, _ string) {
	body, caller, ok := s.signedRequest(w, r, "")
	if !ok {
		return
	}
	var req ocra.CreateCallRequest
	if apiErr := decodeJSON(body, &req); apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	if apiErr := checkCreateCall(&req); apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	ev := callEvent{callID: req.CallID, cli: req.CLI, user: caller.userID, dest: req.Destination,
		headers: req.PublicCallHeaders, origination: domainApp}
	t, err := s.routeByCallbacks(r.Context(), ev)
	if err != nil {
		s.writeError(w, r, apiError(ocra.CodeServiceUnavailable, "ocratest: the call was refused because the "+err.Error()))
		return
	}
	key, keyText := randomKey(s.opts.sessionKeyBytes())
	c := &call{caller: caller.id, key: key, event: ev, channel: newChannel('C')}
	var send func() // what goes out once the caller has the answer
	var apiErr *ocra.APIError
	if t.dest.Type == ocra.DestUserID && !t.hangup {
		send, apiErr = s.routeToUser(caller, &req, t, keyText, c)
	} else {
		send, apiErr = s.routeToFarEnd(caller, &req, t, key, c)
	}
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	callID := req.CallID
	c.stopListen = s.relay.listen(c.channel, func(m string) { s.forwardVirtual(callID, m) })
	if !s.addCall(req.CallID, c) {
		c.stopListen()
		if c.endpoint != nil {
			c.endpoint.end(outcomeFailed)
		}
		s.writeError(w, r, apiError(ocra.CodeValidation, "callId "+req.CallID+" is already in use: every call needs a new id"))
		return
	}
	s.log.Info("call routed", "call", req.CallID, "caller", caller.id, "to", t.dest.Identity, "type", t.dest.Type)
	resp := ocra.CreateCallResponse{
		CallID:            req.CallID,
		MXPEncryptionKey:  keyText,
		MXPSignalChannel:  c.channel,
		StartTime:         s.opts.now().UTC(),
		PublicCallHeaders: req.PublicCallHeaders,
	}
	if c.endpoint != nil {
		resp.Instances = []ocra.CallInstance{{ID: c.endpoint.id, Capabilities: farEndCapabilities}}
	}
	for _, id := range c.callees {
		resp.Instances = append(resp.Instances, ocra.CallInstance{ID: id, Capabilities: s.capabilitiesOf(id)})
	}
	// Answer before the Invites go out, so that the caller knows the session
	// key before a callee can answer.
	s.writeJSON(w, r, http.StatusOK, &resp)
	http.NewResponseController(w).Flush() // best effort: the call goes on anyway
	send()
}

// farEndCapabilities are the capabilities of the server's endpoints.
var farEndCapabilities = []string{"audio", "dtmf"}

// capabilitiesOf returns the capabilities of instance id.
func (s *Server) capabilitiesOf(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.instances[id]; in != nil {
		return in.capabilities
	}
	return nil
}

// routeToUser invites the live instances of the target user.
func (s *Server) routeToUser(caller *instance, req *ocra.CreateCallRequest, t target, key string, c *call) (func(), *ocra.APIError) {
	callees := s.liveInstancesOf(t.dest.Identity, caller.id)
	if len(callees) == 0 {
		return nil, apiError(ocra.CodeNotFound, "destination user not found: "+
			strconv.Quote(t.dest.Identity)+" has no live instance")
	}
	routed := *req
	routed.PublicCallHeaders = t.headers
	invites := make([][]string, len(callees))
	for i := range callees {
		frames, err := invite(party{user: caller.userID, instance: caller.id, channel: caller.signalChannel}, &callees[i], &routed, key)
		if err != nil {
			return nil, apiError(ocra.CodeValidation, "cannot build the Invite of this call: "+err.Error())
		}
		invites[i] = frames
		c.callees = append(c.callees, callees[i].id)
	}
	return func() {
		for i, frames := range invites {
			s.publishAll(callees[i].broadcastChannel, frames)
		}
	}, nil
}

// routeToFarEnd makes the endpoint that answers a call to a phone number,
// SIP identity or conference, or that refuses it for a backend's hangup.
func (s *Server) routeToFarEnd(caller *instance, req *ocra.CreateCallRequest, t target, key []byte, c *call) (func(), *ocra.APIError) {
	id := t.dest.Identity
	var b Behaviour
	var m media
	switch {
	case t.hangup:
		b = Behaviour{Answer: Busy}
		m = newToneMedia(0)
	case t.dest.Type == ocra.DestPhoneNumber:
		var ok bool
		if b, ok = s.opts.phones[id]; !ok {
			return nil, apiError(ocra.CodeNotFound, "phone number "+id+" not found: configure it with ocratest.WithPhoneNumber")
		}
		m = s.far.mediaOf(b)
	case t.dest.Type == ocra.DestSIP:
		id = strings.TrimPrefix(id, sipScheme)
		var ok bool
		if b, ok = s.opts.sips[id]; !ok {
			return nil, apiError(ocra.CodeNotFound, "SIP identity "+id+" not found: configure it with ocratest.WithSIPIdentity")
		}
		s.far.recordSIPHeaders(id, t.headers)
		m = s.far.mediaOf(b)
	default: // a conference answers at once
		m = s.far.joinRoom(id)
	}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: req.SDP.SDP}
	e := s.newEndpoint(calleeRole, t.dest.Identity, req.CallID, key, b, m)
	if t.dest.Type != ocra.DestConference {
		e.dtmfOf = id
	}
	c.endpoint = e
	callerPeer := peer{instance: caller.id, channel: caller.signalChannel}
	return func() {
		if !s.far.start(e, func(closing <-chan struct{}) { e.answerCall(callerPeer, offer, closing) }) {
			e.end(outcomeServerClosed)
		}
	}, nil
}

// publishAll publishes the frames of one message to a broadcast channel.
func (s *Server) publishAll(channel string, frames []string) {
	for _, frame := range frames {
		if !s.relay.publishBroadcast(channel, frame) {
			s.log.Info("message not delivered: instance offline", "channel", channel)
			return
		}
	}
}

// checkCreateCall validates a POST /calls body.
func checkCreateCall(req *ocra.CreateCallRequest) *ocra.APIError {
	if !callIDPattern.MatchString(req.CallID) {
		return apiError(ocra.CodeValidation, "callId must be 1 to 128 characters of A-Z, a-z, 0-9, - and _")
	}
	if req.SDP.Type != "offer" || req.SDP.SDP == "" {
		return apiError(ocra.CodeValidation, `sdp must be an offer: {"type":"offer","sdp":"v=0..."}`)
	}
	d := req.Destination
	switch {
	case d.Identity == "":
		return apiError(ocra.CodeValidation, "destination.identity is required")
	case peerTypes[d.Type] == "":
		return apiError(ocra.CodeValidation, "destination.type "+strconv.Quote(d.Type)+
			" is not one of userId, phonenumber, sip, conference")
	case d.Type == ocra.DestPhoneNumber && !isE164(d.Identity):
		return apiError(ocra.CodeValidation, "destination.identity "+strconv.Quote(d.Identity)+" is not an E.164 number")
	case d.Type == ocra.DestPhoneNumber && req.CLI == "":
		return apiError(ocra.CodeValidation, "cli is required to call a phone number: set the caller identifier")
	case d.Type == ocra.DestConference && utf8.RuneCountInString(d.Identity) > maxConferenceIDLen:
		return apiError(ocra.CodeValidation, "a conference id has at most 64 characters")
	}
	return nil
}

// invite builds the MXP Invite of a call from caller for one callee
// instance, encrypted with that instance's key, as frames for its
// broadcast channel. It names the caller with the sub-instance id every
// client of this SDK uses (mxp.DefaultSubInstance) and is addressed to the
// callee's bare instance id.
func invite(caller party, callee *instance, req *ocra.CreateCallRequest, sessionKey string) ([]string, error) {
	if callee.legacy {
		return legacyInvite(caller, callee, req, sessionKey)
	}
	m, err := mxp.NewInvite(mxp.InviteParams{
		Offer:       req.SDP,
		SessionKey:  sessionKey,
		Headers:     req.PublicCallHeaders,
		Video:       req.Video,
		DisplayName: req.DisplayName,
	})
	if err != nil {
		return nil, err
	}
	m.From(mxp.Sender{User: caller.user, Instance: caller.instance, SubInstance: caller.sub, SignalChannel: caller.channel})
	m.Address(callee.id)
	return mxp.Encode(req.CallID, callee.key, m)
}

// addCall records a call and reports whether its id was new.
func (s *Server) addCall(id string, c *call) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.calls[id]; dup {
		return false
	}
	s.calls[id] = c
	return true
}

// forwardVirtual is what the server does with a message published on the
// channel of call id (mxpSignalChannel): only its caller knows that random
// name. The message goes to the call's far end, if it has one; else,
// verbatim, to the signal channel of every callee instance of the call.
func (s *Server) forwardVirtual(id, message string) {
	s.mu.Lock()
	c := s.calls[id]
	var channels []string
	if c != nil {
		for _, callee := range c.callees {
			if in := s.instances[callee]; in != nil {
				channels = append(channels, in.signalChannel)
			}
		}
	}
	s.mu.Unlock()
	if c == nil {
		s.log.Info("call channel message dropped: the call is gone", "call", id)
		return
	}
	if c.endpoint != nil {
		c.endpoint.receive(message)
		return
	}
	if s.isJoined(c, message) {
		s.callAnswered(id)
	}
	for _, ch := range channels {
		s.relay.publishSignal(ch, message)
	}
}

// isJoined reports whether message is the Joined by which the caller of an
// app-to-app call confirms the answer; only with callbacks, which need it.
func (s *Server) isJoined(c *call, message string) bool {
	if s.far.cb == nil {
		return false
	}
	f, err := mxp.ParseFrame(message)
	if err != nil || f.Total != 1 {
		return false // Joined is always one part
	}
	m, err := mxp.DecodeMessage(c.key, f.Data)
	return err == nil && m.Method == mxp.Joined
}

// handleReport takes a call report from one of the call's own app
// instances: its caller, or a callee instance the call was routed to.
// Anyone else gets 404, as for a call that does not exist, so that a
// report cannot be forged for another's call (nor tell that it exists).
// The report must name its signing instance and that instance's user. Only
// the caller's report ends an app-to-app call for the callbacks (DiCE).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request, callID string) {
	body, in, ok := s.signedRequest(w, r, "")
	if !ok {
		return
	}
	var rep ocra.CallReport
	if apiErr := decodeJSON(body, &rep); apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	if rep.CallID == "" {
		rep.CallID = callID
	}
	var apiErr *ocra.APIError
	switch {
	case rep.CallID != callID || !callIDPattern.MatchString(callID):
		apiErr = apiError(ocra.CodeValidation, "callId of the report must be the call id of the path")
	case rep.Instance.ID != in.id:
		apiErr = apiError(ocra.CodeValidation, "instance.id of the report must be the instance that signs it")
	case rep.UserID != in.userID:
		apiErr = apiError(ocra.CodeValidation, "userId of the report must be the user of the instance that signs it")
	}
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	s.mu.Lock()
	c := s.calls[callID]
	participant := c != nil && (c.caller == in.id || slices.Contains(c.callees, in.id))
	if participant {
		s.reports = append(s.reports, rep)
	}
	s.mu.Unlock()
	if !participant {
		s.log.Info("call report refused: not a participant of the call", "call", callID, "instance", in.id)
		s.writeError(w, r, apiError(ocra.CodeNotFound, "call "+callID+" not found among the calls of this instance"))
		return
	}
	s.log.Info("call report", "call", callID, "instance", in.id, "result", rep.Result)
	if in.id == c.caller {
		s.reportEnded(&rep)
	}
	w.WriteHeader(http.StatusNoContent)
}

package ocratest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/internal/pubsub"
)

// sessionKeySize is the size of a call's MXP session key.
const sessionKeySize = 32

// callIDPattern is what a call id may look like.
var callIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// call is an app-to-app call the server routed.
type call struct {
	caller  string   // the caller's instance id
	callees []string // the callee instance ids the Invite went to
}

// farEndKinds names, per destination type, the far end the server lacks.
var farEndKinds = map[string]string{
	ocra.DestPhoneNumber: "phone",
	ocra.DestSIP:         "SIP",
	ocra.DestConference:  "conference",
}

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
	callees := s.liveInstancesOf(req.Destination.Identity, caller.id)
	if len(callees) == 0 {
		s.writeError(w, r, apiError(ocra.CodeNotFound, "destination user not found: "+
			strconv.Quote(req.Destination.Identity)+" has no live instance"))
		return
	}
	_, sessionKey := randomKey(sessionKeySize)
	invites := make([][]string, len(callees))
	for i := range callees {
		frames, err := invite(caller, &callees[i], &req, sessionKey)
		if err != nil {
			s.writeError(w, r, apiError(ocra.CodeValidation, "cannot build the Invite of this call: "+err.Error()))
			return
		}
		invites[i] = frames
	}
	resp := ocra.CreateCallResponse{
		CallID:            req.CallID,
		MXPEncryptionKey:  sessionKey,
		MXPSignalChannel:  pubsub.PrefixVirtual + req.CallID,
		Instances:         make([]ocra.CallInstance, len(callees)),
		StartTime:         s.opts.now().UTC(),
		PublicCallHeaders: req.PublicCallHeaders,
	}
	c := &call{caller: caller.id, callees: make([]string, len(callees))}
	for i, in := range callees {
		resp.Instances[i] = ocra.CallInstance{ID: in.id, Capabilities: in.capabilities}
		c.callees[i] = in.id
	}
	if !s.addCall(req.CallID, c) {
		s.writeError(w, r, apiError(ocra.CodeValidation, "callId "+req.CallID+" is already in use: every call needs a new id"))
		return
	}
	s.log.Info("call routed", "call", req.CallID, "caller", caller.id, "callees", c.callees)
	// Answer before the Invites go out, so that the caller knows the session
	// key before a callee can answer.
	s.writeJSON(w, r, http.StatusOK, &resp)
	http.NewResponseController(w).Flush() // best effort: the Invites go out anyway
	for i, frames := range invites {
		channel := pubsub.PrefixBroadcast + c.callees[i]
		for _, frame := range frames {
			if s.hub.Publish(channel, frame) == 0 {
				s.log.Info("invite not delivered: instance offline", "call", req.CallID, "instance", c.callees[i])
				break
			}
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
	if req.Destination.Identity == "" {
		return apiError(ocra.CodeValidation, "destination.identity is required")
	}
	if kind, ok := farEndKinds[req.Destination.Type]; ok {
		return apiError(ocra.CodeValidation, "ocratest: no "+kind+" endpoint is configured for "+
			req.Destination.Identity+" (phone, SIP and conference far ends are not implemented yet)")
	}
	if req.Destination.Type != ocra.DestUserID {
		return apiError(ocra.CodeValidation, "destination.type "+strconv.Quote(req.Destination.Type)+
			" is not one of userId, phonenumber, sip, conference")
	}
	return nil
}

// invite builds the MXP Invite of a call for one callee instance, encrypted
// with that instance's key, as frames for its broadcast channel.
func invite(caller, callee *instance, req *ocra.CreateCallRequest, sessionKey string) ([]string, error) {
	sdp, err := json.Marshal(req.SDP)
	if err != nil {
		return nil, err
	}
	headers := req.PublicCallHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	ph, err := json.Marshal(headers)
	if err != nil {
		return nil, err
	}
	nvps := map[string]string{
		mxp.NVPKey:     sessionKey,
		mxp.NVPSDP:     string(sdp),
		mxp.NVPHeaders: string(ph),
		mxp.NVPVideo:   strconv.FormatBool(req.Video),
		mxp.NVPTo:      callee.id,
	}
	if req.DisplayName != "" {
		nvps[mxp.NVPDisplayName] = req.DisplayName
	}
	return mxp.Encode(req.CallID, callee.key, &mxp.Message{
		Method:            mxp.Invite,
		BodyType:          mxp.BodyMedia,
		Version:           mxp.ProtocolVersion,
		FromUser:          caller.userID,
		FromID:            caller.id + ":0",
		FromInstance:      caller.id,
		FromSignalChannel: pubsub.PrefixSignal + caller.id,
		NVPs:              nvps,
	})
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

// forwardVirtual is the Hub's OnVirtual: what a participant of a call
// publishes to c.<callId> goes, verbatim, to the signal channel of every
// callee instance of the call but the sender.
func (s *Server) forwardVirtual(from, channel, message string) {
	id := strings.TrimPrefix(channel, pubsub.PrefixVirtual)
	s.mu.Lock()
	c := s.calls[id]
	s.mu.Unlock()
	if c == nil || (from != c.caller && !slices.Contains(c.callees, from)) {
		s.log.Info("virtual channel message dropped: not a participant of the call", "call", id, "instance", from)
		return
	}
	for _, callee := range c.callees {
		if callee != from {
			s.hub.Publish(pubsub.PrefixSignal+callee, message)
		}
	}
}

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
	if rep.CallID != callID || !callIDPattern.MatchString(callID) {
		s.writeError(w, r, apiError(ocra.CodeValidation, "callId of the report must be the call id of the path"))
		return
	}
	s.mu.Lock()
	s.reports = append(s.reports, rep)
	s.mu.Unlock()
	s.log.Info("call report", "call", callID, "instance", in.id, "result", rep.Result)
	w.WriteHeader(http.StatusNoContent)
}

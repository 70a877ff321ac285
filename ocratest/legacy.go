package ocratest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest/internal/legacy"
)

// This file makes clients of Sinch's 1.x API (its JavaScript SDK 1.4.12)
// instances of the server, beside the SDK's: the test-only facade of
// ocratest/internal/legacy serves them the 1.x REST API on a listener of
// its own, with the server as its Backend and the server's PubNub origin as
// theirs, so that calls cross between the generations (issue 16,
// docs/sinch-rtc-1x.md).

// legacyInstanceTTL is the life of a 1.x instance: the client asks a year.
const legacyInstanceTTL = 365 * 24 * time.Hour

// withLegacyFacade starts the facade of the 1.x API beside the server, on
// its own TLS listener, serving extra (when not nil) under /page/. It needs
// the PubNub transport (the default). Tests reach it through
// legacy.OcratestOption and legacy.OcratestFacade.
func withLegacyFacade(extra http.Handler) Option {
	return func(o *options) { o.legacy, o.legacyExtra = true, extra }
}

func init() {
	legacy.OcratestOption = func(extra http.Handler) any { return withLegacyFacade(extra) }
	legacy.OcratestFacade = func(server any) *legacy.Server {
		if s, ok := server.(*Server); ok {
			return s.legacy
		}
		return nil
	}
}

// startLegacy starts the facade; NewServer calls it after the relay.
func (s *Server) startLegacy() error {
	r, ok := s.relay.(*pubnubRelay)
	if !ok {
		return errors.New("the 1.x facade needs the PubNub transport, not WithWebSocket")
	}
	f, err := legacy.NewServer(legacy.Config{AppKey: s.opts.appKey, AppSecret: s.opts.appSecret,
		Backend: legacyBackend{s}, PubNub: r.pn, Logger: s.log.With("component", "legacy")}, s.opts.legacyExtra)
	if err != nil {
		return err
	}
	s.legacy = f
	return nil
}

// legacyBackend is the server as the facade's Backend.
type legacyBackend struct{ s *Server }

// CreateInstance implements legacy.Backend: a 1.x instance is an instance
// like any other, with a transport channel besides, and no Ocra secret (it
// signs with the facade's).
func (b legacyBackend) CreateInstance(user, renew string) (legacy.Instance, error) {
	s := b.s
	if renew != "" {
		if in := s.lookupInstance(renew); in != nil && in.legacy && in.userID == user {
			return in.legacyInstance(), nil
		}
	}
	in := &instance{id: newUUID(), userID: user, legacy: true, expireAt: s.opts.now().Add(legacyInstanceTTL),
		capabilities: []string{"online", "voip", "p2p", "srtp"}, version: ocra.Version{SDK: "js/1.4.12"}}
	in.secret, in.secretText = randomKey(instanceSecretSize) // never handed out: nobody signs Ocra requests as it
	in.key, in.keyText = randomKey(16)                       // what 1.x was seen to get
	in.broadcastChannel, in.signalChannel, in.transportChannel = newChannel('B'), newChannel('S'), newChannel('T')
	s.mu.Lock()
	s.seq++
	in.seq = s.seq
	s.instances[in.id] = in
	s.channels[in.broadcastChannel] = channelOwner{instance: in.id, broadcast: true}
	s.channels[in.signalChannel] = channelOwner{instance: in.id}
	s.mu.Unlock()
	s.log.Info("1.x instance created", "instance", in.id, "user", user)
	return in.legacyInstance(), nil
}

func (in *instance) legacyInstance() legacy.Instance {
	return legacy.Instance{ID: in.id, User: in.userID, Broadcast: in.broadcastChannel, Signal: in.signalChannel,
		Transport: in.transportChannel, Key: in.key}
}

// PlaceCall implements legacy.Backend: a call from a 1.x client to a user,
// routed as POST /calls routes an SDK client's (the Invites go to every
// live instance of the callee, 1.x or not).
func (b legacyBackend) PlaceCall(from legacy.Instance, lc legacy.Call) (legacy.Route, error) {
	s := b.s
	caller := s.lookupInstance(from.ID)
	if caller == nil || lc.Domain != "data" || lc.DestinationType != "username" {
		return legacy.Route{}, legacy.ErrUserNotFound
	}
	callees := s.liveInstancesOf(lc.Callee, caller.id)
	if len(callees) == 0 {
		return legacy.Route{}, legacy.ErrUserNotFound
	}
	var headers map[string]string
	if lc.HeadersJSON != "" {
		var h map[string]any
		if json.Unmarshal([]byte(lc.HeadersJSON), &h) == nil {
			headers = map[string]string{}
			for k, v := range h {
				if t, ok := v.(string); ok {
					headers[k] = t
				}
			}
		}
	}
	key, keyText := randomKey(s.opts.sessionKeyBytes())
	c := &call{caller: caller.id, key: key, channel: newChannel('C'),
		event: callEvent{callID: lc.ID, user: caller.userID, dest: ocra.Destination{Type: ocra.DestUserID, Identity: lc.Callee},
			headers: headers, origination: domainApp}}
	from1x := party{user: caller.userID, instance: caller.id, sub: lc.SubInstanceID, channel: caller.signalChannel}
	req := &ocra.CreateCallRequest{CallID: lc.ID, SDP: ocra.SessionDescription{Type: "offer", SDP: lc.Offer.SDP},
		PublicCallHeaders: headers, Video: lc.Video}
	invites := make([][]string, len(callees))
	for i := range callees {
		frames, err := invite(from1x, &callees[i], req, keyText)
		if err != nil {
			return legacy.Route{}, err
		}
		invites[i] = frames
		c.callees = append(c.callees, callees[i].id)
	}
	callID := lc.ID
	c.stopListen = s.relay.listen(c.channel, func(m string) { s.forwardVirtual(callID, m) })
	if !s.addCall(lc.ID, c) {
		c.stopListen()
		return legacy.Route{}, errors.New("the call id is already in use")
	}
	route := legacy.Route{SignalChannel: c.channel, Key: key}
	for i, frames := range invites {
		s.publishAll(callees[i].broadcastChannel, frames)
		route.Instances = append(route.Instances, legacy.RouteInstance{ID: callees[i].id, Capabilities: callees[i].capabilities})
	}
	s.log.Info("1.x call routed", "call", lc.ID, "caller", caller.id, "to", lc.Callee)
	return route, nil
}

// CallReport implements legacy.Backend: logged; a 1.x report is not the
// CallReport of Reports.
func (b legacyBackend) CallReport(from legacy.Instance, callID string, report json.RawMessage) {
	var r struct {
		Result   int     `json:"result"`
		Duration float64 `json:"duration"`
	}
	_ = json.Unmarshal(report, &r)
	b.s.log.Info("1.x call report", "call", callID, "instance", from.ID, "result", r.Result, "duration", r.Duration)
}

// legacyInvite is the Invite of a call for a 1.x callee device: 1.x needs
// bd present (""), which the SDK's Invite leaves out (docs/sinch-rtc-1x.md
// section 10, difference 3).
func legacyInvite(caller party, callee *instance, req *ocra.CreateCallRequest, sessionKey string) ([]string, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil {
		return nil, err
	}
	var headers string
	if len(req.PublicCallHeaders) > 0 {
		h, err := json.Marshal(req.PublicCallHeaders)
		if err != nil {
			return nil, err
		}
		headers = string(h)
	}
	sub := caller.sub
	if sub == "" {
		sub = mxp.DefaultSubInstance
	}
	inv := legacy.Invite{CallID: req.CallID, CallerUser: caller.user, CallerFromID: mxp.FI(caller.instance, sub),
		CallerDevice: caller.instance, CallerSignal: caller.channel, Key: key,
		Offer:       legacy.SessionDescription{Type: "offer", SDP: req.SDP.SDP},
		HeadersJSON: headers}
	return inv.Frames(callee.key)
}

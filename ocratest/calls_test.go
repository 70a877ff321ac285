package ocratest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/mxp"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// decodeInvite decodes a one-part MXP frame received on a broadcast channel.
func decodeInvite(t *testing.T, m message, instanceKey string) (mxp.Frame, *mxp.Message) {
	t.Helper()
	f, err := mxp.ParseFrame(m.text)
	if err != nil {
		t.Fatalf("ParseFrame: %v", err)
	}
	if f.Total != 1 {
		t.Fatalf("invite has %d parts, want 1", f.Total)
	}
	key, err := ocra.DecodeSecret(instanceKey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mxp.DecodeMessage(key, f.Data)
	if err != nil {
		t.Fatalf("DecodeMessage with the instance key: %v", err)
	}
	return f, msg
}

func offer(callID, callee string) ocra.CreateCallRequest {
	return ocra.CreateCallRequest{
		CallID:            callID,
		Destination:       ocra.Destination{Domain: "mxp", Type: ocra.DestUserID, Identity: callee},
		SDP:               ocra.SessionDescription{Type: "offer", SDP: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"},
		Video:             true,
		PublicCallHeaders: map[string]string{"topic": "lunch"},
		DisplayName:       "Alice A.",
	}
}

func TestCallReachesEveryCalleeInstance(t *testing.T) {
	forEachTransport(t, testCallReachesEveryCalleeInstance)
}

func testCallReachesEveryCalleeInstance(t *testing.T, opts ...ocratest.Option) {
	s := newServer(t, opts...)
	c := newClient(t, s)
	ctx := context.Background()
	alice, aliceReg := register(t, s, c, "alice")
	bob1, reg1 := register(t, s, c, "bob")
	bob2, reg2 := register(t, s, c, "bob")
	aliceConn, aliceRx := realtime(t, s, c, alice)
	_, rx1 := realtime(t, s, c, bob1)
	_, rx2 := realtime(t, s, c, bob2)
	for _, info := range s.Instances("bob") {
		if !info.Online {
			t.Errorf("bob's instance %s is not online after subscribing", info.ID)
		}
	}

	req := offer("call-1", "bob")
	resp, err := c.CreateCall(ctx, alice, req)
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}
	if resp.CallID != "call-1" || resp.MXPSignalChannel == "" || strings.Contains(resp.MXPSignalChannel, "call-1") ||
		resp.PublicCallHeaders["topic"] != "lunch" {
		t.Errorf("CreateCall = %+v, want an opaque mxpSignalChannel", resp)
	}
	if len(resp.Instances) != 2 || resp.Instances[0].ID != bob1.InstanceID || resp.Instances[1].ID != bob2.InstanceID {
		t.Errorf("instances = %+v, want both of bob's", resp.Instances)
	}
	if key, err := ocra.DecodeSecret(resp.MXPEncryptionKey); err != nil || len(key) != 32 {
		t.Errorf("session key decodes to %d bytes (%v), want 32", len(key), err)
	}

	wantSDP, _ := json.Marshal(req.SDP)
	for _, callee := range []struct {
		cr  ocra.Credentials
		reg *ocra.CreateInstanceResponse
		rx  <-chan message
	}{{bob1, reg1, rx1}, {bob2, reg2, rx2}} {
		m := receive(t, callee.rx)
		if want := callee.reg.Config.RTCProfile.BroadcastChannel; m.channel != want {
			t.Errorf("invite on %q, want the callee's broadcast channel %s", m.channel, want)
		}
		f, inv := decodeInvite(t, m, callee.reg.Config.RTCProfile.Key)
		want := mxp.Message{
			Method: mxp.Invite, BodyType: mxp.BodyMedia, Version: mxp.ProtocolVersion,
			FromUser: "alice", FromID: alice.InstanceID + ":0", FromInstance: alice.InstanceID,
			FromSignalChannel: aliceReg.Config.RTCProfile.SignalChannel,
		}
		nvps := inv.NVPs
		inv.NVPs = nil
		if f.SessionID != "call-1" || !reflect.DeepEqual(*inv, want) {
			t.Errorf("invite = session %q %+v, want call-1 %+v", f.SessionID, *inv, want)
		}
		if nvps[mxp.NVPKey] != resp.MXPEncryptionKey || nvps[mxp.NVPSDP] != string(wantSDP) ||
			nvps[mxp.NVPHeaders] != `{"topic":"lunch"}` || nvps[mxp.NVPVideo] != "true" ||
			nvps[mxp.NVPDisplayName] != "Alice A." || nvps[mxp.NVPTo] != callee.cr.InstanceID {
			t.Errorf("invite nvps = %v", nvps)
		}
	}

	// What the caller publishes to the call's channel reaches every callee
	// instance's signal channel, and not the caller's.
	if err := aliceConn.Publish(ctx, resp.MXPSignalChannel, "10 call-1 - 0 1 Y2FuY2Vs"); err != nil {
		t.Fatalf("Publish to the call's channel: %v", err)
	}
	for i, rx := range []<-chan message{rx1, rx2} {
		reg := []*ocra.CreateInstanceResponse{reg1, reg2}[i]
		if m := receive(t, rx); m.channel != reg.Config.RTCProfile.SignalChannel || m.text != "10 call-1 - 0 1 Y2FuY2Vs" {
			t.Errorf("bob's instance %d got %+v, want the cancel on its signal channel", i+1, m)
		}
	}
	if err := aliceConn.Ping(ctx); err != nil { // alice's own messages would have arrived before the pong
		t.Fatal(err)
	}
	select {
	case m := <-aliceRx:
		t.Errorf("the caller received %+v", m)
	default:
	}
}

func TestCallToUserWithoutInstance(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	for _, callee := range []string{"carol", "alice"} { // alice's only instance is the caller's
		_, err := c.CreateCall(context.Background(), alice, offer("call-to-"+callee, callee))
		wantAPIError(t, err, ocra.CodeNotFound, "destination user not found")
	}
}

func TestCallValidation(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	register(t, s, c, "bob")
	if _, err := c.CreateCall(context.Background(), alice, offer("taken", "bob")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*ocra.CreateCallRequest)
		msg    string
	}{
		{"empty call id", func(r *ocra.CreateCallRequest) { r.CallID = "" }, "callId"},
		{"call id too long", func(r *ocra.CreateCallRequest) { r.CallID = strings.Repeat("a", 129) }, "callId"},
		{"call id with a space", func(r *ocra.CreateCallRequest) { r.CallID = "a b" }, "callId"},
		{"call id in use", func(r *ocra.CreateCallRequest) { r.CallID = "taken" }, "already in use"},
		{"answer instead of offer", func(r *ocra.CreateCallRequest) { r.SDP.Type = "answer" }, "sdp must be an offer"},
		{"no destination", func(r *ocra.CreateCallRequest) { r.Destination.Identity = "" }, "destination.identity"},
		{"unknown destination type", func(r *ocra.CreateCallRequest) { r.Destination.Type = "fax" }, `"fax"`},
		{"phone without cli", func(r *ocra.CreateCallRequest) {
			r.Destination = ocra.Destination{Domain: "pstn", Type: ocra.DestPhoneNumber, Identity: "+4612345"}
		}, "cli is required"},
		{"phone number not in E164 form", func(r *ocra.CreateCallRequest) {
			r.Destination = ocra.Destination{Domain: "pstn", Type: ocra.DestPhoneNumber, Identity: "4612345"}
			r.CLI = "+4670000"
		}, `"4612345" is not an E.164 number`},
		{"conference id too long", func(r *ocra.CreateCallRequest) {
			r.Destination = ocra.Destination{Domain: "conference", Type: ocra.DestConference, Identity: strings.Repeat("x", 65)}
		}, "at most 64 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := offer("call-"+strings.ReplaceAll(tt.name, " ", "-"), "bob")
			tt.modify(&req)
			_, err := c.CreateCall(context.Background(), alice, req)
			wantAPIError(t, err, ocra.CodeValidation, tt.msg)
		})
	}
}

// report is a call report of instance cr of user, as the SDK sends it.
func report(callID string, cr ocra.Credentials, user, direction string) ocra.CallReport {
	return ocra.CallReport{
		ReportID:  "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		CallID:    callID,
		Instance:  ocra.ReportInstance{ID: cr.InstanceID, DeviceID: "device-of-" + user, Version: ocra.Version{OS: "linux", Platform: "go", SDK: "test"}},
		UserID:    user,
		Direction: direction,
		StartTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		EndTime:   time.Date(2025, 1, 2, 3, 4, 20, 0, time.UTC),
		Duration:  12.5,
		Result:    "HungUp",
	}
}

// asReported is r as Server.Reports returns it.
func asReported(r ocra.CallReport) ocratest.CallReport {
	return ocratest.CallReport{
		ReportID: r.ReportID, CallID: r.CallID, UserID: r.UserID, Direction: r.Direction,
		Instance: ocratest.ReportInstance{ID: r.Instance.ID, DeviceID: r.Instance.DeviceID,
			Version: ocratest.ClientVersion{OS: r.Instance.Version.OS, Platform: r.Instance.Version.Platform, SDK: r.Instance.Version.SDK}},
		StartTime: r.StartTime, EndTime: r.EndTime, Duration: time.Duration(r.Duration * float64(time.Second)), Result: r.Result,
	}
}

// TestReports: the server keeps the reports of a call's own instances, its
// caller and the callees it was routed to, and refuses everyone else's as
// if the call did not exist.
func TestReports(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	ctx := context.Background()
	alice, _ := register(t, s, c, "alice")
	bob, _ := register(t, s, c, "bob")
	mallory, _ := register(t, s, c, "mallory")
	if _, err := c.CreateCall(ctx, alice, offer("call-1", "bob")); err != nil {
		t.Fatal(err)
	}

	want := []ocra.CallReport{report("call-1", alice, "alice", "outbound"), report("call-1", bob, "bob", "inbound")}
	if err := c.ReportCall(ctx, alice, want[0]); err != nil {
		t.Fatalf("the caller's report: %v", err)
	}
	if err := c.ReportCall(ctx, bob, want[1]); err != nil {
		t.Fatalf("the callee's report: %v", err)
	}

	forged := report("call-1", mallory, "mallory", "outbound")
	wantAPIError(t, c.ReportCall(ctx, mallory, forged), ocra.CodeNotFound, "call call-1 not found")
	wantAPIError(t, c.ReportCall(ctx, alice, report("no-such-call", alice, "alice", "outbound")), ocra.CodeNotFound, "not found")
	posing := report("call-1", alice, "alice", "outbound") // signed by mallory, naming alice
	wantAPIError(t, c.ReportCall(ctx, mallory, posing), ocra.CodeValidation, "instance.id of the report")
	otherUser := report("call-1", bob, "alice", "inbound")
	wantAPIError(t, c.ReportCall(ctx, bob, otherUser), ocra.CodeValidation, "userId of the report")

	wantPublic := []ocratest.CallReport{asReported(want[0]), asReported(want[1])}
	if got := s.Reports(); !reflect.DeepEqual(got, wantPublic) {
		t.Errorf("Reports() = %+v, want %+v", got, wantPublic)
	}
}

func TestDisconnectOverWebSocket(t *testing.T) {
	s := newServer(t, ocratest.WithWebSocket())
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	bob, _ := register(t, s, c, "bob")
	aliceConn, _ := realtime(t, s, c, alice)
	bobConn, _ := realtime(t, s, c, bob)

	s.Disconnect("bob")
	waitDone(t, bobConn.Done())
	if err := aliceConn.Ping(context.Background()); err != nil {
		t.Errorf("alice's connection after Disconnect(bob): %v", err)
	}
	if infos := s.Instances("bob"); len(infos) != 1 || infos[0].Online {
		t.Errorf("Instances(bob) = %+v, want one registered, offline instance", infos)
	}

	s.DisconnectAll()
	waitDone(t, aliceConn.Done())
}

// Over PubNub, Disconnect drops the held polls: the client polls again
// from the same cursor, and what was published meanwhile arrives.
func TestDisconnectOverPubNub(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s)
	alice, aliceReg := register(t, s, c, "alice")
	bob, bobReg := register(t, s, c, "bob")
	aliceConn, _ := realtime(t, s, c, alice)
	bobConn, bobRx := realtime(t, s, c, bob)
	ctx := context.Background()
	bobSignal := bobReg.Config.RTCProfile.SignalChannel

	for i := range 20 {
		s.Disconnect("bob")
		if err := aliceConn.Publish(ctx, bobSignal, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.DisconnectAll()
	for i := range 20 {
		if m := receive(t, bobRx); m.channel != bobSignal || m.text != fmt.Sprint(i) {
			t.Fatalf("message %d: got %+v", i, m)
		}
	}
	if bobConn.Err() != nil || aliceConn.Err() != nil {
		t.Errorf("a dropped poll ended a connection: %v, %v", bobConn.Err(), aliceConn.Err())
	}
	if err := bobConn.Ping(ctx); err != nil {
		t.Error(err)
	}
	if s.Instances("alice")[0].ID != alice.InstanceID || aliceReg.Config.RTCProfile.SignalChannel == bobSignal {
		t.Error("the instances' channels are their own")
	}
}

func TestDeleteInstanceDropsItsConnection(t *testing.T) {
	forEachTransport(t, testDeleteInstanceDropsItsConnection)
}

func testDeleteInstanceDropsItsConnection(t *testing.T, opts ...ocratest.Option) {
	s := newServer(t, opts...)
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	conn, _ := realtime(t, s, c, alice)
	if err := c.DeleteInstance(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	waitDone(t, conn.Done())
}

func waitDone(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open")
	}
}

// TestKeySizes: the server can hand out 16- and 24-byte MXP keys (Sinch's
// real instance keys are 16 bytes), and refuses sizes AES does not have.
func TestKeySizes(t *testing.T) {
	s := newServer(t, ocratest.WithInstanceKeySize(16), ocratest.WithSessionKeySize(24))
	c := newClient(t, s)
	alice, _ := register(t, s, c, "alice")
	bob, reg := register(t, s, c, "bob")
	_, rx := realtime(t, s, c, bob)
	if key, err := ocra.DecodeSecret(reg.Config.RTCProfile.Key); err != nil || len(key) != 16 {
		t.Fatalf("instance key of %d bytes (%v), want 16", len(key), err)
	}
	resp, err := c.CreateCall(context.Background(), alice, offer("call-keys", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	if key, err := ocra.DecodeSecret(resp.MXPEncryptionKey); err != nil || len(key) != 24 {
		t.Errorf("session key of %d bytes (%v), want 24", len(key), err)
	}
	_, inv := decodeInvite(t, receive(t, rx), reg.Config.RTCProfile.Key)
	if inv.NVPs[mxp.NVPKey] != resp.MXPEncryptionKey {
		t.Errorf("the Invite carries key %q, want the call's", inv.NVPs[mxp.NVPKey])
	}

	for _, opt := range []ocratest.Option{ocratest.WithInstanceKeySize(20), ocratest.WithSessionKeySize(64)} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not 16, 24 or 32 bytes") {
					t.Errorf("NewServer with a bad key size: panic %v", r)
				}
			}()
			ocratest.NewServer(opt).Close()
		}()
	}
}

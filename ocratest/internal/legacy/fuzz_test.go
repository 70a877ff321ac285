package legacy

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerifyTicket: any ticket is refused or names a user; only a ticket
// signed with the application secret is accepted.
func FuzzVerifyTicket(f *testing.F) {
	secret := testSecret(f)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.Add(Ticket(testAppKey, secret, "alice", now))
	f.Add(Ticket(testAppKey, []byte("other"), "alice", now))
	f.Add("eyJ9:sig")
	f.Add(":")
	f.Add("e30=:" + ticketSignature(secret, []byte("{}")))
	f.Fuzz(func(t *testing.T, ticket string) {
		user, err := verifyTicket(ticket, testAppKey, secret, now)
		if err != nil {
			return
		}
		if user == "" {
			t.Fatalf("%q accepted without a user", ticket)
		}
		if _, sig, _ := strings.Cut(ticket, ":"); sig == "" {
			t.Fatalf("%q accepted without a signature", ticket)
		}
	})
}

// FuzzDecodeCall: any place-call body decodes to a usable call or is
// refused; a call id is always a valid MXP session id.
func FuzzDecodeCall(f *testing.F) {
	f.Add([]byte(`{"cli":"","destination":{"type":"username","endpoint":"bob"},"callId":"0b8e7c62-3a51-4a8e-9f0e-6f6a1d3f2c11","mediaChannels":["audio"],"subinstanceId":2197748293,"headers":{"p2p":"yes","ph":"{\"a\":\"b\"}"},"domain":"data","sdp":{"sdp":"v=0","type":"offer"}}`))
	f.Add([]byte(`{"callId":"a b","subinstanceId":1}`))
	f.Add([]byte(`{"callId":"x","subinstanceId":-1,"destination":{"endpoint":"b"},"sdp":{"type":"offer","sdp":"v"}}`))
	f.Add([]byte(`{"callId":"x","subinstanceId":1.5e3,"destination":{"endpoint":"b"},"sdp":{"type":"offer","sdp":"v"},"headers":{"ph":"[1]"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeCall("data", body)
		if err != nil {
			return
		}
		if c.ID == "" || len(c.ID) > maxCallIDLen || strings.ContainsAny(c.ID, " \n") || c.Callee == "" || c.Offer.SDP == "" {
			t.Fatalf("%s decoded to an unusable call %+v", body, c)
		}
		if _, err := (Invite{CallID: c.ID, CallerFromID: "i:" + c.SubInstanceID, CallerSignal: "s", Key: make([]byte, 16), Offer: c.Offer, HeadersJSON: c.HeadersJSON}).Frames(make([]byte, 16)); err != nil {
			t.Fatalf("%s: no Invite: %v", body, err)
		}
	})
}

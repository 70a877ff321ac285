package ocratest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sinch-rtc-go/sinch/internal/ocra"
)

// FuzzRequestBodies sends arbitrary bodies, signed by a registered instance,
// to the endpoints that decode JSON. Whatever the body, the answer is a
// success or an error with Ocra's error body, never a server error.
func FuzzRequestBodies(f *testing.F) {
	f.Add(uint8(0), []byte(`{"callId":"c1","destination":{"type":"userId","identity":"bob"},"sdp":{"type":"offer","sdp":"v=0"},"publicCallHeaders":{"a":"b"}}`))
	f.Add(uint8(0), []byte(`{"callId":"c2","destination":{"type":"phonenumber","identity":"+4612345"},"sdp":{"type":"offer","sdp":"v=0"}}`))
	f.Add(uint8(1), []byte(`{"callId":"c1","direction":"outgoing","startTime":"2025-01-02T03:04:05Z","duration":1.5,"result":"HUNG_UP"}`))
	f.Add(uint8(2), []byte(`{"userId":"alice","deviceId":"d","capabilities":["audio"],"expireAt":"2099-01-01T00:00:00Z"}`))
	f.Add(uint8(0), []byte(`{"callId":null}`))
	f.Add(uint8(2), []byte(`[]`))

	s := NewServer()
	defer s.Close()
	alice := s.addInstance(&ocra.CreateInstanceRequest{UserID: "alice"}, time.Now().Add(time.Hour))
	s.addInstance(&ocra.CreateInstanceRequest{UserID: "bob"}, time.Now().Add(time.Hour))

	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		var r *http.Request
		switch endpoint % 3 {
		case 0:
			r = httptest.NewRequest(http.MethodPost, ocra.BasePath+"/calls", bytes.NewReader(body))
		case 1:
			r = httptest.NewRequest(http.MethodPost, ocra.BasePath+"/calls/c1/reports", bytes.NewReader(body))
		default:
			r = httptest.NewRequest(http.MethodPost, ocra.BasePath+"/instances", bytes.NewReader(body))
		}
		r.Header.Set("Content-Type", ocra.ContentTypeJSON)
		if endpoint%3 == 2 {
			r.Header.Set("Authorization", "Bearer "+s.Token("alice"))
		} else {
			ocra.SignRequest(r, body, ocra.SchemeInstance, alice.id, alice.secret, time.Now())
		}
		w := httptest.NewRecorder()
		s.serveHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("HTTP %d for body %q: %s", w.Code, body, w.Body)
		}
		if w.Code >= 400 {
			var e ocra.APIError
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code < 40000 || e.Message == "" {
				t.Fatalf("HTTP %d with body %q, want Ocra's error JSON", w.Code, w.Body)
			}
		}
	})
}

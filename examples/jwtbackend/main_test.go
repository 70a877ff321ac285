package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch/auth"
	"github.com/sinch-rtc-go/sinch/internal/ocra"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// get serves GET target with h and decodes the JSON answer.
func get(t *testing.T, h http.Handler, target string) (int, map[string]string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: body %q is not JSON: %v", target, w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return w.Code, body
}

func TestTokenRegistersWithOcra(t *testing.T) {
	s := ocratest.NewServer()
	defer s.Close()
	h := newHandler(s.ApplicationKey(), s.ApplicationSecret())

	status, body := get(t, h, "/token?user=alice")
	if status != http.StatusOK || body["token"] == "" {
		t.Fatalf("GET /token = %d %v, want 200 with a token", status, body)
	}
	claims, err := auth.VerifyRegistrationToken(body["token"], s.ApplicationKey(), s.ApplicationSecret(), time.Now())
	if err != nil || claims.UserID != "alice" {
		t.Fatalf("VerifyRegistrationToken = %+v, %v; want alice's claims", claims, err)
	}

	c, err := ocra.NewClient(s.URL(), s.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateInstance(context.Background(), body["token"], ocra.CreateInstanceRequest{UserID: "alice"}); err != nil {
		t.Fatalf("POST /instances with the token: %v", err)
	}
}

func TestBadRequests(t *testing.T) {
	h := newHandler("app", "ax8hTTQJF0OPXL32r1LHMA==")
	for _, target := range []string{"/token", "/token?user=", "/token?user=" + strings.Repeat("u", 256)} {
		if status, body := get(t, h, target); status != http.StatusBadRequest || body["error"] == "" {
			t.Errorf("GET %s = %d %v, want 400 with an error", target, status, body)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/token?user=alice", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /token = %d, want 405", w.Code)
	}
}

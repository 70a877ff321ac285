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

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/auth"
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

}

// TestClientRegistersWithBackendToken is the whole flow Sinch prescribes: the
// SDK asks for credentials, the app fetches a token from its backend over
// HTTP, and the client registers with it.
func TestClientRegistersWithBackendToken(t *testing.T) {
	s := ocratest.NewServer()
	defer s.Close()
	backend := httptest.NewServer(newHandler(s.ApplicationKey(), s.ApplicationSecret()))
	defer backend.Close()

	client, err := sinch.GetSinchClientBuilder().ApplicationKey(s.ApplicationKey()).
		EnvironmentHost(s.URL()).UserID("alice").Build()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Terminate()
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			go func() { // never block the callback goroutine on the network
				token, err := fetchToken(backend.URL, "alice")
				if err != nil {
					t.Error(err)
					reg.RegisterFailed()
					return
				}
				reg.Register(token)
			}()
		},
	})
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.WaitStarted(ctx); err != nil {
		t.Fatalf("client did not start with the backend's token: %v", err)
	}
	if n := len(s.Instances("alice")); n != 1 {
		t.Fatalf("alice has %d instances, want 1", n)
	}
}

func fetchToken(backendURL, user string) (string, error) {
	resp, err := http.Get(backendURL + "/token?user=" + user)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	return body.Token, nil
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

package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sinch-rtc-go/sinch/ocratest/internal/web"
)

func TestServe(t *testing.T) {
	tests := []struct {
		name, contentType, contains string
		status                      int
	}{
		{"index.html", "text/html; charset=utf-8", `<script src="client.js">`, http.StatusOK},
		{"client.js", "text/javascript; charset=utf-8", "const sinchPage", http.StatusOK},
		{"md5.js", "text/javascript; charset=utf-8", "function md5", http.StatusOK},
		{"web.go", "", "", http.StatusNotFound},
		{"secret", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		web.Serve(w, httptest.NewRequest(http.MethodGet, "/", nil), tt.name)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.status)
			continue
		}
		if tt.status != http.StatusOK {
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tt.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tt.name, got, tt.contentType)
		}
		if !strings.Contains(w.Body.String(), tt.contains) {
			t.Errorf("%s: body lacks %q", tt.name, tt.contains)
		}
	}
}

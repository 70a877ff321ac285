// Command jwtbackend is the smallest backend an app needs for Sinch In-app
// Calling: it hands out registration tokens, signed with the application
// secret, which never leaves the server.
//
//	SINCH_APPLICATION_KEY=... SINCH_APPLICATION_SECRET=... go run ./examples/jwtbackend
//	curl 'http://127.0.0.1:8080/token?user=alice'
//
// A real backend serves tokens only to its authenticated users, and only for
// the user who asks; this example trusts the query.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/sinch-rtc-go/sinch/auth"
)

// maxUserIDLen bounds the user ids the handler signs tokens for.
const maxUserIDLen = 255

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	appKey, appSecret := os.Getenv("SINCH_APPLICATION_KEY"), os.Getenv("SINCH_APPLICATION_SECRET")
	if appKey == "" || appSecret == "" {
		log.Fatal("jwtbackend: set SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET")
	}
	if _, err := auth.SigningKey(appSecret, time.Now()); err != nil {
		log.Fatalf("jwtbackend: SINCH_APPLICATION_SECRET: %v", err)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           newHandler(appKey, appSecret),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("jwtbackend: serving tokens on http://%s/token?user=<id>", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newHandler serves GET /token?user=<id> with {"token": "..."}, a fresh
// registration token of that user for the application appKey.
func newHandler(appKey, appSecret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" || len(user) > maxUserIDLen {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "query parameter user must be a user id of 1 to 255 bytes"})
			return
		}
		token, err := auth.NewRegistrationToken(appKey, appSecret, user)
		if err != nil {
			log.Printf("jwtbackend: token of %q: %v", user, err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot sign a token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": token})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a map of strings always encodes
}

// Package web is the browser client page that ocratest serves under
// /ocra/v1/ocratest/web/ (index.html): a test fixture, in plain JavaScript,
// that registers with the fake server, speaks MXP and makes and answers
// calls with the browser's WebRTC stack, so that tests can prove the Go SDK
// interoperates with a real browser. docs/browser.md describes it.
package web

import (
	"embed"
	"mime"
	"net/http"
	"path"
)

//go:embed index.html client.js md5.js
var files embed.FS

// Serve answers a GET of the page's file name (such as "index.html"), or
// 404 for a name the page does not have. It has the signature of an ocratest
// route handler.
func Serve(w http.ResponseWriter, r *http.Request, name string) {
	data, err := files.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data) // a client that went away is no concern of the server
}

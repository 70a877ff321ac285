package pubnub

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServeHTTP: any request path (with "{sub}" and "{pub}" standing for
// the server's keys) is answered, without a panic, by a JSON reply of a
// bounded size.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []string{
		"/time/0",
		"/subscribe/{sub}/a%2Cb/0/0",
		"/subscribe/{sub}/chB,chT/0/17961639316334274",
		"/v2/subscribe/{sub}/a,b/0?tt=0",
		"/publish/{pub}/{sub}/0/chS/0/%2210%20call%20-%200%201%20AAAA%3D%22",
		"/v2/presence/sub_key/{sub}/channel/chS/leave",
		"/v2/presence/sub-key/{sub}/channel/chS/heartbeat",
		"/subscribe/{sub}/" + strings.Repeat("c,", 20) + "c/0/1",
		"/publish/{pub}/{sub}/0/a/0/%zz",
		"/subscribe/{sub}/a/0/99999999999999999999",
		"/subscribe/{sub}//0/1",
	} {
		f.Add(s)
	}
	s := New(Options{Hold: time.Millisecond})
	defer s.Close()
	k := s.Keys()
	f.Fuzz(func(t *testing.T, path string) {
		path = strings.NewReplacer("{sub}", k.SignalSubscribe, "{pub}", k.SignalPublish).Replace(path)
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, req.URL.RawQuery = path[:i], path[i+1:]
		}
		req.URL.Path = "/" + strings.TrimPrefix(path, "/")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code == 0 || w.Body.Len() > 2*MaxMessage*maxPerReply {
			t.Fatalf("%q answered %d with %d bytes", path, w.Code, w.Body.Len())
		}
	})
}

package legacy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
)

// Server is a Facade on its own TLS listener on 127.0.0.1.
type Server struct {
	*Facade
	srv *httptest.Server
}

// NewServer starts a facade on a new TLS listener on 127.0.0.1, serving
// handler for the paths the facade does not know when handler is not nil
// (a test page, say).
func NewServer(cfg Config, extra http.Handler) (*Server, error) {
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	h := http.Handler(f)
	if extra != nil {
		h = &withExtra{f: f, extra: extra}
	}
	return &Server{Facade: f, srv: httptest.NewTLSServer(h)}, nil
}

// withExtra serves extra's paths, all under /page/, beside the facade.
type withExtra struct {
	f     *Facade
	extra http.Handler
}

func (h *withExtra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= 6 && r.URL.Path[:6] == "/page/" {
		h.extra.ServeHTTP(w, r)
		return
	}
	h.f.ServeHTTP(w, r)
}

// URL is the server's base URL, https://127.0.0.1:<port>.
func (s *Server) URL() string { return s.srv.URL }

// Addr is the server's 127.0.0.1:<port>.
func (s *Server) Addr() string {
	u, _ := url.Parse(s.srv.URL)
	return u.Host
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close ends the subscribe polls and stops the server.
func (s *Server) Close() {
	s.Facade.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

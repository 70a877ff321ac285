package sinch_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// holdProxy is a TCP proxy on 127.0.0.1 in front of a test server that can
// hold what the server sends on the realtime (WebSocket) connections open
// at the time of Hold, while REST connections and new connections flow.
type holdProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[*heldPair]struct{}
}

// heldPair is one proxied connection.
type heldPair struct {
	client, server net.Conn
	realtime       bool          // its first request is the WebSocket upgrade
	flowing        chan struct{} // closed while server bytes flow
}

func newHoldProxy(t testing.TB, baseURL string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &holdProxy{ln: ln, target: strings.TrimPrefix(baseURL, "http://"), conns: make(map[*heldPair]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *holdProxy) URL() string { return "http://" + p.ln.Addr().String() }

// Hold stops the server's bytes to the realtime connections open now.
func (p *holdProxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		if c.realtime {
			c.flowing = make(chan struct{})
		}
	}
}

// Release lets every held byte go.
func (p *holdProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		select {
		case <-c.flowing:
		default:
			close(c.flowing)
		}
	}
}

func (p *holdProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.conns {
		c.client.Close()
		c.server.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.Release()
	p.wg.Wait()
}

func (p *holdProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		c := &heldPair{client: client, server: server, flowing: make(chan struct{})}
		close(c.flowing)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.upstream(c)
		go p.downstream(c)
	}
}

// upstream copies the client's bytes to the server, noting whether the
// connection is the realtime channel.
func (p *holdProxy) upstream(c *heldPair) {
	defer p.wg.Done()
	defer p.drop(c)
	buf := make([]byte, 32<<10)
	first := true
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			if first {
				p.mu.Lock()
				c.realtime = bytes.HasPrefix(buf[:n], []byte("GET /ocra/v1/pubsub"))
				p.mu.Unlock()
				first = false
			}
			if _, werr := c.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// downstream copies the server's bytes to the client, waiting while held.
func (p *holdProxy) downstream(c *heldPair) {
	defer p.wg.Done()
	defer p.drop(c)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			p.mu.Lock()
			flowing := c.flowing
			p.mu.Unlock()
			<-flowing
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *holdProxy) drop(c *heldPair) {
	c.client.Close()
	c.server.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	select {
	case <-c.flowing:
	default:
		close(c.flowing) // nothing left to hold
	}
}

// forwardProxy is an HTTP proxy on 127.0.0.1: it forwards plain HTTP
// requests (REST to an http:// server) and tunnels CONNECT requests (TLS,
// and WebSockets dialled through a proxy), counting both.
type forwardProxy struct {
	srv *httptest.Server
	url *url.URL
	wg  sync.WaitGroup

	mu        sync.Mutex
	forwarded int
	tunnels   int
	pubnub    bool // a PubNub subscribe was forwarded
	open      map[net.Conn]struct{}
}

func newForwardProxy(t testing.TB) *forwardProxy {
	t.Helper()
	p := &forwardProxy{open: make(map[net.Conn]struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.url, _ = url.Parse(p.srv.URL)
	t.Cleanup(p.Close)
	return p
}

func (p *forwardProxy) counts() (forwarded, tunnels int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded, p.tunnels
}

// sawPubNub reports whether a PubNub subscribe was forwarded.
func (p *forwardProxy) sawPubNub() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pubnub
}

func (p *forwardProxy) Close() {
	p.srv.Close()
	p.mu.Lock()
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *forwardProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	p.mu.Lock()
	p.forwarded++
	p.pubnub = p.pubnub || strings.HasPrefix(r.URL.Path, "/v2/subscribe/")
	p.mu.Unlock()
	r.RequestURI = ""
	resp, err := (&http.Transport{}).RoundTrip(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (p *forwardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	server, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		server.Close()
		return
	}
	p.mu.Lock()
	p.tunnels++
	p.open[client], p.open[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	p.wg.Add(2)
	go p.pipe(server, rw.Reader, client, server) // the reader may hold bytes read already
	go p.pipe(client, server, client, server)
}

// pipe copies src to dst, then closes both ends of the tunnel.
func (p *forwardProxy) pipe(dst io.Writer, src io.Reader, ends ...net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range ends {
		c.Close()
		delete(p.open, c)
	}
}

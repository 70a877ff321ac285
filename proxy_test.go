package sinch_test

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sinch-rtc-go/sinch/ocratest"
)

// proxy is a TCP proxy on 127.0.0.1 in front of a test server, to fault
// the network between client and server: Freeze stalls every byte (a hung
// server or a black-holed route), Cut drops every connection at once.
type proxy struct {
	ln     net.Listener
	target string
	closed chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	thawed chan struct{} // closed while bytes flow
	conns  map[net.Conn]struct{}
}

// newProxy forwards to the server at baseURL ("http://127.0.0.1:port");
// it closes at the end of the test.
func newProxy(t testing.TB, baseURL string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{
		ln:     ln,
		target: strings.TrimPrefix(baseURL, "http://"),
		closed: make(chan struct{}),
		thawed: make(chan struct{}),
		conns:  make(map[net.Conn]struct{}),
	}
	close(p.thawed)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// serverProxy puts proxies between the clients and both listeners of a
// test server: its REST host and, over PubNub, its realtime origin, which
// the configuration then names (ocratest's SetRealtimeAddr). Freeze, Thaw
// and Cut act on both, as a fault of the client's own network would.
type serverProxy struct {
	rest     *proxy
	realtime *proxy // nil with the WebSocket, which is on the REST host
}

func newServerProxy(t testing.TB, srv *ocratest.Server) *serverProxy {
	t.Helper()
	sp := &serverProxy{rest: newProxy(t, srv.URL())}
	if addr := srv.RealtimeAddr(); addr != "" {
		sp.realtime = newProxy(t, "http://"+addr)
		srv.SetRealtimeAddr(sp.realtime.ln.Addr().String())
	}
	return sp
}

func (sp *serverProxy) each(f func(p *proxy)) {
	f(sp.rest)
	if sp.realtime != nil {
		f(sp.realtime)
	}
}

// URL is the REST proxy's base URL, the client's environment host.
func (sp *serverProxy) URL() string { return sp.rest.URL() }
func (sp *serverProxy) Freeze()     { sp.each((*proxy).Freeze) }
func (sp *serverProxy) Thaw()       { sp.each((*proxy).Thaw) }
func (sp *serverProxy) Cut()        { sp.each((*proxy).Cut) }
func (sp *serverProxy) Close()      { sp.each((*proxy).Close) }

// URL is the proxy's base URL, the client's environment host.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Freeze stops forwarding: connections stay open, new ones are accepted,
// and bytes wait until Thaw.
func (p *proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
		p.thawed = make(chan struct{})
	default:
	}
}

// Thaw forwards again, the waiting bytes first.
func (p *proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
}

// Cut closes every connection, wherever its bytes are.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Close stops the proxy and waits for its goroutines.
func (p *proxy) Close() {
	select {
	case <-p.closed:
		return
	default:
	}
	close(p.closed)
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *proxy) accept() {
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
		if !p.add(client, server) {
			return
		}
		p.wg.Add(2)
		go p.pipe(server, client)
		go p.pipe(client, server)
	}
}

// add registers a connection pair unless the proxy is closing.
func (p *proxy) add(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closed:
		for _, c := range conns {
			c.Close()
		}
		return false
	default:
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies from src to dst, holding bytes while frozen, and closes both
// when either side ends.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer p.remove(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitThawed() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) waitThawed() bool {
	p.mu.Lock()
	thawed := p.thawed
	p.mu.Unlock()
	select {
	case <-thawed:
		return true
	case <-p.closed:
		return false
	}
}

func (p *proxy) remove(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

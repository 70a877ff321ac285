package call_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait of these tests.
const waitTimeout = sinchtest.WaitTimeout

// startClient builds, starts and registers a loopback client of user on
// srv (caller identifier +46700000000), terminated when the test ends.
func startClient(t testing.TB, srv *ocratest.Server, user string, opts ...sinchtest.Option) *sinch.SinchClient {
	t.Helper()
	return sinchtest.Client(t, srv, user, append([]sinchtest.Option{sinchtest.CallerIdentifier("+46700000000")}, opts...)...)
}

func ctx(t testing.TB) context.Context { return sinchtest.Context(t, waitTimeout) }

// recorder is a call listener that records the events it gets.
type recorder struct {
	mu          sync.Mutex
	events      []string
	tracks      []call.RemoteTrack
	established chan struct{}
	ended       chan struct{}
}

func newRecorder() *recorder {
	return &recorder{established: make(chan struct{}), ended: make(chan struct{})}
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) OnCallProgressing(*call.Call) { r.add("progressing") }
func (r *recorder) OnCallRinging(*call.Call)     { r.add("ringing") }
func (r *recorder) OnCallAnswered(*call.Call)    { r.add("answered") }
func (r *recorder) OnCallEstablished(*call.Call) {
	r.add("established")
	close(r.established)
}
func (r *recorder) OnCallEnded(*call.Call) {
	r.add("ended")
	close(r.ended)
}
func (r *recorder) OnRemoteTrack(_ *call.Call, t *call.RemoteTrack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tracks = append(r.tracks, *t)
}

func (r *recorder) Events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) Tracks() []call.RemoteTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tracks)
}

func (r *recorder) waitEstablished(t testing.TB) {
	t.Helper()
	wait(t, r.established, "OnCallEstablished")
}

func (r *recorder) waitEnded(t testing.TB) {
	t.Helper()
	wait(t, r.ended, "OnCallEnded")
}

func wait(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	sinchtest.Closed(t, ch, waitTimeout, what)
}

// inbound is a call a callee received, with the recorder attached in
// OnIncomingCall (so that it misses no event).
type inbound struct {
	call *call.Call
	rec  *recorder
}

// onIncoming makes client c hand each incoming call to setup (run inside
// OnIncomingCall, after the recorder is attached) and then to the channel.
func onIncoming(c *sinch.SinchClient, setup func(*call.Call)) <-chan inbound {
	ch := make(chan inbound, 64)
	c.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, cl *call.Call) {
			rec := newRecorder()
			rec.add("incoming")
			cl.AddListener(rec)
			if setup != nil {
				setup(cl)
			}
			ch <- inbound{cl, rec}
		},
	})
	return ch
}

func answer(c *call.Call) { _ = c.Answer() }

func next(t testing.TB, ch <-chan inbound) inbound {
	t.Helper()
	return sinchtest.Receive(t, ch, waitTimeout, "an incoming call")
}

// dial places a call from c to user with a recorder attached.
func dial(t testing.TB, c *sinch.SinchClient, user string, headers map[string]string) (*call.Call, *recorder) {
	t.Helper()
	cl, err := c.CallController().CallUser(user, headers)
	require.NoError(t, err)
	rec := newRecorder()
	cl.AddListener(rec)
	return cl, rec
}

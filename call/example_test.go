package call_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/internal/sinchtest"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// Placing a call and following it: an outbound call goes Progressing,
// Ringing, Answered, Established and Ended. Its first listener gets every
// event, even those before it was added.
func ExampleController_CallUser() {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice, bob, err := exampleClients(srv, "alice", "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	defer bob.Terminate()
	answerEveryCall(bob)

	out, err := alice.CallController().CallUser("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var events []string
	established, ended := make(chan struct{}), make(chan struct{})
	out.AddListener(&call.ListenerFuncs{
		OnCallProgressingFunc: func(*call.Call) { events = append(events, "progressing") },
		OnCallRingingFunc:     func(*call.Call) { events = append(events, "ringing") },
		OnCallAnsweredFunc:    func(*call.Call) { events = append(events, "answered") },
		OnCallEstablishedFunc: func(*call.Call) { events = append(events, "established"); close(established) },
		OnCallEndedFunc:       func(*call.Call) { events = append(events, "ended"); close(ended) },
	})
	<-established
	_ = out.Hangup()
	<-ended // after OnCallEnded, no callback of the call runs again
	fmt.Println(strings.Join(events, ", "))
	fmt.Println(out.Direction(), out.RemoteUserID(), out.Details().EndCause)
	// Output:
	// progressing, ringing, answered, established, ended
	// Outbound bob HungUp
}

// Receiving calls: a ControllerListener is told of each incoming call, on
// the client's callback goroutine. The app answers it, or declines it with
// Hangup (the caller's call then ends Denied). Listeners added inside
// OnIncomingCall miss no event of the call.
func ExampleControllerListenerFuncs() {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice, bob, err := exampleClients(srv, "alice", "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	defer bob.Terminate()

	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			if c.Headers()["topic"] == "spam" {
				_ = c.Hangup() // decline
				return
			}
			_ = c.Answer()
		},
	})
	for _, topic := range []string{"lunch", "spam"} {
		out, err := alice.CallController().CallUser("bob", map[string]string{"topic": topic})
		if err != nil {
			fmt.Println(err)
			return
		}
		ended := make(chan struct{})
		out.AddListener(&call.ListenerFuncs{
			OnCallEstablishedFunc: func(c *call.Call) { _ = c.Hangup() },
			OnCallEndedFunc:       func(*call.Call) { close(ended) },
		})
		<-ended
		fmt.Printf("%s: %v\n", topic, out.Details().EndCause)
	}
	// Output:
	// lunch: HungUp
	// spam: Denied
}

// dtmfCounter implements the optional DTMFListener as well as Listener.
// A method with a near-miss signature (OnCallDTMF(c, key rune)) would
// compile and never be called; the assertion below makes it a compile
// error instead.
type dtmfCounter struct {
	call.ListenerFuncs // the Listener methods, all optional
	mu                 sync.Mutex
	keys               []byte
	got                chan struct{}
	want               int
}

var _ call.DTMFListener = (*dtmfCounter)(nil)

func (d *dtmfCounter) OnCallDTMF(_ *call.Call, key byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = append(d.keys, key)
	if len(d.keys) == d.want {
		close(d.got)
	}
}

// Optional listener interfaces (DTMFListener, RemoteTrackListener,
// QualityWarningListener) are found on a Listener by a type assertion;
// assert them at compile time. Here Bob's app reads the keys Alice sends.
func ExampleDTMFListener() {
	srv := ocratest.NewServer()
	defer srv.Close()
	alice, bob, err := exampleClients(srv, "alice", "bob")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Terminate()
	defer bob.Terminate()
	keys := &dtmfCounter{got: make(chan struct{}), want: 3}
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			c.AddListener(keys)
			_ = c.Answer()
		},
	})

	out, err := alice.CallController().CallUser("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	established := make(chan struct{})
	out.AddListener(&call.ListenerFuncs{OnCallEstablishedFunc: func(*call.Call) { close(established) }})
	<-established
	if err := out.SendDTMF("12#"); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case <-keys.got:
	case <-time.After(10 * time.Second):
	}
	_ = out.Hangup()
	keys.mu.Lock()
	defer keys.mu.Unlock()
	fmt.Printf("bob got %q\n", keys.keys)
	// Output: bob got "12#"
}

// answerEveryCall makes client answer each incoming call.
func answerEveryCall(client *sinch.SinchClient) {
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) { _ = c.Answer() },
	})
}

// exampleClients starts two users' loopback clients against srv, as
// package sinch's GetSinchClientBuilder example does.
func exampleClients(srv *ocratest.Server, users ...string) (*sinch.SinchClient, *sinch.SinchClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := sinchtest.Started(ctx, srv, users[0])
	if err != nil {
		return nil, nil, err
	}
	second, err := sinchtest.Started(ctx, srv, users[1])
	if err != nil {
		first.Terminate()
		return nil, nil, err
	}
	return first, second, nil
}

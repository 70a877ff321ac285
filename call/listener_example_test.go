package call_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// keypad is a call listener of its own type that also wants the DTMF keys
// the far end sends. The optional interfaces are found by method
// signature, so a near miss (OnCallDTMF(c *call.Call, key rune)) would
// compile and never be called: these lines make it a compile error.
type keypad struct {
	keys  chan byte
	ended chan struct{}
}

var (
	_ call.Listener     = (*keypad)(nil)
	_ call.DTMFListener = (*keypad)(nil)
)

func (*keypad) OnCallProgressing(*call.Call)        {}
func (*keypad) OnCallRinging(*call.Call)            {}
func (*keypad) OnCallAnswered(*call.Call)           {}
func (*keypad) OnCallEstablished(*call.Call)        {}
func (k *keypad) OnCallEnded(*call.Call)            { close(k.ended) }
func (k *keypad) OnCallDTMF(_ *call.Call, key byte) { k.keys <- key }

// A listener type of your own: check each optional interface it means to
// implement with a var _ line, as keypad does. (call.ListenerFuncs already
// implements every one; set the fields you need.)
func Example_optionalListener() {
	srv := ocratest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := func(user string) *sinch.SinchClient {
		c, err := sinch.GetSinchClientBuilder().ApplicationKey(srv.ApplicationKey()).
			EnvironmentHost(srv.URL()).UserID(user).LoopbackOnly().Build()
		if err != nil {
			panic(err)
		}
		c.AddListener(&sinch.ClientListenerFuncs{
			OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
				reg.Register(srv.Token(user))
			},
		})
		if err := c.Start(); err != nil {
			panic(err)
		}
		if err := c.WaitStarted(ctx); err != nil {
			panic(err)
		}
		return c
	}
	alice, bob := start("alice"), start("bob")
	defer alice.Terminate()
	defer bob.Terminate()

	pad := &keypad{keys: make(chan byte, 8), ended: make(chan struct{})}
	bob.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			c.AddListener(pad)
			if err := c.Answer(); err != nil {
				fmt.Println(err)
			}
		},
	})
	established := make(chan struct{})
	out, err := alice.CallController().CallUser("bob", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	out.AddListener(&call.ListenerFuncs{OnCallEstablishedFunc: func(*call.Call) { close(established) }})
	select {
	case <-established:
	case <-ctx.Done():
		fmt.Println("not established")
		return
	}
	if err := out.SendDTMF("42"); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		select {
		case key := <-pad.keys:
			fmt.Printf("bob heard %c\n", key)
		case <-ctx.Done():
			fmt.Println("no key")
			return
		}
	}
	if err := out.Hangup(); err != nil {
		fmt.Println(err)
	}
	select {
	case <-pad.ended:
	case <-ctx.Done():
		fmt.Println("not ended")
	}
	// Output:
	// bob heard 4
	// bob heard 2
}

package ocratest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch"
	"github.com/sinch-rtc-go/sinch/call"
	"github.com/sinch-rtc-go/sinch/ocratest"
)

// A test starts a server, gives the code under test its URL as environment
// host and a registration token of the user, and closes it at the end. Here
// the token registers an instance with a plain HTTP request.
func ExampleNewServer() {
	s := ocratest.NewServer()
	defer s.Close()

	token := s.Token("alice") // what the app's backend would hand out
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/ocra/v1/instances",
		strings.NewReader(`{"userId":"alice","deviceId":"laptop"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := s.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	fmt.Println(resp.Status)
	fmt.Println(len(s.Instances("alice")), "instance of alice")
	// Output:
	// 201 Created
	// 1 instance of alice
}

// An app's test points its client at the server: the server's URL as
// environment host, its application key, and its tokens in
// OnCredentialsRequired. LoopbackOnly keeps the media on 127.0.0.1.
func ExampleServer_Token() {
	s := ocratest.NewServer()
	defer s.Close()

	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(s.ApplicationKey()).
		EnvironmentHost(s.URL()).
		UserID("alice").
		LoopbackOnly().
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Terminate()
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			reg.Register(s.Token("alice")) // a real app asks its backend
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if err := client.WaitStarted(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(s.Instances("alice")), "instance of alice")
	// Output: 1 instance of alice
}

// A phone number calls an app user, as calls from the phone network reach
// apps; the app answers and sends DTMF, which the phone records.
func ExampleServer_CallFromPhone() {
	const phone = "+46701234567"
	s := ocratest.NewServer(ocratest.WithPhoneNumber(phone, ocratest.Behaviour{Answer: ocratest.PlayTone}))
	defer s.Close()
	client, err := sinch.GetSinchClientBuilder().
		ApplicationKey(s.ApplicationKey()).
		EnvironmentHost(s.URL()).
		UserID("alice").
		LoopbackOnly().
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Terminate()
	client.AddListener(&sinch.ClientListenerFuncs{
		OnCredentialsRequiredFunc: func(_ *sinch.SinchClient, reg sinch.ClientRegistration) {
			reg.Register(s.Token("alice"))
		},
	})
	established := make(chan *call.Call, 1)
	client.CallController().AddListener(&call.ControllerListenerFuncs{
		OnIncomingCallFunc: func(_ *call.Controller, c *call.Call) {
			fmt.Println("alice gets a call from", c.RemoteUserID())
			c.AddListener(&call.ListenerFuncs{OnCallEstablishedFunc: func(c *call.Call) { established <- c }})
			_ = c.Answer()
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if err := client.WaitStarted(ctx); err != nil {
		fmt.Println(err)
		return
	}

	if err := s.CallFromPhone(ctx, phone, "alice"); err != nil {
		fmt.Println(err)
		return
	}
	c := <-established
	if err := c.SendDTMF("42"); err != nil {
		fmt.Println(err)
		return
	}
	for s.DTMF(phone) != "42" && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	_ = c.Hangup()
	fmt.Println("the phone got DTMF", s.DTMF(phone))
	// Output:
	// alice gets a call from +46701234567
	// the phone got DTMF 42
}

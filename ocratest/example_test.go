package ocratest_test

import (
	"fmt"
	"net/http"
	"strings"

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

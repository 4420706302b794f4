package demo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/portcullis/portcullis/demo"
)

// The demo app runs as a plain upstream; portcullis proxies to it and adds
// the protections. On its own it sets cookies with no flags at all.
func ExampleHandler() {
	srv := httptest.NewServer(demo.Handler(demo.Options{}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	for _, c := range resp.Cookies() {
		fmt.Printf("%s: Secure=%v HttpOnly=%v SameSite set=%v\n", c.Name, c.Secure, c.HttpOnly, c.SameSite != 0)
	}
	fmt.Println("CSP from the app:", resp.Header.Get("Content-Security-Policy") != "")
	// Output:
	// 200 OK text/html; charset=utf-8
	// csrftoken: Secure=false HttpOnly=false SameSite set=false
	// CSP from the app: false
}

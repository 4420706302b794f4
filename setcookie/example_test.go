package setcookie_test

import (
	"fmt"

	"github.com/portcullis/portcullis/setcookie"
)

func ExampleHarden() {
	p := setcookie.Policy{Secure: true, HTTPOnly: true, SameSite: "Lax", HostPath: true}

	for _, line := range []string{
		"sessionid=abc123; Path=/; Max-Age=1209600",
		"prefs=dark; Path=/; secure; samesite=strict",
		"__Host-csrf=xyz",
		"__Host-tok=1; Domain=example.com; Path=/",
		"broken\r\nX-Injected: 1",
	} {
		out, res := setcookie.Harden(line, p)
		fmt.Printf("%q\n  %v\n", out, res)
	}
	// Output:
	// "sessionid=abc123; Path=/; Max-Age=1209600; Secure; HttpOnly; SameSite=Lax"
	//   AddedSecure|AddedHTTPOnly|AddedSameSite
	// "prefs=dark; Path=/; secure; samesite=strict; HttpOnly"
	//   AddedHTTPOnly
	// "__Host-csrf=xyz; Secure; HttpOnly; SameSite=Lax; Path=/"
	//   AddedSecure|AddedHTTPOnly|AddedSameSite|AddedPath
	// "__Host-tok=1; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax"
	//   AddedSecure|AddedHTTPOnly|AddedSameSite|PrefixHostViolation
	// "broken\r\nX-Injected: 1"
	//   Malformed
}

func ExampleParse() {
	c, err := setcookie.Parse(`id="a=b"; Path=/; Max-Age=3600; SameSite=none; Secure`)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Name, c.Value, c.Quoted, c.Path, c.MaxAge, c.SameSite, c.Secure, c.HTTPOnly)

	_, err = setcookie.Parse("=; Secure")
	fmt.Println(err)
	// Output:
	// id a=b true / 3600 None true false
	// setcookie: offset 1: empty cookie-pair: no name and no value
}

func ExampleName() {
	fmt.Println(setcookie.Name(" __Secure-sid = 1; Secure"))
	// Output: __Secure-sid
}

func ExampleCheck() {
	fmt.Println(setcookie.Check("__Secure-a=1; SameSite=None"))
	// Output: PrefixSecureViolation|SameSiteNoneWithoutSecure
}

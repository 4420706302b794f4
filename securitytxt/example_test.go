package securitytxt_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/portcullis/portcullis/securitytxt"
)

func ExampleHandler() {
	f := securitytxt.File{
		Contact:            []string{"mailto:security@example.com", "https://example.com/report"},
		Policy:             []string{"https://example.com/security-policy"},
		Canonical:          []string{"https://example.com/.well-known/security.txt"},
		PreferredLanguages: []string{"en", "de"},
	}
	h, err := securitytxt.Handler(f, securitytxt.HandlerOptions{
		ExpiresIn: 180 * 24 * time.Hour, // Expires = end of today (UTC) + 180 days
		Now:       func() time.Time { return time.Date(2030, 3, 14, 9, 26, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/security.txt", h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/security.txt", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 200 text/plain; charset=utf-8
	// Canonical: https://example.com/.well-known/security.txt
	// Contact: mailto:security@example.com
	// Contact: https://example.com/report
	// Policy: https://example.com/security-policy
	// Preferred-Languages: en, de
	// Expires: 2030-09-11T00:00:00Z
}

func ExampleCheck() {
	fetched := []byte("Contact: security@example.com\r\n" +
		"Contact: https://example.com/report\r\n" +
		"Expires: 2031-06-01T00:00:00Z\r\n" +
		"Expires: 2032-01-01T00:00:00Z\r\n")
	_, problems := securitytxt.Check(fetched, securitytxt.ValidateOptions{
		URL: "http://example.com/.well-known/security.txt",
		Now: time.Date(2030, 3, 14, 0, 0, 0, 0, time.UTC),
	})
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// error not-https: file was fetched over http:, but RFC 9116 requires HTTPS
	// info unsigned: file is not signed with an OpenPGP cleartext signature (RECOMMENDED by RFC 9116)
	// line 1: error uri-invalid (Contact): "security@example.com" is not a URI; write an email address as "mailto:security@example.com"
	// line 3: warning expires-too-far (Expires): Expires 2031-06-01T00:00:00Z is more than a year ahead; RFC 9116 recommends less, to avoid staleness
	// line 4: error expires-duplicate (Expires): Expires must appear only once; already given on line 3, this one is ignored
}

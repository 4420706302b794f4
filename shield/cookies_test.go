package shield

import (
	"net/http"
	"slices"
	"testing"
)

func TestCookieHardening(t *testing.T) {
	tests := []struct {
		name  string
		opt   Cookies
		https bool
		in    []string
		want  []string
	}{
		{"session cookie over https", Cookies{}, true,
			[]string{"sessionid=abc; Path=/"},
			[]string{"sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"}},
		{"non-session cookie: no HttpOnly", Cookies{}, true,
			[]string{"csrftoken=t; Path=/"},
			[]string{"csrftoken=t; Path=/; Secure; SameSite=Lax"}},
		{"session name case-insensitive", Cookies{}, true,
			[]string{"SessionID=abc"},
			[]string{"SessionID=abc; Secure; HttpOnly; SameSite=Lax"}},
		{"already hardened, odd casing and spacing: untouched", Cookies{}, true,
			[]string{"sessionid=abc;secure ;  HTTPONLY; samesite = strict"},
			[]string{"sessionid=abc;secure ;  HTTPONLY; samesite = strict"}},
		{"SameSite=None kept", Cookies{}, true,
			[]string{"embed=1; SameSite=None"},
			[]string{"embed=1; SameSite=None; Secure"}},
		{"several cookies", Cookies{}, true,
			[]string{"a=1", "sessionid=2; HttpOnly", "b=3; Secure; SameSite=Strict"},
			[]string{"a=1; Secure; SameSite=Lax", "sessionid=2; HttpOnly; Secure; SameSite=Lax", "b=3; Secure; SameSite=Strict"}},
		{"plain http: no Secure", Cookies{}, false,
			[]string{"sessionid=abc"},
			[]string{"sessionid=abc; HttpOnly; SameSite=Lax"}},
		{"custom SameSite and names", Cookies{SameSite: http.SameSiteStrictMode, HTTPOnly: []string{"auth"}}, true,
			[]string{"auth=1", "sessionid=2"},
			[]string{"auth=1; Secure; HttpOnly; SameSite=Strict", "sessionid=2; Secure; SameSite=Strict"}},
		{"attribute-like values do not fool it", Cookies{}, true,
			[]string{"x=secure; Path=/httponly; Domain=samesite.example"},
			[]string{"x=secure; Path=/httponly; Domain=samesite.example; Secure; SameSite=Lax"}},
		{"disabled", Cookies{Disable: true}, true,
			[]string{"sessionid=abc"},
			[]string{"sessionid=abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustNew(t, Options{Hosts: []string{"example.com"}, Cookies: tt.opt, Redirect: Redirect{Disable: true}})
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, c := range tt.in {
					w.Header().Add("Set-Cookie", c)
				}
				w.Write([]byte("body"))
			})
			got := serve(s, app, req("GET", "/", "example.com", tt.https)).Header().Values("Set-Cookie")
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Set-Cookie\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCookiePrefixViolation(t *testing.T) {
	s, ev := mustNew(t, Options{Hosts: []string{"example.com"}})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "__Host-id=1; Path=/; Domain=example.com")
		w.WriteHeader(204)
	})
	serve(s, app, req("GET", "/", "example.com", true))
	if !slices.Contains(ev.kinds(), EventCookieViolation) {
		t.Fatalf("a __Host- cookie with a Domain raised no event: %v", ev.kinds())
	}
}

func TestCookieOptionsInvalid(t *testing.T) {
	for _, c := range []Cookies{{SameSite: 9}, {HTTPOnly: []string{"a=b"}}, {HTTPOnly: []string{""}}} {
		if _, err := New(Options{Cookies: c}); err == nil {
			t.Errorf("New accepted %+v", c)
		}
	}
}

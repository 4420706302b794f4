package cookies

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		https bool
		lines []string
		want  string // rule IDs in order
	}{
		{"hardened", true, []string{"sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"}, ""},
		{"django defaults", true, []string{"csrftoken=x; Path=/; SameSite=Lax", "sessionid=y; HttpOnly; Path=/; SameSite=Lax"},
			"cookie.secure-missing,cookie.secure-missing"},
		{"csrf cookie may be read by scripts", true, []string{"csrftoken=x; Path=/; Secure; SameSite=Lax"}, ""},
		{"session without HttpOnly", true, []string{"PHPSESSID=x; Secure; SameSite=Strict"}, "cookie.httponly-missing"},
		{"no SameSite", true, []string{"pref=dark; Secure"}, "cookie.samesite-missing"},
		{"bad SameSite", true, []string{"pref=dark; Secure; SameSite=Loose"}, "cookie.samesite-missing"},
		{"SameSite=None over plain", true, []string{"pref=1; SameSite=None"}, "cookie.secure-missing,cookie.samesite-none-insecure"},
		{"__Host- with Domain", true, []string{"__Host-sid=1; Secure; HttpOnly; Path=/; Domain=example.com; SameSite=Lax"}, "cookie.prefix-invalid"},
		{"__Secure- without Secure", true, []string{"__Secure-pref=1; SameSite=Lax"}, "cookie.secure-missing,cookie.prefix-invalid"},
		{"set over http", false, []string{"pref=1; SameSite=Lax"}, "cookie.secure-missing"},
		{"lines browsers ignore are ignored", true, []string{"=", "\x00bad=1", "__Host-x"}, ""},
		{"a nameless cookie browsers keep is judged", true, []string{"=novalue"}, "cookie.secure-missing,cookie.samesite-missing"},
		{"same cookie twice reported once", true, []string{"pref=1; SameSite=Lax", "pref=2; SameSite=Lax"}, "cookie.secure-missing"},
	} {
		var got []string
		for _, f := range Check("https://example.com/login", tc.https, tc.lines) {
			got = append(got, f.Rule)
			if strings.Contains(f.Evidence, "abc") || strings.Contains(f.Evidence, "=y") {
				t.Errorf("%s: evidence leaks the cookie value: %q", tc.name, f.Evidence)
			}
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, g, tc.want)
		}
	}
}

func TestSessionLike(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"sessionid": true, "PHPSESSID": true, "JSESSIONID": true, "connect.sid": true, "auth_token": true,
		"portcullis_session": true, "csrftoken": false, "XSRF-TOKEN": false, "theme": false, "_ga": false,
	} {
		if SessionLike(name) != want {
			t.Errorf("SessionLike(%q) = %v", name, !want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"sessionid=abc; Secure; HttpOnly; SameSite=Lax", "__Host-a=1; Domain=x", "a=b;;;SameSite", "\xff=\x00"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, line string, https bool) {
		for _, fd := range Check("https://example.com/", https, []string{line}) {
			if fd.Rule == "" || len(fd.Evidence) > 200+len("…") {
				t.Fatalf("bad finding %+v", fd)
			}
			// The evidence is the name and the attributes, never the value.
			pair, _, _ := strings.Cut(line, ";")
			name, _, _ := strings.Cut(pair, "=")
			if want := strings.TrimSpace(name) + "=…"; !strings.HasPrefix(fd.Evidence, want) && len(want) < 200 {
				t.Fatalf("evidence %q does not start with %q", fd.Evidence, want)
			}
		}
	})
}

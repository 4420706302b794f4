package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

type signInData struct {
	Next  string
	Error string
}

// SignInRedirect sends a browser that asked for a page without being
// signed in to the sign-in page, which brings it back after; it reports
// whether it did. Scripts (no text/html in Accept) and the API get a 401
// from the caller instead.
func SignInRedirect(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || strings.HasPrefix(r.URL.Path, APIPrefix) ||
		!strings.Contains(r.Header.Get("Accept"), "text/html") {
		return false
	}
	http.Redirect(w, r, SignInPath+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
	return true
}

// safeNext is where to go after signing in: a path of this listener,
// never another origin ("//evil.example", "/\evil.example", "https:…").
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r, d.o.Now(), "next")
	if err != nil {
		return err
	}
	next := safeNext(p.str("next"))
	if a := d.o.Auth; a == nil || a.Check(r) == "" {
		// No token to sign in with, or signed in already.
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return d.render(w, r, "signin", "Sign in", "", signInData{Next: next})
}

// signIn takes the token a browser posted and sets the session cookie.
// shield has refused a cross-origin POST already (Sec-Fetch-Site, Origin);
// the cookie is SameSite=Strict besides.
func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) error {
	a := d.o.Auth
	if a == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		return errBad("the form does not parse: %v", err)
	}
	data := signInData{Next: safeNext(r.PostForm.Get("next"))}
	if !a.allowAttempt(r) {
		d.o.Logger.Warn("admin listener: sign-in refused: too many wrong tokens", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", "60")
		data.Error = "Too many wrong tokens from your address: wait a minute."
		return d.renderStatus(w, r, http.StatusTooManyRequests, "signin", "Sign in", "", data)
	}
	if !a.isToken(r.PostForm.Get("token")) {
		a.failed(r)
		d.o.Logger.Warn("admin listener: sign-in refused: wrong token", "remote", r.RemoteAddr)
		data.Error = "That is not the admin token."
		return d.renderStatus(w, r, http.StatusUnauthorized, "signin", "Sign in", "", data)
	}
	value, exp := a.newSession()
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/",
		Expires: exp, MaxAge: int(SessionLifetime / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	d.o.Logger.Info("admin listener: signed in", "remote", r.RemoteAddr, "until", exp)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

// signOut ends the browser's session: the cookie is deleted and its ID
// refused from now on.
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && d.o.Auth != nil {
		d.o.Auth.revoke(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, SignInPath, http.StatusSeeOther)
	return nil
}

package demo

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"strconv"
	"time"
)

//go:embed templates/*.html static/*
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// staticFile is one embedded asset, served with an explicit content type
// (never guessed: portcullis sends nosniff) and a strong ETag.
type staticFile struct {
	name, contentType, etag string
	body                    []byte
}

var staticFiles = []*staticFile{
	loadStatic("app.js", "text/javascript; charset=utf-8"),
	loadStatic("app.css", "text/css; charset=utf-8"),
	loadStatic("favicon.svg", "image/svg+xml"),
}

func loadStatic(name, contentType string) *staticFile {
	b, err := files.ReadFile(path.Join("static", name))
	if err != nil {
		panic("demo: embedded file missing: " + err.Error()) // a build defect, caught by every test
	}
	sum := sha256.Sum256(b)
	return &staticFile{name: name, contentType: contentType, body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

func (f *staticFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// render executes a page template into a buffer first, so a template error
// is a clean 500 and never half a page.
func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "demo: rendering the "+name+" page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // pages carry CSRF tokens and session data
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Title   string
	Message string
}

func renderError(w http.ResponseWriter, status int, message string) {
	render(w, status, "error", errorView{Status: status, Title: http.StatusText(status), Message: message})
}

// loginView is the data of the login page.
type loginView struct {
	CSRF               string
	DemoUser, DemoPass string
	Entered            string // the username the user typed, on failure
	Error              string
}

// accountView is the data of the account page.
type accountView struct {
	CSRF    string
	User    string
	Expires string
	Req     requestView
	Headers []headerInfo
}

// headerInfo is one security response header the account page's script
// looks for in the response to its fetch.
type headerInfo struct {
	Name, Why string
}

var securityHeaders = []headerInfo{
	{"strict-transport-security", "Browsers remember to use HTTPS only for this host. portcullis never sends it for localhost or IP addresses: it would pin every local app to HTTPS for a year."},
	{"content-security-policy", "Limits where scripts, styles, frames and plugins may come from, so injected markup cannot run."},
	{"x-frame-options", "Forbids other sites to frame this page (clickjacking)."},
	{"x-content-type-options", "nosniff: the browser trusts Content-Type and never runs a text file as a script."},
	{"referrer-policy", "Limits how much of this page's URL leaks to other sites in the Referer header."},
	{"permissions-policy", "Turns off powerful browser features (camera, microphone, geolocation…) the site does not use."},
	{"cross-origin-opener-policy", "Isolates this window from cross-origin pages it opens or that open it."},
}

// csrfToken returns the browser's CSRF token, setting a new csrftoken
// cookie (deliberately with no flags) when it has none or a malformed one.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && validToken(c.Value) {
		return c.Value
	}
	return setCSRFCookie(w)
}

func setCSRFCookie(w http.ResponseWriter) string {
	t := newToken()
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: t, Path: "/"})
	return t
}

// checkCSRF enforces the double-submit check on a parsed form: the
// csrf_token field must equal the csrftoken cookie. On failure it answers
// 403 saying which part is wrong and returns false.
func checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	field := r.PostForm.Get("csrf_token")
	c, err := r.Cookie(CSRFCookie)
	var msg string
	switch {
	case err != nil || c.Value == "":
		msg = "The csrftoken cookie is missing. Load the page with the form again (it sets the cookie), then submit it."
	case !validToken(c.Value):
		msg = "The csrftoken cookie is malformed. Load the page with the form again (it replaces the cookie), then submit it."
	case field == "":
		msg = "The form has no csrf_token field."
	case subtle.ConstantTimeCompare([]byte(field), []byte(c.Value)) != 1:
		msg = "The form's csrf_token does not match the csrftoken cookie. Load the page with the form again, then submit it."
	default:
		return true
	}
	renderError(w, http.StatusForbidden, "CSRF check failed. "+msg)
	return false
}

// parseForm limits the body and parses it. On failure it answers (413 or
// 400) and returns false.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	err := r.ParseForm()
	if err == nil {
		return true
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		renderError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The form is larger than %d bytes.", mbe.Limit))
	} else {
		renderError(w, http.StatusBadRequest, "The form could not be read: "+err.Error())
	}
	return false
}

// currentSession returns the request's live session. A cookie naming an
// unknown or expired session is cleared.
func (a *app) currentSession(w http.ResponseWriter, r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	se, ok := a.sessions.get(c.Value, a.now())
	if !ok {
		clearCookie(w, SessionCookie)
	}
	return se, ok
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.currentSession(w, r); ok {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	a.renderLogin(w, http.StatusOK, csrfToken(w, r), "", "")
}

func (a *app) renderLogin(w http.ResponseWriter, status int, token, entered, msg string) {
	render(w, status, "login", loginView{CSRF: token, DemoUser: a.username, DemoPass: a.password, Entered: entered, Error: msg})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) || !checkCSRF(w, r) {
		return
	}
	token := r.PostForm.Get("csrf_token") // verified equal to the cookie
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	ip, now := clientIP(r), a.now()
	if wait, blocked := a.limiter.blocked(ip, now); blocked {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		a.renderLogin(w, http.StatusTooManyRequests, token, user,
			fmt.Sprintf("Too many failed sign-ins from %s. Try again in %d seconds.", ip, secs))
		return
	}
	if !a.credentialsOK(user, pass) {
		a.limiter.fail(ip, now)
		a.renderLogin(w, http.StatusUnauthorized, token, user, "Wrong username or password.")
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.sessions.delete(c.Value) // no session fixation: always a new id
	}
	id := a.sessions.create(a.username, now)
	// Deliberately no Secure, HttpOnly or SameSite: portcullis adds them.
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/"})
	setCSRFCookie(w) // a new token for the signed-in session, as Django rotates it
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (a *app) account(w http.ResponseWriter, r *http.Request) {
	se, ok := a.currentSession(w, r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	render(w, http.StatusOK, "account", accountView{
		CSRF:    csrfToken(w, r),
		User:    se.user,
		Expires: se.expires.UTC().Format("15:04:05 UTC"),
		Req:     viewRequest(r),
		Headers: securityHeaders,
	})
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) || !checkCSRF(w, r) {
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.sessions.delete(c.Value)
		clearCookie(w, SessionCookie)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

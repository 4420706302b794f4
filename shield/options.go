package shield

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/securitytxt"
)

// Options configures a Shield. The zero value is the secure default: every
// protection is on with the values documented on each field, and only the
// localhost names are allowed as hosts. Switch a protection off with its
// Disable field; New rejects contradictory or weakening combinations that
// browsers would silently ignore (see New).
type Options struct {
	// Hosts lists the names the application answers to: exact names
	// ("example.com"), IP literals ("127.0.0.1", "[::1]"), domain
	// patterns (".example.com" matches the domain and every subdomain)
	// or "*" for any host (flagged by the rule host.unrestricted).
	// Requests for any other host get 400 and are never redirected.
	// Default: localhost, 127.0.0.1 and ::1.
	Hosts []string

	// TrustedProxies lists the addresses (IPs or CIDR prefixes) of
	// proxies whose X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host
	// and Forwarded headers are believed. From any other peer these
	// headers are removed before the handler runs. Default: none.
	TrustedProxies []string

	// Redirect sends plain-HTTP requests to HTTPS.
	Redirect Redirect

	// HSTS sets Strict-Transport-Security on HTTPS responses.
	HSTS HSTS

	// Cookies hardens every Set-Cookie the handler writes.
	Cookies Cookies

	// Headers sets the fixed security response headers.
	Headers Headers

	// CSP sets Content-Security-Policy (and its report-only twin).
	CSP CSP

	// PermissionsPolicy sets Permissions-Policy.
	PermissionsPolicy PermissionsPolicy

	// CORS answers cross-origin resource sharing. Off unless Origins is
	// set.
	CORS CORS

	// CrossOrigin rejects cross-origin unsafe requests (CSRF) using the
	// browser's Sec-Fetch-Site and Origin headers.
	CrossOrigin CrossOrigin

	// SecurityTxt, when set, is served at /.well-known/security.txt.
	SecurityTxt *SecurityTxt

	// Requests decides which methods, upgrades and header names reach
	// the handler.
	Requests Requests

	// Responses decides what is removed from responses: headers that
	// name the software and its version.
	Responses Responses

	// OnEvent receives security events (rejected hosts, blocked
	// cross-origin requests, cookie prefix violations). Default: each
	// event is logged to Logger at Warn level.
	OnEvent func(Event)

	// Logger is used by the default OnEvent. Default: slog.Default().
	Logger *slog.Logger

	// Now is the clock used for time-dependent output (security.txt
	// Expires). Default: time.Now.
	Now func() time.Time
}

// Redirect configures the HTTP to HTTPS redirect.
type Redirect struct {
	// Disable turns the redirect off; plain-HTTP requests then reach the
	// handler (without HSTS and without the Secure cookie attribute).
	Disable bool
	// Code is the redirect status: 308 (default; keeps the method and
	// body of a POST), 301 or 307.
	Code int
	// Host, when set, is the canonical HTTPS host every redirect goes
	// to. Default: the request's own (validated) host.
	Host string
	// Port is the HTTPS port written in the Location. Default 443
	// (omitted from the URL).
	Port int
	// Exempt lists path patterns served over plain HTTP without
	// redirect: an exact path ("/healthz") or a prefix ending in "/*"
	// ("/.well-known/acme-challenge/*").
	Exempt []string
}

// HSTS configures Strict-Transport-Security. It is only ever sent on
// HTTPS responses, and never for localhost names or IP literals. A
// Strict-Transport-Security header set by the handler itself is kept.
type HSTS struct {
	// Disable turns HSTS off.
	Disable bool
	// MaxAge is how long browsers must remember to use HTTPS only.
	// Default: one year (31536000 s). Rounded down to whole seconds.
	MaxAge time.Duration
	// ExcludeSubdomains omits includeSubDomains (sent by default).
	ExcludeSubdomains bool
	// Preload adds the preload token. It requires a MaxAge of at least
	// one year and includeSubDomains (hstspreload.org's rules); New
	// refuses it otherwise.
	Preload bool
}

// Cookies configures Set-Cookie hardening.
type Cookies struct {
	// Disable leaves Set-Cookie headers untouched.
	Disable bool
	// SameSite is added to cookies that have no SameSite attribute.
	// Default (zero or http.SameSiteDefaultMode): Lax.
	SameSite http.SameSite
	// HTTPOnly lists cookie names (matched case-insensitively) that get
	// HttpOnly: session cookies, which scripts never need to read.
	// Default: DefaultSessionCookies. Set to an empty non-nil slice to
	// add HttpOnly to none.
	HTTPOnly []string
}

// DefaultSessionCookies are the session cookie names of common frameworks.
// Django's csrftoken is deliberately absent: Django's own JavaScript
// recipe reads it.
var DefaultSessionCookies = []string{
	"sessionid",          // Django
	"session",            // Flask, many others
	"_session_id",        // Rails
	"connect.sid",        // Express
	"PHPSESSID",          // PHP
	"JSESSIONID",         // Java servlets
	"ASP.NET_SessionId",  // ASP.NET
	"laravel_session",    // Laravel
	"_gorilla_csrf",      // gorilla/csrf
	"portcullis_session", // the portcullis demo app
}

// Conflict decides what happens when the wrapped handler has already set a
// header that shield manages.
type Conflict int

const (
	// KeepApp leaves the handler's header as it is (Django's behaviour:
	// the application knows best about its own pages). The default.
	KeepApp Conflict = iota
	// Override replaces the handler's header with shield's.
	Override
	// Combine sends both. Only allowed for Content-Security-Policy
	// (and its report-only twin), where a browser enforces every
	// policy it receives, so the result is at least as strict as each.
	Combine
)

// String returns the conflict policy's name.
func (c Conflict) String() string {
	switch c {
	case KeepApp:
		return "keep-app"
	case Override:
		return "override"
	case Combine:
		return "combine"
	}
	return "invalid"
}

// Header configures one fixed response header.
type Header struct {
	// Value is the header value. Empty means the documented default
	// (for the opt-in headers CORP and COEP: not sent).
	Value string
	// Disable stops shield from sending the header.
	Disable bool
	// OnConflict decides what happens when the handler set it too.
	OnConflict Conflict
}

// Headers configures the fixed security headers.
type Headers struct {
	// FrameOptions is X-Frame-Options: DENY (default) or SAMEORIGIN.
	FrameOptions Header
	// ContentTypeOptions is X-Content-Type-Options: nosniff.
	ContentTypeOptions Header
	// ReferrerPolicy is Referrer-Policy. Default: same-origin.
	ReferrerPolicy Header
	// CrossOriginOpenerPolicy is Cross-Origin-Opener-Policy. Default:
	// same-origin.
	CrossOriginOpenerPolicy Header
	// CrossOriginResourcePolicy is Cross-Origin-Resource-Policy
	// (same-origin, same-site or cross-origin). Opt-in: sent only when
	// Value is set.
	CrossOriginResourcePolicy Header
	// CrossOriginEmbedderPolicy is Cross-Origin-Embedder-Policy
	// (require-corp, credentialless). Opt-in.
	CrossOriginEmbedderPolicy Header
	// XSSProtection is X-XSS-Protection. Default "0": the legacy XSS
	// auditors of old browsers could be abused to remove legitimate
	// scripts and leak data (and current browsers no longer have
	// them), so OWASP and MDN advise turning them off and relying on
	// CSP. "1; mode=block" is accepted for checklists that ask for it.
	XSSProtection Header
}

// CSP configures Content-Security-Policy.
type CSP struct {
	// Disable stops shield from sending any CSP header.
	Disable bool
	// Policy is the enforced policy. Default (nil): a baseline that
	// breaks no ordinary page yet closes the common holes:
	// object-src 'none'; base-uri 'self'; frame-ancestors matching
	// FrameOptions ('none' for DENY, 'self' for SAMEORIGIN); with
	// Nonce on, csp.Strict() instead, so the nonce has a script-src
	// to live in. Use csp.Strict() or build one for a full script
	// policy.
	Policy *csp.Policy
	// ReportOnly is sent as Content-Security-Policy-Report-Only, next
	// to the enforced policy: the way to try a stricter policy safely.
	ReportOnly *csp.Policy
	// Nonce generates a fresh nonce for every request, adds
	// 'nonce-<value>' to NonceDirectives (a directive the policy lacks
	// is derived from the one the browser would fall back to, e.g.
	// default-src) and makes it available to handlers through
	// Nonce(r). New refuses a policy with nowhere to put it.
	Nonce bool
	// NonceDirectives are the directives that get the nonce. Default:
	// script-src and style-src.
	NonceDirectives []string
	// ReportURI, when set, adds report-uri and report-to directives to
	// both policies and a Reporting-Endpoints header naming it.
	ReportURI string
	// UpgradeInsecureRequests adds the upgrade-insecure-requests
	// directive to the enforced policy.
	UpgradeInsecureRequests bool
	// OnConflict decides what happens when the handler sends its own
	// CSP. Default KeepApp; Combine sends both policies.
	OnConflict Conflict
	// Learn sends, beside the enforced policy, a strict candidate as
	// Content-Security-Policy-Report-Only on a sample of HTML responses
	// (LearnSample), so that browsers report what a strict policy would
	// block while nothing breaks: default-src 'self'; script-src and
	// style-src 'self' 'report-sample' (with the request's nonce when
	// Nonce is on); object-src 'none'; base-uri 'self'; frame-ancestors
	// as FrameOptions says ('none' for DENY, 'self' for SAMEORIGIN, left
	// out when X-Frame-Options is off); form-action 'self'; and the
	// report-uri and report-to of ReportURI, which it needs. `portcullis
	// csp suggest` turns the reports into a policy (package cspsuggest).
	// New refuses Learn beside a ReportOnly policy of the user's: a
	// response would carry two report-only policies, each reporting.
	Learn bool
	// LearnSample is the fraction of HTML responses that get the
	// learning policy, 0 < LearnSample <= 1, drawn per response from a
	// cheap random source. Default (0): DefaultLearnSample.
	LearnSample float64
}

// DefaultLearnSample is the fraction of HTML responses that carry the
// learning policy when CSP.LearnSample is not set: enough to see every
// page of a site in a day, few enough that a busy site is not flooded
// with reports (and the collector's rate per client still applies).
const DefaultLearnSample = 0.1

// PermissionsPolicy configures the Permissions-Policy header.
type PermissionsPolicy struct {
	// Disable stops shield from sending Permissions-Policy.
	Disable bool
	// Policy is sent as is. Default (nil): permissions.Default(), which
	// denies powerful features (camera, microphone, geolocation,
	// payment, USB…) to the page and every frame.
	Policy *permissions.Policy
	// OnConflict decides what happens when the handler sends its own.
	OnConflict Conflict
}

// CORS configures cross-origin resource sharing. With no Origins, shield
// does not answer CORS at all and leaves preflight requests to the handler.
type CORS struct {
	// Origins allowed to read responses: exact origins
	// ("https://app.example.com"), subdomain patterns
	// ("https://*.example.com": any subdomain, not the domain itself)
	// or "*" (any origin, without credentials).
	Origins []string
	// Methods allowed in preflight. Default: GET, HEAD, POST.
	Methods []string
	// Headers are the request headers allowed in preflight (beyond the
	// CORS-safelisted ones), matched case-insensitively.
	Headers []string
	// ExposeHeaders lists response headers scripts may read.
	ExposeHeaders []string
	// Credentials allows cookies and HTTP authentication. Refused with
	// the "*" origin.
	Credentials bool
	// MaxAge is how long a preflight answer may be cached. Default: 10
	// minutes. Browsers cap it (Chromium at 2 hours).
	MaxAge time.Duration
}

// CrossOrigin configures protection against cross-origin unsafe requests
// (POST, PUT, PATCH, DELETE), built on net/http's CrossOriginProtection:
// a request whose Sec-Fetch-Site says cross-site, or whose Origin does not
// match its Host, gets 403. Origins allowed by CORS are trusted too.
type CrossOrigin struct {
	// Disable turns the protection off (flagged by the rule
	// csrf.cross-origin-unprotected).
	Disable bool
	// TrustedOrigins may make cross-origin unsafe requests
	// ("https://partner.example").
	TrustedOrigins []string
	// Bypass lists net/http ServeMux patterns ("POST /webhooks/") that
	// are not checked, for endpoints authenticated another way.
	Bypass []string
}

// SecurityTxt configures the RFC 9116 security.txt file.
type SecurityTxt struct {
	// File holds the fields to publish.
	File securitytxt.File
	// ExpiresIn, when set, rolls the Expires field forward: it is always
	// this far from now (rounded to the day), so the file never goes
	// stale. RFC 9116 advises less than a year; 90 days is typical.
	ExpiresIn time.Duration
}

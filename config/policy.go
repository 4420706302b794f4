package config

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/shield"
)

// Policy is the configuration's side of shield.Options: every field is
// optional, nil (or a nil list) meaning "inherit" (from Defaults, then
// shield's own default) and anything else overriding. An empty non-nil
// list overrides with nothing. Host names and trusted proxies belong to
// the Site. In Go, write a value with new: HSTS{Preload: new(true)}.
type Policy struct {
	Redirect          Redirect          // [redirect]: plain HTTP to HTTPS
	HSTS              HSTS              // [hsts]: Strict-Transport-Security
	Cookies           Cookies           // [cookies]: Set-Cookie hardening
	Headers           Headers           // [headers]: the fixed security headers
	CSP               CSP               // [csp]: Content-Security-Policy
	PermissionsPolicy PermissionsPolicy // permissions_policy: Permissions-Policy
	CORS              CORS              // [cors]: cross-origin resource sharing
	CrossOrigin       CrossOrigin       // [cross_origin]: CSRF protection
	SecurityTxt       SecurityTxt       // [security_txt]: /.well-known/security.txt
	Requests          Requests          // [requests]: methods, upgrades, header names passed on
	Responses         Responses         // [responses]: headers removed from responses
}

// Redirect is shield.Redirect (TOML [redirect]).
type Redirect struct {
	Disable *bool    // disable
	Code    *int     // code: 308 (default), 301 or 307
	Host    *string  // host: canonical HTTPS host
	Port    *int     // port: HTTPS port in the Location (default: the HTTPS listener's)
	Exempt  []string // exempt: "/exact" or "/prefix/*" paths served over plain HTTP
}

// HSTS is shield.HSTS (TOML [hsts]).
type HSTS struct {
	Disable           *bool          // disable
	MaxAge            *time.Duration // max_age: default one year
	IncludeSubdomains *bool          // include_subdomains: default true
	Preload           *bool          // preload
}

// Cookies is shield.Cookies (TOML [cookies]).
type Cookies struct {
	Disable  *bool    // disable
	SameSite *string  // samesite: "lax" (default), "strict" or "none"
	HTTPOnly []string // httponly: session cookie names (default shield.DefaultSessionCookies)
}

// Headers is shield.Headers (TOML [headers]). Each value is the header
// value, or "off" not to send the header.
type Headers struct {
	FrameOptions       *string // frame_options: DENY (default) or SAMEORIGIN
	ContentTypeOptions *string // content_type_options: nosniff
	ReferrerPolicy     *string // referrer_policy: default same-origin
	COOP               *string // coop: Cross-Origin-Opener-Policy, default same-origin
	CORP               *string // corp: Cross-Origin-Resource-Policy, not sent by default
	COEP               *string // coep: Cross-Origin-Embedder-Policy, not sent by default
	XSSProtection      *string // xss_protection: default "0"
	// OnConflict applies to all of these headers: "keep-app" (default) or
	// "override".
	OnConflict *string // on_conflict
}

// CSP is shield.CSP (TOML [csp]).
type CSP struct {
	Disable *bool // disable
	// Policy is a serialized policy, parsed with csp.Parse, or "strict"
	// for csp.Strict(). Default: shield's baseline.
	Policy *string // policy
	// ReportOnly is a policy sent as Content-Security-Policy-Report-Only
	// ("strict" allowed), or "off" for none (the default).
	ReportOnly              *string  // report_only
	Nonce                   *bool    // nonce
	NonceDirectives         []string // nonce_directives: default script-src, style-src
	ReportURI               *string  // report_uri: "" for none
	UpgradeInsecureRequests *bool    // upgrade_insecure_requests
	OnConflict              *string  // on_conflict: keep-app (default), override or combine
	// Learn sends shield's strict candidate policy report-only on a
	// sample of HTML responses, for `portcullis csp suggest`.
	Learn       *bool    // learn: default false
	LearnSample *float64 // learn_sample: 0 < f <= 1, default shield.DefaultLearnSample
}

// PermissionsPolicy is shield.PermissionsPolicy (TOML permissions_policy,
// either a string, the policy, or a table).
type PermissionsPolicy struct {
	// Policy is a Permissions-Policy header value, parsed with
	// permissions.Parse, or "off" not to send one. Default:
	// permissions.Default().
	Policy     *string // policy
	OnConflict *string // on_conflict: keep-app (default) or override
}

// CORS is shield.CORS (TOML [cors]).
type CORS struct {
	Origins       []string       // origins
	Methods       []string       // methods
	Headers       []string       // headers
	ExposeHeaders []string       // expose_headers
	Credentials   *bool          // credentials
	MaxAge        *time.Duration // max_age: default 10 minutes
}

// CrossOrigin is shield.CrossOrigin (TOML [cross_origin]).
type CrossOrigin struct {
	Disable        *bool    // disable
	TrustedOrigins []string // trusted_origins
	Bypass         []string // bypass: ServeMux patterns such as "POST /webhooks/"
}

// Requests is shield.Requests (TOML [requests]).
type Requests struct {
	Methods                []string // methods: default shield.DefaultMethods
	Upgrades               []string // upgrades: default ["websocket"]; "h2c" is refused
	AllowUnderscoreHeaders *bool    // allow_underscore_headers: default false
}

// Responses is shield.Responses (TOML [responses]).
type Responses struct {
	KeepVersionHeaders *bool // keep_version_headers: default false
}

// SecurityTxt is shield.SecurityTxt (TOML [security_txt]). security.txt is
// served when Contact is set and Disable is not.
type SecurityTxt struct {
	Disable            *bool          // disable
	Contact            []string       // contact: mailto:, tel: or https: URIs
	ExpiresIn          *time.Duration // expires_in: default 90 days
	Encryption         []string       // encryption
	Policy             []string       // policy
	Acknowledgments    []string       // acknowledgments
	PreferredLanguages []string       // preferred_languages
	Canonical          []string       // canonical
	Hiring             []string       // hiring
}

// DefaultSecurityTxtExpiresIn is how far ahead security.txt's Expires is
// kept when expires_in is not set.
const DefaultSecurityTxtExpiresIn = 90 * 24 * time.Hour

func pick[T any](base, o *T) *T {
	if o != nil {
		return o
	}
	return base
}

func pickList(base, o []string) []string {
	if o != nil {
		return o
	}
	return base
}

// merge returns p overridden by o, key by key.
func (p Policy) merge(o Policy) Policy {
	return Policy{
		Redirect: Redirect{
			Disable: pick(p.Redirect.Disable, o.Redirect.Disable),
			Code:    pick(p.Redirect.Code, o.Redirect.Code),
			Host:    pick(p.Redirect.Host, o.Redirect.Host),
			Port:    pick(p.Redirect.Port, o.Redirect.Port),
			Exempt:  pickList(p.Redirect.Exempt, o.Redirect.Exempt),
		},
		HSTS: HSTS{
			Disable:           pick(p.HSTS.Disable, o.HSTS.Disable),
			MaxAge:            pick(p.HSTS.MaxAge, o.HSTS.MaxAge),
			IncludeSubdomains: pick(p.HSTS.IncludeSubdomains, o.HSTS.IncludeSubdomains),
			Preload:           pick(p.HSTS.Preload, o.HSTS.Preload),
		},
		Cookies: Cookies{
			Disable:  pick(p.Cookies.Disable, o.Cookies.Disable),
			SameSite: pick(p.Cookies.SameSite, o.Cookies.SameSite),
			HTTPOnly: pickList(p.Cookies.HTTPOnly, o.Cookies.HTTPOnly),
		},
		Headers: Headers{
			FrameOptions:       pick(p.Headers.FrameOptions, o.Headers.FrameOptions),
			ContentTypeOptions: pick(p.Headers.ContentTypeOptions, o.Headers.ContentTypeOptions),
			ReferrerPolicy:     pick(p.Headers.ReferrerPolicy, o.Headers.ReferrerPolicy),
			COOP:               pick(p.Headers.COOP, o.Headers.COOP),
			CORP:               pick(p.Headers.CORP, o.Headers.CORP),
			COEP:               pick(p.Headers.COEP, o.Headers.COEP),
			XSSProtection:      pick(p.Headers.XSSProtection, o.Headers.XSSProtection),
			OnConflict:         pick(p.Headers.OnConflict, o.Headers.OnConflict),
		},
		CSP: CSP{
			Disable:                 pick(p.CSP.Disable, o.CSP.Disable),
			Policy:                  pick(p.CSP.Policy, o.CSP.Policy),
			ReportOnly:              pick(p.CSP.ReportOnly, o.CSP.ReportOnly),
			Nonce:                   pick(p.CSP.Nonce, o.CSP.Nonce),
			NonceDirectives:         pickList(p.CSP.NonceDirectives, o.CSP.NonceDirectives),
			ReportURI:               pick(p.CSP.ReportURI, o.CSP.ReportURI),
			UpgradeInsecureRequests: pick(p.CSP.UpgradeInsecureRequests, o.CSP.UpgradeInsecureRequests),
			OnConflict:              pick(p.CSP.OnConflict, o.CSP.OnConflict),
			Learn:                   pick(p.CSP.Learn, o.CSP.Learn),
			LearnSample:             pick(p.CSP.LearnSample, o.CSP.LearnSample),
		},
		PermissionsPolicy: PermissionsPolicy{
			Policy:     pick(p.PermissionsPolicy.Policy, o.PermissionsPolicy.Policy),
			OnConflict: pick(p.PermissionsPolicy.OnConflict, o.PermissionsPolicy.OnConflict),
		},
		CORS: CORS{
			Origins:       pickList(p.CORS.Origins, o.CORS.Origins),
			Methods:       pickList(p.CORS.Methods, o.CORS.Methods),
			Headers:       pickList(p.CORS.Headers, o.CORS.Headers),
			ExposeHeaders: pickList(p.CORS.ExposeHeaders, o.CORS.ExposeHeaders),
			Credentials:   pick(p.CORS.Credentials, o.CORS.Credentials),
			MaxAge:        pick(p.CORS.MaxAge, o.CORS.MaxAge),
		},
		CrossOrigin: CrossOrigin{
			Disable:        pick(p.CrossOrigin.Disable, o.CrossOrigin.Disable),
			TrustedOrigins: pickList(p.CrossOrigin.TrustedOrigins, o.CrossOrigin.TrustedOrigins),
			Bypass:         pickList(p.CrossOrigin.Bypass, o.CrossOrigin.Bypass),
		},
		SecurityTxt: SecurityTxt{
			Disable:            pick(p.SecurityTxt.Disable, o.SecurityTxt.Disable),
			Contact:            pickList(p.SecurityTxt.Contact, o.SecurityTxt.Contact),
			ExpiresIn:          pick(p.SecurityTxt.ExpiresIn, o.SecurityTxt.ExpiresIn),
			Encryption:         pickList(p.SecurityTxt.Encryption, o.SecurityTxt.Encryption),
			Policy:             pickList(p.SecurityTxt.Policy, o.SecurityTxt.Policy),
			Acknowledgments:    pickList(p.SecurityTxt.Acknowledgments, o.SecurityTxt.Acknowledgments),
			PreferredLanguages: pickList(p.SecurityTxt.PreferredLanguages, o.SecurityTxt.PreferredLanguages),
			Canonical:          pickList(p.SecurityTxt.Canonical, o.SecurityTxt.Canonical),
			Hiring:             pickList(p.SecurityTxt.Hiring, o.SecurityTxt.Hiring),
		},
		Requests: Requests{
			Methods:                pickList(p.Requests.Methods, o.Requests.Methods),
			Upgrades:               pickList(p.Requests.Upgrades, o.Requests.Upgrades),
			AllowUnderscoreHeaders: pick(p.Requests.AllowUnderscoreHeaders, o.Requests.AllowUnderscoreHeaders),
		},
		Responses: Responses{
			KeepVersionHeaders: pick(p.Responses.KeepVersionHeaders, o.Responses.KeepVersionHeaders),
		},
	}
}

// problem is a bad value in a Policy: its key (relative to the policy)
// and what is wrong.
type problem struct{ key, msg string }

// ShieldOptions returns the shield options of site s: Defaults overridden
// by the site's policy, with the site's hosts and trusted proxies, and
// the report collector's path as CSP report URI when [reports] is on and
// the policy names none. The
// caller adds what the file does not hold (Logger, OnEvent, Now, the
// redirect port when it is not 443) and calls shield.New. The error, for
// a configuration that did not pass Validate, names the bad keys.
func (c *Config) ShieldOptions(s *Site) (shield.Options, error) {
	p := c.Defaults.merge(s.Policy)
	o, probs := p.options()
	if len(probs) > 0 {
		errs := make([]error, len(probs))
		for i, pr := range probs {
			errs[i] = fmt.Errorf("%s: %s", pr.key, pr.msg)
		}
		return shield.Options{}, errors.Join(errs...)
	}
	o.Hosts = s.Hosts
	o.TrustedProxies = s.TrustedProxies
	// With the collector on, browsers report to it unless the policy
	// names a report URI of its own ("" for none).
	if c.Reports.Enabled && p.CSP.ReportURI == nil && !o.CSP.Disable {
		o.CSP.ReportURI = c.Reports.Path
	}
	return o, nil
}

func val[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// options converts p to shield options, checking what shield.New cannot:
// the names and strings this file uses for shield's values.
func (p *Policy) options() (shield.Options, []problem) {
	var probs []problem
	bad := func(key, format string, a ...any) { probs = append(probs, problem{key, fmt.Sprintf(format, a...)}) }
	conflict := func(key string, v *string, combine bool) shield.Conflict {
		if v == nil {
			return shield.KeepApp
		}
		switch strings.ToLower(*v) {
		case "keep-app":
			return shield.KeepApp
		case "override":
			return shield.Override
		case "combine":
			if combine {
				return shield.Combine
			}
			bad(key, "%q is only allowed for csp (use keep-app or override)", *v)
			return shield.KeepApp
		}
		if combine {
			bad(key, "%q is not one of keep-app, override, combine", *v)
		} else {
			bad(key, "%q is not one of keep-app, override", *v)
		}
		return shield.KeepApp
	}
	duration := func(key string, d *time.Duration, min time.Duration, why string) time.Duration {
		if d != nil && *d < min {
			bad(key, "%s %s", formatDuration(*d), why)
			return 0
		}
		return val(d)
	}

	var o shield.Options
	o.Redirect = shield.Redirect{
		Disable: val(p.Redirect.Disable),
		Code:    val(p.Redirect.Code),
		Host:    val(p.Redirect.Host),
		Port:    val(p.Redirect.Port),
		Exempt:  p.Redirect.Exempt,
	}
	o.HSTS = shield.HSTS{
		Disable:           val(p.HSTS.Disable),
		MaxAge:            duration("hsts.max_age", p.HSTS.MaxAge, time.Second, "is less than a second (to stop HSTS, set disable = true)"),
		ExcludeSubdomains: p.HSTS.IncludeSubdomains != nil && !*p.HSTS.IncludeSubdomains,
		Preload:           val(p.HSTS.Preload),
	}

	o.Cookies = shield.Cookies{Disable: val(p.Cookies.Disable), HTTPOnly: p.Cookies.HTTPOnly}
	if v := p.Cookies.SameSite; v != nil {
		switch strings.ToLower(*v) {
		case "lax":
			o.Cookies.SameSite = http.SameSiteLaxMode
		case "strict":
			o.Cookies.SameSite = http.SameSiteStrictMode
		case "none":
			o.Cookies.SameSite = http.SameSiteNoneMode
		default:
			bad("cookies.samesite", "%q is not one of lax, strict, none", *v)
		}
	}

	hc := conflict("headers.on_conflict", p.Headers.OnConflict, false)
	header := func(key string, v *string) shield.Header {
		h := shield.Header{OnConflict: hc}
		switch {
		case v == nil:
		case strings.EqualFold(*v, "off"):
			h.Disable = true
		case strings.TrimSpace(*v) == "":
			bad(key, "empty value (write \"off\" not to send the header, or leave the key out for the default)")
		default:
			h.Value = *v
		}
		return h
	}
	o.Headers = shield.Headers{
		FrameOptions:              header("headers.frame_options", p.Headers.FrameOptions),
		ContentTypeOptions:        header("headers.content_type_options", p.Headers.ContentTypeOptions),
		ReferrerPolicy:            header("headers.referrer_policy", p.Headers.ReferrerPolicy),
		CrossOriginOpenerPolicy:   header("headers.coop", p.Headers.COOP),
		CrossOriginResourcePolicy: header("headers.corp", p.Headers.CORP),
		CrossOriginEmbedderPolicy: header("headers.coep", p.Headers.COEP),
		XSSProtection:             header("headers.xss_protection", p.Headers.XSSProtection),
	}

	cspPolicy := func(key string, v *string, off bool) *csp.Policy {
		switch {
		case v == nil:
			return nil
		case off && strings.EqualFold(*v, "off"):
			return nil
		case strings.EqualFold(*v, "strict"):
			s := csp.Strict()
			return &s
		}
		pol, err := csp.Parse(*v)
		var ce *csp.Error
		if errors.As(err, &ce) {
			msgs := make([]string, len(ce.Warnings))
			for i, w := range ce.Warnings {
				msgs[i] = w.String()
			}
			bad(key, "invalid policy: %s", strings.Join(msgs, "; "))
			return nil
		} else if err != nil {
			bad(key, "invalid policy: %v", err)
			return nil
		}
		return &pol
	}
	o.CSP = shield.CSP{
		Disable:                 val(p.CSP.Disable),
		Policy:                  cspPolicy("csp.policy", p.CSP.Policy, false),
		ReportOnly:              cspPolicy("csp.report_only", p.CSP.ReportOnly, true),
		Nonce:                   val(p.CSP.Nonce),
		NonceDirectives:         p.CSP.NonceDirectives,
		ReportURI:               val(p.CSP.ReportURI),
		UpgradeInsecureRequests: val(p.CSP.UpgradeInsecureRequests),
		OnConflict:              conflict("csp.on_conflict", p.CSP.OnConflict, true),
		Learn:                   val(p.CSP.Learn),
	}
	if v := p.CSP.LearnSample; v != nil {
		if !(*v > 0 && *v <= 1) {
			bad("csp.learn_sample", "%g is not between 0 and 1: it is the fraction of HTML responses that carry the learning policy (e.g. 0.1; 1.0 for all)", *v)
		} else {
			o.CSP.LearnSample = *v
		}
	}

	o.PermissionsPolicy.OnConflict = conflict("permissions_policy.on_conflict", p.PermissionsPolicy.OnConflict, false)
	if v := p.PermissionsPolicy.Policy; v != nil {
		if strings.EqualFold(*v, "off") {
			o.PermissionsPolicy.Disable = true
		} else if pol, err := permissions.Parse(*v); err != nil {
			bad("permissions_policy.policy", "invalid policy: %v", err)
		} else {
			o.PermissionsPolicy.Policy = &pol
		}
	}

	o.CORS = shield.CORS{
		Origins:       p.CORS.Origins,
		Methods:       p.CORS.Methods,
		Headers:       p.CORS.Headers,
		ExposeHeaders: p.CORS.ExposeHeaders,
		Credentials:   val(p.CORS.Credentials),
		MaxAge:        duration("cors.max_age", p.CORS.MaxAge, 0, "is negative"),
	}
	o.CrossOrigin = shield.CrossOrigin{
		Disable:        val(p.CrossOrigin.Disable),
		TrustedOrigins: p.CrossOrigin.TrustedOrigins,
		Bypass:         p.CrossOrigin.Bypass,
	}
	o.Requests = shield.Requests{
		Methods:                p.Requests.Methods,
		Upgrades:               p.Requests.Upgrades,
		AllowUnderscoreHeaders: val(p.Requests.AllowUnderscoreHeaders),
	}
	o.Responses = shield.Responses{KeepVersionHeaders: val(p.Responses.KeepVersionHeaders)}

	st := p.SecurityTxt
	expires := duration("security_txt.expires_in", st.ExpiresIn, 24*time.Hour, "is less than a day")
	if expires == 0 {
		expires = DefaultSecurityTxtExpiresIn
	}
	if !val(st.Disable) && len(st.Contact) > 0 {
		o.SecurityTxt = &shield.SecurityTxt{ExpiresIn: expires}
		o.SecurityTxt.File.Contact = st.Contact
		o.SecurityTxt.File.Encryption = st.Encryption
		o.SecurityTxt.File.Policy = st.Policy
		o.SecurityTxt.File.Acknowledgments = st.Acknowledgments
		o.SecurityTxt.File.PreferredLanguages = st.PreferredLanguages
		o.SecurityTxt.File.Canonical = st.Canonical
		o.SecurityTxt.File.Hiring = st.Hiring
	}
	return o, probs
}

// incomplete reports what a merged policy sets but cannot take effect: a
// security.txt configured without any contact (which would silently not
// be served).
func (p *Policy) incomplete() []problem {
	s := p.SecurityTxt
	if !val(s.Disable) && s.Contact == nil && (s.ExpiresIn != nil || s.Encryption != nil || s.Policy != nil ||
		s.Acknowledgments != nil || s.PreferredLanguages != nil || s.Canonical != nil || s.Hiring != nil) {
		return []problem{{"security_txt.contact", "missing: security.txt is served only with at least one contact (mailto:, tel: or https: URI)"}}
	}
	return nil
}

package config

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/permissions"
	"github.com/portcullis/portcullis/shield"
)

// badShieldOptions holds, for every shield.OptionError.Field that
// shield.New can report, options with that one problem.
func badShieldOptions() map[string]shield.Options {
	bad := func(f func(*shield.Options)) shield.Options {
		var o shield.Options
		f(&o)
		return o
	}
	origin := []string{"https://app.example.com"}
	combine := shield.Header{OnConflict: shield.Combine}
	var noDirectives csp.Policy
	imgOnly := csp.Policy{}
	imgOnly.Set("img-src", "'self'")
	badFeature := permissions.Policy{}
	badFeature.Set("Camera")
	return map[string]shield.Options{
		"Hosts":           bad(func(o *shield.Options) { o.Hosts = []string{"bad host.example.com"} }),
		"TrustedProxies":  bad(func(o *shield.Options) { o.TrustedProxies = []string{"10.0.0.0/33"} }),
		"Redirect.Code":   bad(func(o *shield.Options) { o.Redirect.Code = 302 }),
		"Redirect.Host":   bad(func(o *shield.Options) { o.Redirect.Host = "example.com:8443" }),
		"Redirect.Port":   bad(func(o *shield.Options) { o.Redirect.Port = 70000 }),
		"Redirect.Exempt": bad(func(o *shield.Options) { o.Redirect.Exempt = []string{"healthz"} }),
		"HSTS.MaxAge":     bad(func(o *shield.Options) { o.HSTS.MaxAge = -time.Second }),
		"HSTS.Preload":    bad(func(o *shield.Options) { o.HSTS.Preload, o.HSTS.MaxAge = true, time.Hour }),
		"Cookies.SameSite": bad(func(o *shield.Options) {
			o.Cookies.SameSite = 9
		}),
		"Cookies.HTTPOnly":                  bad(func(o *shield.Options) { o.Cookies.HTTPOnly = []string{"a=b"} }),
		"Headers.FrameOptions":              bad(func(o *shield.Options) { o.Headers.FrameOptions.Value = "ALLOWALL" }),
		"Headers.ContentTypeOptions":        bad(func(o *shield.Options) { o.Headers.ContentTypeOptions.Value = "sniff" }),
		"Headers.ReferrerPolicy":            bad(func(o *shield.Options) { o.Headers.ReferrerPolicy.Value = "never" }),
		"Headers.CrossOriginOpenerPolicy":   bad(func(o *shield.Options) { o.Headers.CrossOriginOpenerPolicy.Value = "open" }),
		"Headers.CrossOriginResourcePolicy": bad(func(o *shield.Options) { o.Headers.CrossOriginResourcePolicy.Value = "anyone" }),
		"Headers.CrossOriginEmbedderPolicy": bad(func(o *shield.Options) { o.Headers.CrossOriginEmbedderPolicy.Value = "anything" }),
		"Headers.XSSProtection":             bad(func(o *shield.Options) { o.Headers.XSSProtection.Value = "2" }),
		"Headers.FrameOptions.OnConflict":   bad(func(o *shield.Options) { o.Headers.FrameOptions = combine }),
		"Headers.ContentTypeOptions.OnConflict": bad(func(o *shield.Options) {
			o.Headers.ContentTypeOptions = combine
		}),
		"Headers.ReferrerPolicy.OnConflict": bad(func(o *shield.Options) { o.Headers.ReferrerPolicy = combine }),
		"Headers.CrossOriginOpenerPolicy.OnConflict": bad(func(o *shield.Options) {
			o.Headers.CrossOriginOpenerPolicy = combine
		}),
		"Headers.CrossOriginResourcePolicy.OnConflict": bad(func(o *shield.Options) {
			o.Headers.CrossOriginResourcePolicy = shield.Header{Value: "same-origin", OnConflict: shield.Combine}
		}),
		"Headers.CrossOriginEmbedderPolicy.OnConflict": bad(func(o *shield.Options) {
			o.Headers.CrossOriginEmbedderPolicy = shield.Header{Value: "require-corp", OnConflict: shield.Combine}
		}),
		"Headers.XSSProtection.OnConflict": bad(func(o *shield.Options) { o.Headers.XSSProtection = combine }),
		"CSP.Policy":                       bad(func(o *shield.Options) { o.CSP.Policy = &noDirectives }),
		"CSP.ReportOnly":                   bad(func(o *shield.Options) { o.CSP.ReportOnly = &noDirectives }),
		"CSP.ReportURI":                    bad(func(o *shield.Options) { o.CSP.ReportURI = "https://reports.example.com/ csp" }),
		"CSP.Nonce":                        bad(func(o *shield.Options) { o.CSP.Nonce, o.CSP.Policy = true, &imgOnly }),
		"CSP.Learn":                        bad(func(o *shield.Options) { o.CSP.Learn = true }),
		"CSP.LearnSample":                  bad(func(o *shield.Options) { o.CSP.LearnSample = 2 }),
		"PermissionsPolicy.Policy":         bad(func(o *shield.Options) { o.PermissionsPolicy.Policy = &badFeature }),
		"PermissionsPolicy.OnConflict":     bad(func(o *shield.Options) { o.PermissionsPolicy.OnConflict = shield.Combine }),
		"CORS.Origins":                     bad(func(o *shield.Options) { o.CORS.Origins = []string{"null"} }),
		"CORS.Credentials":                 bad(func(o *shield.Options) { o.CORS.Origins, o.CORS.Credentials = []string{"*"}, true }),
		"CORS.Methods":                     bad(func(o *shield.Options) { o.CORS.Origins, o.CORS.Methods = origin, []string{"GE T"} }),
		"CORS.Headers":                     bad(func(o *shield.Options) { o.CORS.Origins, o.CORS.Headers = origin, []string{"X:Y"} }),
		"CORS.ExposeHeaders": bad(func(o *shield.Options) {
			o.CORS.Origins, o.CORS.ExposeHeaders = origin, []string{"X:Y"}
		}),
		"CORS.MaxAge":                bad(func(o *shield.Options) { o.CORS.Origins, o.CORS.MaxAge = origin, -time.Second }),
		"CrossOrigin.TrustedOrigins": bad(func(o *shield.Options) { o.CrossOrigin.TrustedOrigins = []string{"partner.example"} }),
		"CrossOrigin.Bypass":         bad(func(o *shield.Options) { o.CrossOrigin.Bypass = []string{"POST webhooks"} }),
		"Requests.Methods":           bad(func(o *shield.Options) { o.Requests.Methods = []string{} }),
		"Requests.Upgrades":          bad(func(o *shield.Options) { o.Requests.Upgrades = []string{"h2c"} }),
		"SecurityTxt.File":           bad(func(o *shield.Options) { o.SecurityTxt = &shield.SecurityTxt{ExpiresIn: 90 * 24 * time.Hour} }),
		"SecurityTxt.ExpiresIn": bad(func(o *shield.Options) {
			o.SecurityTxt = &shield.SecurityTxt{ExpiresIn: -time.Hour}
		}),
	}
}

// TestShieldKeys checks that every Field shield.New reports has a TOML key
// in shieldKeys, and that the key exists: options with one problem each
// give exactly one *shield.OptionError, of that Field. The Fields are
// found in shield's source (every string literal that is a path in
// shield.Options), so that a new Field without options here, or without a
// key, fails; messages play no part.
func TestShieldKeys(t *testing.T) {
	bad := badShieldOptions()
	for field, opts := range bad {
		opts.OnEvent = func(shield.Event) {}
		_, err := shield.New(opts)
		var got []string
		for _, e := range joined(err) {
			var oe *shield.OptionError
			if !errors.As(e, &oe) {
				t.Errorf("%s: %T %q is not a *shield.OptionError", field, e, e)
				continue
			}
			got = append(got, oe.Field)
		}
		if !slices.Equal(got, []string{field}) {
			t.Errorf("options bad in %s: New reports %q (%v)", field, got, err)
		}
		if shieldKeys[field] == "" {
			t.Errorf("shieldKeys has no TOML key for %s", field)
		}
	}
	for field, key := range shieldKeys {
		if _, ok := bad[field]; !ok {
			t.Errorf("shieldKeys maps %s (to %s), which New does not report", field, key)
		}
		if !knownKey(t, key) {
			t.Errorf("shieldKeys maps %s to %s, which is not a key of the configuration", field, key)
		}
	}
	for _, field := range shieldFields(t) {
		if _, ok := bad[field]; !ok {
			t.Errorf("shield's source names the option %s: add bad options for it to badShieldOptions, and its key to shieldKeys", field)
		}
	}
}

// joined returns the errors of an errors.Join, or err alone.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// knownKey reports whether key (a site key, or a policy key) is a key of
// the configuration: setting it may be a wrong type, never unknown.
func knownKey(t *testing.T, key string) bool {
	doc := "[defaults]\n" + key + " = 0\n"
	if key == "hosts" || key == "trusted_proxies" {
		doc = "[[site]]\n" + key + " = 0\n"
	}
	_, err := Parse("keys.toml", []byte(doc))
	if err == nil {
		t.Fatalf("%q: no error", doc)
	}
	return !strings.Contains(err.Error(), "unknown key")
}

// shieldFields returns the string literals of shield's source that are
// paths of fields of shield.Options ("HSTS.Preload"): the Fields its
// OptionErrors name.
func shieldFields(t *testing.T) []string {
	files, err := filepath.Glob("../shield/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("shield's source: %v", err)
	}
	var fields []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && optionsPath(s) && !slices.Contains(fields, s) {
				fields = append(fields, s)
			}
			return true
		})
	}
	if len(fields) < len(shieldKeys)/2 {
		t.Fatalf("found only %q in shield's source", fields)
	}
	return fields
}

// optionsPath reports whether s is the path of a field of shield.Options,
// such as "Hosts" or "Headers.FrameOptions.OnConflict".
func optionsPath(s string) bool {
	typ := reflect.TypeFor[shield.Options]()
	for name := range strings.SplitSeq(s, ".") {
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return false
		}
		f, ok := typ.FieldByName(name)
		if !ok || !f.IsExported() {
			return false
		}
		typ = f.Type
	}
	return true
}

// TestShieldProblemsEachAtItsKey checks that every problem shield.New
// finds in a site is reported, each at its own key and line: in the site,
// or in [defaults] when the site inherits it.
func TestShieldProblemsEachAtItsKey(t *testing.T) {
	_, err := Parse("both.toml", []byte(`[defaults.hsts]
max_age = "30d"
preload = true

[[site]]
name = "both"
hosts = ["both.example.com", "bad host.example.com"]
upstream = "http://127.0.0.1:8000"
[site.policy.cors]
origins = ["*"]
credentials = true
[site.policy.requests]
upgrades = ["websocket",
  "h2c"]
`))
	want := []string{
		`both.toml:3: site "both": hsts.preload: preload requires a MaxAge of at least one year (31536000 s) and includeSubDomains; browsers' preload lists refuse anything less (have MaxAge 720h0m0s, includeSubDomains true)`,
		`both.toml:7: site "both": hosts: host pattern "bad host.example.com": not a host name, IP address, .domain pattern or "*"`,
		`both.toml:11: site "both": cors.credentials: the wildcard origin "*" with credentials would let every site read authenticated responses; list the origins instead`,
		`both.toml:13: site "both": requests.upgrades: upgrade "h2c" cannot be allowed: an h2c upgrade through the proxy would open a tunnel that bypasses every later check`,
	}
	if got := messages(err); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// messages returns the lines of err's message.
func messages(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

package config

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/suggest"
)

// decoder turns the generic TOML tree into a Config, recording a located
// problem for every unknown key, wrong type and unreadable value.
type decoder struct {
	file    string
	lines   map[string]int
	env     func(string) (string, bool)
	errs    Errors
	bad     map[string]bool // key paths that failed to decode
	secrets []secret
	known   map[string]bool // every key asked for, when non-nil (documentation test)

	site    string // context of the site being decoded
	siteIdx int
}

// secret is a value taken from the environment, kept out of messages.
type secret struct{ name, value string }

func (d *decoder) add(line int, key, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Site: d.site, siteIndex: d.siteIdx, Key: key, Msg: msg})
}

// table is one TOML table being decoded.
type table struct {
	d     *decoder
	m     map[string]any
	path  string // key path in the line index
	show  string // key prefix in messages
	line  int
	asked []string
}

func (t *table) keyPath(k string) string { return join(t.path, k) }

func (t *table) keyShow(k string) string {
	if t.show == "" {
		return displayKey([]string{k})
	}
	return t.show + "." + displayKey([]string{k})
}

func (t *table) lineOf(k string) int {
	if l, ok := t.d.lines[t.keyPath(k)]; ok {
		return l
	}
	return t.line
}

// get returns the value of key k, noting that k is a known key.
func (t *table) get(k string) (any, bool) {
	t.asked = append(t.asked, k)
	if t.d.known != nil {
		t.d.known[genericKey(t.keyPath(k))] = true
	}
	v, ok := t.m[k]
	return v, ok
}

// genericKey is a key path without array indices, dotted: "site.policy.hsts".
func genericKey(path string) string {
	var parts []string
	for p := range strings.SplitSeq(path, sep) {
		if _, err := strconv.Atoi(p); err != nil {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// fail records a problem with key k (item i of its array when i > 0).
func (t *table) fail(k string, i int, format string, a ...any) {
	path, line := t.keyPath(k), t.lineOf(k)
	msg := fmt.Sprintf(format, a...)
	if i > 0 {
		if l, ok := t.d.lines[join(path, strconv.Itoa(i-1))]; ok {
			line = l
		}
		msg = fmt.Sprintf("item %d: %s", i, msg)
	}
	t.d.bad[path] = true
	t.d.add(line, t.keyShow(k), msg)
}

func (t *table) child(k string, m map[string]any) *table {
	return &table{d: t.d, m: m, path: t.keyPath(k), show: t.keyShow(k), line: t.lineOf(k)}
}

// table returns the sub-table k, or nil when it is absent or not a table.
func (t *table) table(k string) *table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.fail(k, 0, "must be a table, not %s", typeName(v))
		return nil
	}
	return t.child(k, m)
}

// close reports the keys of the table that no one asked for.
func (t *table) close() {
	var unknown []string
	for k := range t.m {
		if !slices.Contains(t.asked, k) {
			unknown = append(unknown, k)
		}
	}
	slices.SortFunc(unknown, func(a, b string) int { return cmp.Or(cmp.Compare(t.lineOf(a), t.lineOf(b)), cmp.Compare(a, b)) })
	for _, k := range unknown {
		if s := closest(k, t.asked); s != "" {
			t.fail(k, 0, "unknown key (did you mean %q?)", s)
		} else {
			t.fail(k, 0, "unknown key")
		}
	}
}

func (t *table) str(k string) *string {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	s, ok := t.text(k, 0, v)
	if !ok {
		return nil
	}
	return &s
}

// text returns v, the value of k (or its item i), as a string with any
// environment reference expanded.
func (t *table) text(k string, i int, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		t.fail(k, i, "must be a string, not %s", typeName(v))
		return "", false
	}
	return t.expand(k, i, s)
}

// expand replaces a whole-value "${NAME}" with the environment variable
// NAME; "$${...}" is the literal text "${...}".
func (t *table) expand(k string, i int, s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "$${"); ok && strings.HasSuffix(rest, "}") {
		return s[1:], true
	}
	name, ok := strings.CutPrefix(s, "${")
	if !ok || !strings.HasSuffix(name, "}") {
		return s, true
	}
	name = name[:len(name)-1]
	if !isEnvName(name) {
		t.fail(k, i, "%q is not a valid environment reference: write ${NAME}, NAME made of letters, digits and _ (or $${...} for the literal text)", s)
		return "", false
	}
	v, ok := t.d.env(name)
	if !ok {
		t.fail(k, i, "environment variable %s is not set", name)
		return "", false
	}
	t.d.secrets = append(t.d.secrets, secret{name, v})
	return v, true
}

func isEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// strs reads a list of strings; a single string is a list of one. An
// empty array gives an empty, non-nil list (it overrides).
func (t *table) strs(k string) []string {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	switch v := v.(type) {
	case string:
		s, ok := t.expand(k, 0, v)
		if !ok {
			return nil
		}
		return []string{s}
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			if s, ok := t.text(k, i+1, e); ok {
				out = append(out, s)
			}
		}
		if len(out) < len(v) {
			return nil
		}
		return out
	}
	t.fail(k, 0, "must be an array of strings, not %s", typeName(v))
	return nil
}

func (t *table) boolean(k string) *bool {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		t.fail(k, 0, "must be true or false, not %s", typeName(v))
		return nil
	}
	return &b
}

func (t *table) integer(k string) *int {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	n, ok := v.(int64)
	if !ok {
		t.fail(k, 0, "must be an integer, not %s", typeName(v))
		return nil
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		t.fail(k, 0, "%d is out of range", n)
		return nil
	}
	i := int(n)
	return &i
}

// duration reads a duration: a string (Go syntax plus a leading number of
// days, "90d", "1d12h") or an integer number of seconds. Negative
// durations are refused.
func (t *table) duration(k string) *time.Duration {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	d, ok := t.durationValue(k, 0, v)
	if !ok {
		return nil
	}
	return &d
}

// durations reads an array of durations, each written as duration takes
// it. An empty array gives an empty, non-nil list.
func (t *table) durations(k string) []time.Duration {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		t.fail(k, 0, "must be an array of durations such as [\"30d\", \"7d\"], not %s", typeName(v))
		return nil
	}
	out := make([]time.Duration, 0, len(list))
	for i, e := range list {
		if d, ok := t.durationValue(k, i+1, e); ok {
			out = append(out, d)
		}
	}
	if len(out) < len(list) {
		return nil
	}
	return out
}

// durationValue converts v, the value of k (or its item i), to a
// duration.
func (t *table) durationValue(k string, i int, v any) (time.Duration, bool) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			t.fail(k, i, "%d seconds is negative", v)
			return 0, false
		}
		if v > math.MaxInt64/int64(time.Second) {
			t.fail(k, i, "%d seconds is out of range", v)
			return 0, false
		}
		return time.Duration(v) * time.Second, true
	case string:
		s, ok := t.expand(k, i, v)
		if !ok {
			return 0, false
		}
		d, err := parseDuration(s)
		if err != nil {
			t.fail(k, i, "%v", err)
			return 0, false
		}
		return d, true
	}
	t.fail(k, i, "must be a duration such as \"90d\" or \"30s\", or a number of seconds, not %s", typeName(v))
	return 0, false
}

// float reads a TOML float; an integer is refused, so that a fraction is
// never mistaken for a count.
func (t *table) float(k string) *float64 {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	f, ok := v.(float64)
	if !ok {
		t.fail(k, 0, "must be a float such as 0.33 (written with a decimal point), not %s", typeName(v))
		return nil
	}
	return &f
}

// parseDuration parses Go duration syntax with an optional leading number
// of days: "365d", "1d12h", "8760h", "90s".
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration (use e.g. \"365d\" or \"8760h\")", s)
	if strings.HasPrefix(s, "-") {
		if _, err := parseDuration(s[1:]); err == nil {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return 0, bad
	}
	rest := s
	var days time.Duration
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 && i < len(rest) && rest[i] == 'd' {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		days, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
		if rest == "" {
			return days, nil
		}
	}
	if rest == "" || rest[0] == '-' || rest[0] == '+' {
		return 0, bad
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, bad
	}
	if d > math.MaxInt64-days {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return days + d, nil
}

// formatDuration writes d in days when it is a whole number of them.
func formatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// size reads a byte size: an integer, or a string with a unit ("64KiB",
// "10MiB", "1GB").
func (t *table) size(k string) *int64 {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		s, ok := t.expand(k, 0, v)
		if !ok {
			return nil
		}
		var err error
		if n, err = parseSize(s); err != nil {
			t.fail(k, 0, "%v", err)
			return nil
		}
	default:
		t.fail(k, 0, "must be a size such as \"64KiB\" or \"10MiB\", or a number of bytes, not %s", typeName(v))
		return nil
	}
	return &n
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// parseSize parses "<integer>[ ]<unit>", the unit one of B, KB, MB, GB,
// KiB, MiB, GiB (case-insensitive).
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimPrefix(s[i:], " "))]
	if i == 0 || !ok {
		return 0, fmt.Errorf("%q is not a size (use e.g. \"64KiB\", \"10MiB\" or a number of bytes)", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n * unit, nil
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// closest returns the known key k was probably meant to be: the same
// ignoring case, '-' and '_', or within two edits.
func closest(k string, known []string) string {
	if len(k) > 64 {
		return ""
	}
	norm := func(s string) string { return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s)) }
	best, bestDist := "", 3
	for _, c := range known {
		if norm(c) == norm(k) {
			return c
		}
		if d := suggest.Distance(k, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// config decodes the whole file into c, which holds the defaults.
func (d *decoder) config(c *Config, raw map[string]any) {
	root := &table{d: d, m: raw}
	set(&c.DataDir, root.str("data_dir"))
	if t := root.table("listen"); t != nil {
		set(&c.Listen.HTTPS, t.str("https"))
		set(&c.Listen.HTTP, t.str("http"))
		if a := t.str("admin"); a != nil {
			c.Listen.Admin = *a
			if *a == "off" {
				c.Listen.Admin = ""
			}
		}
		set(&c.Listen.AdminToken, t.str("admin_token"))
		if hs := t.strs("admin_hosts"); hs != nil {
			c.Listen.AdminHosts = hs
		}
		t.close()
	}
	if t := root.table("tls"); t != nil {
		set(&c.TLS.Profile, t.str("profile"))
		t.close()
	}
	if t := root.table("limits"); t != nil {
		l := &c.Limits
		set(&l.ReadHeaderTimeout, t.duration("read_header_timeout"))
		set(&l.ReadTimeout, t.duration("read_timeout"))
		set(&l.WriteTimeout, t.duration("write_timeout"))
		set(&l.IdleTimeout, t.duration("idle_timeout"))
		if n := t.size("max_header_bytes"); n != nil {
			if *n > math.MaxInt32 {
				t.fail("max_header_bytes", 0, "%d bytes is out of range", *n)
			} else {
				l.MaxHeaderBytes = int(*n)
			}
		}
		set(&l.MaxBodyBytes, t.size("max_body_bytes"))
		set(&l.ShutdownTimeout, t.duration("shutdown_timeout"))
		set(&l.UpstreamTimeout, t.duration("upstream_timeout"))
		set(&l.UpstreamDialTimeout, t.duration("upstream_dial_timeout"))
		t.close()
	}
	if t := root.table("access_log"); t != nil {
		set(&c.AccessLog.Format, t.str("format"))
		set(&c.AccessLog.Path, t.str("path"))
		t.close()
	}
	if t := root.table("acme"); t != nil {
		d.acme(&c.ACME, t)
	}
	if t := root.table("monitor"); t != nil {
		if l := t.durations("thresholds"); l != nil {
			c.Monitor.Thresholds = l
		}
		set(&c.Monitor.Interval, t.duration("interval"))
		t.close()
	}
	if t := root.table("alerts"); t != nil {
		d.alerts(&c.Alerts, t)
	}
	if t := root.table("backup"); t != nil {
		b := &c.Backup
		set(&b.Dir, t.str("dir"))
		set(&b.Interval, t.duration("interval"))
		set(&b.Keep, t.integer("keep"))
		if l := t.strs("recipients"); l != nil {
			b.Recipients = l
		}
		set(&b.Passphrase, t.str("passphrase"))
		t.close()
	}
	if t := root.table("store"); t != nil {
		d.store(&c.Store, t)
	}
	if t := root.table("reports"); t != nil {
		d.reports(&c.Reports, t)
	}
	if t := root.table("audit"); t != nil {
		d.audit(&c.Audit, t)
	}
	if t := root.table("cluster"); t != nil {
		c.Cluster = d.cluster(t)
	}
	if t := root.table("defaults"); t != nil {
		c.Defaults = t.policy()
		t.close()
	}
	if v, ok := root.get("site"); ok {
		list, ok := v.([]any)
		if !ok {
			root.fail("site", 0, "must be an array of tables ([[site]]), not %s", typeName(v))
		}
		for i, e := range list {
			path := join("site", strconv.Itoa(i))
			m, ok := e.(map[string]any)
			if !ok {
				root.fail("site", i+1, "must be a table, not %s", typeName(e))
				continue
			}
			c.Sites = append(c.Sites, d.siteTable(&table{d: d, m: m, path: path, line: d.lines[path]}, i))
		}
	}
	root.close()
}

// siteTable decodes the i-th [[site]].
func (d *decoder) siteTable(t *table, i int) Site {
	d.site, d.siteIdx = siteName(t.m), i+1
	defer func() { d.site, d.siteIdx = "", 0 }()
	s := Site{Line: t.line, path: t.path}
	set(&s.Name, t.str("name"))
	s.Hosts = t.strs("hosts")
	set(&s.Upstream, t.str("upstream"))
	s.TrustedProxies = t.strs("trusted_proxies")
	if c := t.table("cert"); c != nil {
		set(&s.Cert.Source, c.str("source"))
		set(&s.Cert.Cert, c.str("cert"))
		set(&s.Cert.Key, c.str("key"))
		set(&s.Cert.OnDemand, c.boolean("on_demand"))
		set(&s.Cert.Ask, c.str("ask"))
		if l := c.strs("allow"); l != nil {
			for i := range l {
				l[i] = strings.ToLower(l[i])
			}
			s.Cert.Allow = l
		}
		c.close()
	}
	if p := t.table("policy"); p != nil {
		p.show = "" // policy keys read as in [defaults]: "hsts.max_age"
		s.Policy = p.policy()
		p.close()
	}
	t.close()
	if s.Name == "" && len(s.Hosts) > 0 {
		s.Name = s.Hosts[0]
	}
	if s.Cert.Source == "" {
		s.Cert.Source, s.certAuto = AutoSource(s.Hosts), true
	}
	return s
}

// caNames are the CAs the file may name instead of a directory URL.
var caNames = map[string]string{
	"letsencrypt":         LetsEncrypt,
	"letsencrypt-staging": LetsEncryptStaging,
	"zerossl":             ZeroSSL,
}

// acme decodes [acme] and its [acme.fallback].
func (d *decoder) acme(a *ACME, t *table) {
	t.issuer(&a.ACMEIssuer)
	set(&a.KeyType, t.str("key_type"))
	if l := t.strs("challenges"); l != nil {
		a.Challenges = l
	}
	set(&a.RenewalWindow, t.float("renewal_window"))
	set(&a.RenewCheckInterval, t.duration("renew_check_interval"))
	if f := t.table("fallback"); f != nil {
		var fb ACMEIssuer
		f.issuer(&fb)
		f.close()
		if fb.Email == "" {
			fb.Email = a.Email
		}
		a.Fallback = &fb
	}
	t.close()
}

// issuer decodes the keys of one ACME CA, mapping a CA's name to its
// directory URL.
func (t *table) issuer(is *ACMEIssuer) {
	if ca := t.str("ca"); ca != nil {
		is.CA = *ca
		if u, ok := caNames[strings.ToLower(*ca)]; ok {
			is.CA = u
		}
	}
	set(&is.Email, t.str("email"))
	set(&is.Profile, t.str("profile"))
	set(&is.CARoot, t.str("ca_root"))
	set(&is.EAB.KeyID, t.str("eab_key_id"))
	set(&is.EAB.MACKey, t.str("eab_mac_key"))
}

// siteName names a site in messages before it is decoded: its name, else
// its first host.
func siteName(m map[string]any) string {
	if n, ok := m["name"].(string); ok && n != "" {
		return n
	}
	switch h := m["hosts"].(type) {
	case string:
		return h
	case []any:
		if len(h) > 0 {
			if s, ok := h[0].(string); ok {
				return s
			}
		}
	}
	return ""
}

// policy decodes a policy table ([defaults] or [site.policy]).
func (t *table) policy() Policy {
	var p Policy
	if r := t.table("redirect"); r != nil {
		p.Redirect = Redirect{Disable: r.boolean("disable"), Code: r.integer("code"), Host: r.str("host"),
			Port: r.integer("port"), Exempt: r.strs("exempt")}
		r.close()
	}
	if h := t.table("hsts"); h != nil {
		p.HSTS = HSTS{Disable: h.boolean("disable"), MaxAge: h.duration("max_age"),
			IncludeSubdomains: h.boolean("include_subdomains"), Preload: h.boolean("preload")}
		h.close()
	}
	if c := t.table("cookies"); c != nil {
		p.Cookies = Cookies{Disable: c.boolean("disable"), SameSite: c.str("samesite"), HTTPOnly: c.strs("httponly")}
		c.close()
	}
	if h := t.table("headers"); h != nil {
		p.Headers = Headers{
			FrameOptions:       h.str("frame_options"),
			ContentTypeOptions: h.str("content_type_options"),
			ReferrerPolicy:     h.str("referrer_policy"),
			COOP:               h.str("coop"),
			CORP:               h.str("corp"),
			COEP:               h.str("coep"),
			XSSProtection:      h.str("xss_protection"),
			OnConflict:         h.str("on_conflict"),
		}
		h.close()
	}
	if c := t.table("csp"); c != nil {
		p.CSP = CSP{
			Disable:                 c.boolean("disable"),
			Policy:                  c.str("policy"),
			ReportOnly:              c.str("report_only"),
			Nonce:                   c.boolean("nonce"),
			NonceDirectives:         c.strs("nonce_directives"),
			ReportURI:               c.str("report_uri"),
			UpgradeInsecureRequests: c.boolean("upgrade_insecure_requests"),
			OnConflict:              c.str("on_conflict"),
			Learn:                   c.boolean("learn"),
			LearnSample:             c.float("learn_sample"),
		}
		c.close()
	}
	if v, ok := t.m["permissions_policy"]; ok {
		switch v.(type) {
		case string:
			p.PermissionsPolicy.Policy = t.str("permissions_policy")
		case map[string]any:
			pp := t.table("permissions_policy")
			p.PermissionsPolicy = PermissionsPolicy{Policy: pp.str("policy"), OnConflict: pp.str("on_conflict")}
			pp.close()
		default:
			t.get("permissions_policy")
			t.fail("permissions_policy", 0, "must be a string (the policy) or a table, not %s", typeName(v))
		}
	} else {
		t.get("permissions_policy")
	}
	if c := t.table("cors"); c != nil {
		p.CORS = CORS{Origins: c.strs("origins"), Methods: c.strs("methods"), Headers: c.strs("headers"),
			ExposeHeaders: c.strs("expose_headers"), Credentials: c.boolean("credentials"), MaxAge: c.duration("max_age")}
		c.close()
	}
	if c := t.table("cross_origin"); c != nil {
		p.CrossOrigin = CrossOrigin{Disable: c.boolean("disable"), TrustedOrigins: c.strs("trusted_origins"), Bypass: c.strs("bypass")}
		c.close()
	}
	if s := t.table("security_txt"); s != nil {
		p.SecurityTxt = SecurityTxt{
			Disable:            s.boolean("disable"),
			Contact:            s.strs("contact"),
			ExpiresIn:          s.duration("expires_in"),
			Encryption:         s.strs("encryption"),
			Policy:             s.strs("policy"),
			Acknowledgments:    s.strs("acknowledgments"),
			PreferredLanguages: s.strs("preferred_languages"),
			Canonical:          s.strs("canonical"),
			Hiring:             s.strs("hiring"),
		}
		s.close()
	}
	if r := t.table("requests"); r != nil {
		p.Requests = Requests{Methods: r.strs("methods"), Upgrades: r.strs("upgrades"), AllowUnderscoreHeaders: r.boolean("allow_underscore_headers")}
		r.close()
	}
	if r := t.table("responses"); r != nil {
		p.Responses = Responses{KeepVersionHeaders: r.boolean("keep_version_headers")}
		r.close()
	}
	return p
}

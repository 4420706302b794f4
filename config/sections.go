package config

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file validates [acme], [monitor], [alerts] and [backup].

// dotted turns a dotted top-level key into a key path of the line index.
func dotted(key string) string { return strings.ReplaceAll(key, ".", sep) }

// has reports whether the file sets the dotted top-level key.
func (v *validator) has(key string) bool {
	_, ok := v.c.lines[dotted(key)]
	return ok
}

// itemLine is the line of item i (1-based) of the dotted top-level list
// key, or the key's line.
func (v *validator) itemLine(key string, i int) int {
	if l, ok := v.c.lines[join(dotted(key), strconv.Itoa(i-1))]; ok {
		return l
	}
	return v.line("", key)
}

// report adds a problem with the dotted top-level key, at its line.
func (v *validator) report(key, format string, a ...any) {
	v.add(v.line("", key), key, format, a...)
}

// item adds a problem with item i (1-based) of the dotted top-level list
// key.
func (v *validator) item(key string, i int, format string, a ...any) {
	v.add(v.itemLine(key, i), key, "item %d: %s", i, fmt.Sprintf(format, a...))
}

func (v *validator) acme() {
	a := v.c.ACME
	v.issuer("acme.", a.ACMEIssuer)
	if a.Fallback != nil {
		v.issuer("acme.fallback.", *a.Fallback)
	}
	switch a.KeyType {
	case KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA4096, KeyEd25519:
	default:
		v.report("acme.key_type", "%q is not one of %s, %s, %s, %s, %s", a.KeyType, KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA4096, KeyEd25519)
	}
	if !v.bad(dotted("acme.challenges")) {
		if len(a.Challenges) == 0 {
			v.report("acme.challenges", "must list at least one of %s, %s", ChallengeHTTP01, ChallengeTLSALPN01)
		}
		for i, ch := range a.Challenges {
			switch {
			case strings.EqualFold(ch, "dns-01"):
				v.item("acme.challenges", i+1, "%q is not supported (portcullis answers %s and %s only)", ch, ChallengeHTTP01, ChallengeTLSALPN01)
			case ch != ChallengeHTTP01 && ch != ChallengeTLSALPN01:
				v.item("acme.challenges", i+1, "%q is not one of %s, %s", ch, ChallengeHTTP01, ChallengeTLSALPN01)
			case slices.Index(a.Challenges, ch) < i:
				v.item("acme.challenges", i+1, "%q is listed twice", ch)
			}
		}
	}
	if r := a.RenewalWindow; !(r > 0 && r < 1) {
		v.report("acme.renewal_window", "%g is not between 0 and 1: it is the fraction of a certificate's lifetime, at its end, "+
			"in which it is renewed (e.g. 0.33)", r)
	}
	if a.RenewCheckInterval <= 0 {
		v.report("acme.renew_check_interval", "must be positive")
	}
}

// issuer checks one ACME CA; prefix is "acme." or "acme.fallback.".
func (v *validator) issuer(prefix string, is ACMEIssuer) {
	bad := func(k string) bool { return v.bad(dotted(prefix + k)) }
	if !bad("ca") {
		if msg := checkCA(is.CA); msg != "" {
			v.report(prefix+"ca", "%s", msg)
		}
	}
	if is.Email != "" {
		if msg := checkEmail(is.Email); msg != "" {
			v.report(prefix+"email", "%s", msg)
		}
	}
	if strings.ContainsFunc(is.Profile, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		v.report(prefix+"profile", "%q is not a profile name (no spaces or control characters)", is.Profile)
	}
	eab := is.EAB
	switch {
	case eab.KeyID != "" && eab.MACKey == "" && !bad("eab_mac_key"):
		v.report(prefix+"eab_mac_key", "missing: eab_key_id is set, and External Account Binding needs both eab_key_id and eab_mac_key")
	case eab.KeyID == "" && eab.MACKey != "" && !bad("eab_key_id"):
		v.report(prefix+"eab_key_id", "missing: eab_mac_key is set, and External Account Binding needs both eab_key_id and eab_mac_key")
	}
	if eab.MACKey != "" && !isBase64URL(eab.MACKey) {
		v.report(prefix+"eab_mac_key", "is not base64url-encoded (the value is not shown; copy the HMAC key exactly as the CA gave it)")
	}
	if strings.TrimSuffix(is.CA, "/") == ZeroSSL && eab.KeyID == "" && eab.MACKey == "" && !bad("eab_key_id") && !bad("eab_mac_key") {
		v.report(prefix+"ca", "ZeroSSL requires EAB credentials: set eab_key_id and eab_mac_key (from the ZeroSSL dashboard, Developer section)")
	}
	v.caRoot(prefix+"ca_root", is.CARoot)
}

// checkCA returns what is wrong with an ACME directory URL, or "".
func checkCA(ca string) string {
	if ca == "" {
		return "missing: an ACME directory URL, or one of letsencrypt, letsencrypt-staging, zerossl"
	}
	if !strings.Contains(ca, "://") {
		return fmt.Sprintf("%q is neither a CA name (letsencrypt, letsencrypt-staging, zerossl) nor a directory URL", ca)
	}
	u, msg := checkHTTPURL(ca)
	switch {
	case msg != "":
		return fmt.Sprintf("%q %s", shownURL(ca, u), msg)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Sprintf("%q: plain http is only allowed for a CA on this machine (localhost, 127.0.0.0/8, ::1); use https", ca)
	}
	return ""
}

// shownURL is s as messages show it: with any password masked.
func shownURL(s string, u *url.URL) string {
	if u != nil {
		return u.Redacted()
	}
	return s
}

// checkHTTPURL parses an absolute http or https URL without credentials.
// The message says what is wrong without repeating the URL (it reads
// after the URL, or after "the URL"); the URL is returned with it when it
// parsed, so that the caller can show it redacted.
func checkHTTPURL(s string) (*url.URL, string) {
	if !strings.Contains(s, "://") {
		return nil, "is not an absolute URL (write it with its scheme: https://host/path)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Sprintf("is not a URL: %v", unwrapURLError(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("has scheme %q, not http or https", u.Scheme)
	case u.Hostname() == "":
		return nil, "has no host"
	case u.User != nil:
		return u, "has credentials (user:password@), which are not supported"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Sprintf("has port %q, not a number from 1 to 65535", p)
		}
	}
	return u, ""
}

// isLoopback reports whether host is "localhost" or a loopback IP address
// (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkEmail returns what is wrong with an account's contact address, or
// "".
func checkEmail(s string) string {
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		return fmt.Sprintf("%q: write the address without \"mailto:\"", s)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") ||
		strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isControl(r) }) {
		return fmt.Sprintf("%q is not an email address (name@example.com)", s)
	}
	return ""
}

// isBase64URL reports whether s is non-empty base64url, padded or not.
func isBase64URL(s string) bool {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return true
		}
	}
	return false
}

// caRoot checks an ACME CA root file: a regular file holding at least one
// PEM certificate. A configuration built in code only needs the file to
// exist.
func (v *validator) caRoot(key, file string) {
	if file == "" || v.bad(dotted(key)) {
		return
	}
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		v.report(key, "cannot read %q: %v", file, unwrapPathError(err))
		return
	case !fi.Mode().IsRegular():
		v.report(key, "%q is not a regular file (want a PEM file of root certificates)", file)
		return
	case v.c.Path == "":
		return
	}
	data, err := readLimited(file, maxCARoot)
	if err != nil {
		v.report(key, "cannot read %q: %v", file, unwrapPathError(err))
		return
	}
	n := 0
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			v.report(key, "%q: certificate %d: %v", file, n, err)
			return
		}
	}
	if n == 0 {
		v.report(key, "%q holds no PEM certificate (-----BEGIN CERTIFICATE-----)", file)
	}
}

// maxCARoot bounds the size of a CA root file (a system bundle of every
// public root is about 200 KiB).
const maxCARoot = 4 << 20

// readLimited reads a file of at most max bytes.
func readLimited(file string, max int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("larger than %d MiB", max>>20)
	}
	return data, err
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (v *validator) monitor() {
	m := v.c.Monitor
	if !v.bad(dotted("monitor.thresholds")) {
		if len(m.Thresholds) == 0 {
			v.report("monitor.thresholds", "must list at least one time before expiry, e.g. [\"30d\", \"7d\"]")
		}
		seen := map[time.Duration]bool{}
		for i, d := range m.Thresholds {
			switch {
			case d <= 0:
				v.item("monitor.thresholds", i+1, "must be positive (a time before expiry, e.g. \"7d\")")
			case seen[d]:
				v.item("monitor.thresholds", i+1, "%s is listed twice", formatDuration(d))
			}
			seen[d] = true
		}
	}
	if m.Interval <= 0 {
		v.report("monitor.interval", "must be positive")
	}
}

func (v *validator) alerts() {
	a := v.c.Alerts
	if a.Webhook != "" {
		if _, msg := checkHTTPURL(a.Webhook); msg != "" {
			v.report("alerts.webhook", "the URL %s", msg) // not repeated: webhook URLs often hold a token
		}
	} else if !v.bad(dotted("alerts.webhook")) {
		if a.Secret != "" {
			v.report("alerts.secret", "only used with alerts.webhook (it signs the webhook's requests)")
		}
		if v.has("alerts.format") {
			v.report("alerts.format", "only used with alerts.webhook (it is the shape of the webhook's requests)")
		}
		if v.has("alerts.rule") {
			v.report("alerts.rule", "only used with alerts.webhook (alerts are sent to it; without it every event is only logged)")
		}
	}
	switch a.Format {
	case "json", "slack":
	default:
		v.report("alerts.format", "%q is not \"json\" (the event's fields) or \"slack\" (a Slack incoming-webhook message)", a.Format)
	}
	if !validSeverity(a.MinSeverity) {
		v.report("alerts.min_severity", "%v is not one of %s", a.MinSeverity, severityNames)
	}
	if a.Dedup < 0 {
		v.report("alerts.dedup", "%v is negative", a.Dedup)
	}
	names := map[string]int{}
	for i, r := range a.Rules {
		v.alertRule(i, r, names)
	}
}

// MinBackupPassphrase is the shortest backup passphrase accepted, in
// characters: [backup] passphrase, and `portcullis certs backup`'s.
const MinBackupPassphrase = 12

func (v *validator) backup() {
	b, def := v.c.Backup, empty().Backup
	if b.Dir == "" {
		if v.bad(dotted("backup.dir")) {
			return
		}
		for _, f := range []struct {
			key string
			set bool
		}{
			{"backup.interval", b.Interval != def.Interval}, {"backup.keep", b.Keep != def.Keep},
			{"backup.recipients", b.Recipients != nil}, {"backup.passphrase", b.Passphrase != ""},
		} {
			if f.set || v.has(f.key) {
				v.report(f.key, "only used with backup.dir (scheduled backups are off without it)")
			}
		}
		return
	}
	if b.Interval <= 0 {
		v.report("backup.interval", "must be positive")
	}
	if b.Keep < 1 {
		v.report("backup.keep", "must be at least 1, not %d", b.Keep)
	}
	recipients := len(b.Recipients) > 0 || v.bad(dotted("backup.recipients"))
	passphrase := b.Passphrase != "" || v.bad(dotted("backup.passphrase"))
	switch {
	case recipients && passphrase:
		v.report("backup.passphrase", "set either recipients or passphrase, not both")
	case !recipients && !passphrase:
		v.report("backup.recipients", "missing: backups are encrypted: set recipients (age public keys, \"age1...\") or passphrase")
	}
	for i, r := range b.Recipients {
		switch {
		case len(r) >= 15 && strings.EqualFold(r[:15], "AGE-SECRET-KEY-"):
			v.item("backup.recipients", i+1, "an age secret key (not shown): list its public key (age1...) and keep the secret key out of this file")
		case !strings.HasPrefix(r, "age1"):
			v.item("backup.recipients", i+1, "%q is not an age public key (age1...)", r)
		}
	}
	if b.Passphrase != "" && utf8.RuneCountInString(b.Passphrase) < MinBackupPassphrase {
		v.report("backup.passphrase", "shorter than %d characters (the value is not shown): use a long random passphrase", MinBackupPassphrase)
	}
}

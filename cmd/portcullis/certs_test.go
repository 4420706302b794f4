package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/internal/testutil"
)

const day = 24 * time.Hour

// setNow moves the clock of certs list and certs check to t for the rest
// of the test. It changes a package variable: tests calling it must not
// be parallel (and t.Parallel tests never run beside them).
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

// localLeaf opens the local CA under data/ca, as serve does, and makes it
// issue (and persist) the leaf for names; it returns the leaf's
// description.
func localLeaf(t *testing.T, data string, names ...string) certs.Info {
	t.Helper()
	ca, err := certs.OpenLocalCA(datadir.Dir(data).CA(), certs.LocalCAOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	src, err := ca.Source(names)
	if err != nil {
		t.Fatal(err)
	}
	return src.Certificates()[0]
}

// Sites for the configurations of the tests below.
const (
	localSite = `
[[site]]
name = "local"
hosts = ["localhost"]
upstream = "http://127.0.0.1:8000"
`
	filesSite = `
[[site]]
name = "files"
hosts = ["files.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "files"
cert = %q
key = %q
`
	acmeSite = `
[acme]
email = "ops@example.com"

[[site]]
name = "acme"
hosts = ["acme.example.com"]
upstream = "http://127.0.0.1:8000"
[site.cert]
source = "acme"
`
)

// jsonRow is certs list's JSON row, as a script reads it.
type jsonRow struct {
	Site     string    `json:"site"`
	Source   string    `json:"source"`
	Names    []string  `json:"names"`
	Issuer   string    `json:"issuer"`
	KeyType  string    `json:"key_type"`
	Serial   string    `json:"serial"`
	NotAfter time.Time `json:"not_after"`
	DaysLeft *float64  `json:"days_left"`
	RenewAt  time.Time `json:"next_renewal"`
	Problem  string    `json:"problem"`
}

func TestCertsList(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	setNow(t, t0)
	data := t.TempDir()
	local := localLeaf(t, data, "localhost")
	tca := testutil.NewCA(t, "Throwaway Test CA")
	certFile, keyFile := tca.WriteLeaf(t, t.TempDir(), "files", []string{"files.example.com"}, t0.Add(-day), t0.Add(30*day))
	cfg := writeConfig(t, localSite+fmt.Sprintf(filesSite, certFile, keyFile)+acmeSite)

	code, out, errs := runCLI(t, "certs", "list", "--config", cfg, "--data", data)
	if code != 0 || errs != "" {
		t.Fatalf("certs list: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, js, errs := runCLI(t, "certs", "list", "--config", cfg, "--data", data, "--format", "json")
	if code != 0 || errs != "" {
		t.Fatalf("certs list --format json: exit %d\nstderr: %s", code, errs)
	}
	var rows []jsonRow
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, js)
	}

	days := func(f float64) *float64 { return &f }
	want := []struct {
		row   jsonRow
		renew string // the NEXT RENEWAL column
	}{
		{jsonRow{Site: "local", Source: "local", Names: []string{"localhost"}, Issuer: local.Issuer, KeyType: local.KeyType,
			NotAfter: local.NotAfter, RenewAt: local.RenewAt}, local.RenewAt.UTC().Format("2006-01-02 15:04Z")},
		{jsonRow{Site: "files", Source: "files", Names: []string{"files.example.com"}, Issuer: "Throwaway Test CA", KeyType: "ECDSA P-256",
			NotAfter: t0.Add(30 * day), DaysLeft: days(30)}, "external"},
		{jsonRow{Site: "acme", Names: []string{"acme.example.com"}, Problem: "no certificate yet"}, "-"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d JSON rows, want %d:\n%s", len(rows), len(want), js)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+len(want) || !strings.HasPrefix(lines[0], "SITE ") {
		t.Fatalf("text output: want a header and %d rows:\n%s", len(want), out)
	}
	for i, w := range want {
		got := rows[i]
		if got.Site != w.row.Site || got.Source != w.row.Source || strings.Join(got.Names, ",") != strings.Join(w.row.Names, ",") ||
			got.Issuer != w.row.Issuer || got.KeyType != w.row.KeyType || !got.NotAfter.Equal(w.row.NotAfter) ||
			!got.RenewAt.Equal(w.row.RenewAt) || got.Problem != w.row.Problem {
			t.Errorf("JSON row %d:\n got %+v\nwant %+v", i, got, w.row)
		}
		if w.row.DaysLeft != nil && (got.DaysLeft == nil || *got.DaysLeft != *w.row.DaysLeft) {
			t.Errorf("row %d: days_left %v, want %v", i, got.DaysLeft, *w.row.DaysLeft)
		}
		if (got.DaysLeft == nil) != (w.row.Problem != "") {
			t.Errorf("row %d: days_left %v with problem %q", i, got.DaysLeft, got.Problem)
		}
		// The text row says the same.
		cols := strings.Fields(lines[1+i])
		status := w.row.Problem
		if status == "" {
			status = "ok"
		}
		dl := "-"
		if got.DaysLeft != nil {
			dl = fmt.Sprintf("%.1f", *got.DaysLeft)
		}
		line := lines[1+i]
		for _, s := range []string{w.row.Site, strings.Join(w.row.Names, ","), w.row.Issuer, w.row.KeyType, w.renew, status} {
			if !strings.Contains(line, s) {
				t.Errorf("text row %d lacks %q: %s", i, s, line)
			}
		}
		if cols[0] != w.row.Site || !strings.Contains(line, "  "+dl+"  ") {
			t.Errorf("text row %d: want site %q and days left %s: %s", i, w.row.Site, dl, line)
		}
	}
	if d := *rows[0].DaysLeft; d < 6.9 || d > 7 {
		t.Errorf("local leaf: %.2f days left, want about 7 (the local CA's leaves last 7 days)", d)
	}
}

// TestCertsListDataDir: without --data, the data directory is the
// config's data_dir; --data overrides it.
func TestCertsListDataDir(t *testing.T) {
	data := t.TempDir()
	localLeaf(t, data, "localhost")
	cfg := writeConfig(t, fmt.Sprintf("data_dir = %q\n", data)+localSite)
	code, out, errs := runCLI(t, "certs", "list", "--config", cfg, "--format", "json")
	var rows []jsonRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 || rows[0].Problem != "" {
		t.Fatalf("data_dir from the config: exit %d (%v)\n%s%s", code, err, out, errs)
	}
	code, out, errs = runCLI(t, "certs", "list", "--config", cfg, "--format", "json", "--data", t.TempDir())
	rows = nil
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 || rows[0].Problem != "no certificate yet" {
		t.Fatalf("--data overriding data_dir: exit %d (%v)\n%s%s", code, err, out, errs)
	}
}

// TestCertsListMissingFile: a site's certificate file that is not there
// is said to be missing, under its source, not "no certificate yet" as
// for a certificate portcullis has still to issue.
func TestCertsListMissingFile(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone.pem")
	cfg := writeConfig(t, fmt.Sprintf(filesSite, gone, gone+"-key"))
	code, out, errs := runCLI(t, "certs", "list", "--config", cfg, "--data", t.TempDir(), "--format", "json")
	var rows []jsonRow
	want := "certificate file " + gone + " is missing"
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 || rows[0].Source != "files" || rows[0].Problem != want {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errs)
	}
	_, out, _ = runCLI(t, "certs", "list", "--config", cfg, "--data", t.TempDir())
	if f := strings.Fields(strings.Split(out, "\n")[1]); len(f) < 2 || f[1] != "files" || !strings.Contains(out, want) {
		t.Errorf("text row:\n%s", out)
	}
	if code, out, errs := runCLI(t, "certs", "check", "--config", cfg, "--data", t.TempDir()); code != 1 || !strings.Contains(out, want) {
		t.Errorf("certs check: exit %d\n%s%s", code, out, errs)
	}
}

func TestCertsCheck(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	data := t.TempDir()
	local := localLeaf(t, data, "localhost")
	tca := testutil.NewCA(t, "Throwaway Test CA")
	certFile, keyFile := tca.WriteLeaf(t, t.TempDir(), "files", []string{"files.example.com"}, t0.Add(-day), t0.Add(30*day))
	files := fmt.Sprintf(filesSite, certFile, keyFile)
	configs := map[string]string{
		"files":       writeConfig(t, files),
		"local":       writeConfig(t, localSite),
		"local+files": writeConfig(t, localSite+files),
		"with acme":   writeConfig(t, localSite+files+acmeSite),
	}
	tests := []struct {
		name   string
		config string
		at     time.Time // the clock
		flags  []string
		code   int
		outHas []string
		errHas []string
	}{
		{"all valid", "local+files", t0, []string{"--warn", "14d"}, 0,
			// The 7-day local leaf is within 14d of expiry, but renewed long before.
			[]string{"all 2 certificates valid for more than 14d", "1 short-lived"}, nil},
		{"default window", "files", t0, nil, 0, []string{"the 1 certificate valid for more than 14d\n"}, nil},
		{"within the window", "files", t0.Add(20 * day), []string{"--warn", "14d"}, 1,
			[]string{"files.example.com", "expires within 14d"}, []string{"1 of 1 certificates need attention"}},
		{"outside a shorter window", "files", t0.Add(20 * day), []string{"--warn", "7d"}, 0,
			[]string{"the 1 certificate valid for more than 7d"}, nil},
		{"hours", "files", t0.Add(29 * day), []string{"--warn=36h"}, 1, []string{"expires within 36h"}, nil},
		{"expired", "files", t0.Add(31 * day), []string{"--warn", "1d"}, 1, []string{"expired"}, nil},
		{"missing", "with acme", t0, nil, 1,
			[]string{"acme.example.com", "no certificate yet"}, []string{"1 of 3 certificates need attention"}},
		{"renewal overdue", "local", local.RenewAt.Add(time.Hour), nil, 1, []string{"not renewed on schedule"}, nil},
		{"local expired", "local", local.NotAfter.Add(time.Second), nil, 1, []string{"expired"}, nil},
		{"bad --warn", "files", t0, []string{"--warn", "2x"}, 2, nil, []string{"flag --warn", "not a duration"}},
		{"zero --warn", "files", t0, []string{"--warn", "0"}, 2, nil, []string{"must be positive"}},
		{"negative --warn", "files", t0, []string{"--warn", "-1d"}, 2, nil, []string{"flag --warn", "negative"}},
		{"--format is list's", "files", t0, []string{"--format", "json"}, 2, nil, []string{"format"}},
		{"argument", "files", t0, []string{"extra"}, 2, nil, []string{"no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setNow(t, tt.at)
			args := append([]string{"certs", "check", "--config", configs[tt.config], "--data", data}, tt.flags...)
			code, out, errs := runCLI(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errs)
				}
			}
			if tt.code == 0 && strings.Contains(out, "SITE") {
				t.Errorf("a passing check prints a table:\n%s", out)
			}
		})
	}
}

// file is a file's content and permission bits.
type file struct {
	data string
	mode fs.FileMode
}

// snapshot maps the slash-separated paths of the regular files under
// root to their content and mode.
func snapshot(t *testing.T, root string) map[string]file {
	t.Helper()
	m := map[string]file{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = file{string(b), fi.Mode().Perm()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// makeData fills a data directory the way serve does: the local CA and
// one leaf, and ACME storage (account, certificate and key, a lock file).
// It returns the files a backup must hold.
func makeData(t *testing.T) (string, map[string]file) {
	t.Helper()
	data := t.TempDir()
	localLeaf(t, data, "localhost")
	acme := map[string]file{
		"acme/accounts/acme-v02.api.letsencrypt.org-directory/ops@example.com/ops@example.com.json": {`{"status":"valid"}`, 0o600},
		"acme/accounts/acme-v02.api.letsencrypt.org-directory/ops@example.com/ops@example.com.key":  {"-----BEGIN EC PRIVATE KEY-----\naccount\n", 0o600},
		"acme/certificates/acme-v02.api.letsencrypt.org-directory/example.com/example.com.crt":      {"-----BEGIN CERTIFICATE-----\nleaf\n", 0o644},
		"acme/certificates/acme-v02.api.letsencrypt.org-directory/example.com/example.com.key":      {"-----BEGIN EC PRIVATE KEY-----\nleaf\n", 0o600},
		"acme/locks/issue_cert_example.com.lock":                                                    {"{}", 0o644},
	}
	for p, f := range acme {
		full := filepath.Join(data, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshot(t, data)
	delete(want, "acme/locks/issue_cert_example.com.lock") // never backed up
	if len(want) < 7 {
		t.Fatalf("data directory has only %v", want)
	}
	return data, want
}

// wipe empties the data directory.
func wipe(t *testing.T, data string) {
	t.Helper()
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
}

// checkRestored compares the data directory with the files backed up,
// and checks that every private key is 0600.
func checkRestored(t *testing.T, data string, want map[string]file) {
	t.Helper()
	got := snapshot(t, data)
	if len(got) != len(want) {
		t.Errorf("restored %d files, want %d:\n got %v\nwant %v", len(got), len(want), keys(got), keys(want))
	}
	keysSeen := 0
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s not restored", p)
		case g.data != w.data:
			t.Errorf("%s: restored content differs", p)
		case g.mode != w.mode:
			t.Errorf("%s: restored with mode %04o, want %04o", p, g.mode, w.mode)
		}
		if strings.HasSuffix(p, "-key.pem") || strings.HasSuffix(p, ".key") {
			keysSeen++
			if g.mode != 0o600 {
				t.Errorf("private key %s restored with mode %04o", p, g.mode)
			}
		}
	}
	if keysSeen < 4 { // CA root, local leaf, ACME account and leaf
		t.Errorf("only %d private keys checked", keysSeen)
	}
}

func keys(m map[string]file) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writeSecret writes a 0600 file in a new directory.
func writeSecret(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ageKeys returns a recipient and the path of its identity file (0600).
func ageKeys(t *testing.T) (recipient, identityFile string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String(), writeSecret(t, "key.txt", "# created by a test\n"+id.String()+"\n")
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// TestCertsBackupRestoreKeys round-trips backups encrypted to age keys:
// fast, so every variant is covered.
func TestCertsBackupRestoreKeys(t *testing.T) {
	t.Parallel()
	recipient, identity := ageKeys(t)
	other, _ := ageKeys(t)
	recipientsFile := writeSecret(t, "recipients.txt", "# ops\n"+other+"\n"+recipient+"\n")
	tests := []struct {
		name    string
		backup  []string // flags besides --out and --data
		restore func(file, data string) []string
	}{
		{"recipient, file first", []string{"--recipient", recipient},
			func(f, d string) []string { return []string{f, "--identity", identity, "--data", d} }},
		{"two recipients, file last", []string{"--recipient", other, "--recipient", recipient},
			func(f, d string) []string { return []string{"--identity", identity, "--data", d, f} }},
		{"recipients file, armored, file between flags", []string{"--recipients-file", recipientsFile, "--armor"},
			func(f, d string) []string { return []string{"--data", d, f, "--identity", identity} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, want := makeData(t)
			out := filepath.Join(t.TempDir(), "backup.age")
			msg := mustRun(t, append([]string{"certs", "backup", "--out", out, "--data", data}, tt.backup...)...)
			if !strings.Contains(msg, fmt.Sprintf("%d files", len(want))) {
				t.Errorf("backup says %q, want %d files", msg, len(want))
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("backup file: %v, mode %v", err, fi.Mode())
			}
			b, _ := os.ReadFile(out)
			if armored := strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----"); armored != strings.Contains(tt.name, "armored") {
				t.Errorf("armored output: %v", armored)
			}
			wipe(t, data)
			msg = mustRun(t, append([]string{"certs", "restore"}, tt.restore(out, data)...)...)
			if !strings.Contains(msg, fmt.Sprintf("restored %d files", len(want))) {
				t.Errorf("restore says %q", msg)
			}
			checkRestored(t, data, want)
		})
	}
}

// TestCertsBackupPassphrase round-trips a passphrase backup, from a file
// and from the environment. scrypt takes about a second per operation, so
// the cases are few. t.Setenv: not parallel.
func TestCertsBackupPassphrase(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	data, want := makeData(t)
	pass := writeSecret(t, "pass", "correct horse battery staple\n")
	wrong := writeSecret(t, "wrong", "incorrect horse battery staple\n")
	out := filepath.Join(t.TempDir(), "backup.age")
	mustRun(t, "certs", "backup", "--out", out, "--data", data, "--passphrase-file", pass)

	// A wrong passphrase: exit 1, nothing written.
	wipe(t, data)
	code, stdout, errs := runCLI(t, "certs", "restore", out, "--data", data, "--passphrase-file", wrong)
	if code != 1 || !strings.Contains(errs, "cannot decrypt") {
		t.Fatalf("wrong passphrase: exit %d\nstdout: %s\nstderr: %s", code, stdout, errs)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a failed restore created %s", data)
	}

	// The right one, from the environment.
	t.Setenv(passphraseEnv, "correct horse battery staple")
	mustRun(t, "certs", "restore", out, "--data", data)
	checkRestored(t, data, want)

	// A backup with the environment's passphrase, restored with the file.
	out2 := filepath.Join(t.TempDir(), "backup.age")
	mustRun(t, "certs", "backup", "--out", out2, "--data", data)
	wipe(t, data)
	t.Setenv(passphraseEnv, "")
	mustRun(t, "certs", "restore", "--passphrase-file", pass, "--data", data, out2)
	checkRestored(t, data, want)

	// The environment's passphrase does not get in the way of recipients.
	recipient, identity := ageKeys(t)
	t.Setenv(passphraseEnv, "correct horse battery staple")
	out3 := filepath.Join(t.TempDir(), "backup.age")
	mustRun(t, "certs", "backup", "--out", out3, "--data", data, "--recipient", recipient)
	wipe(t, data)
	mustRun(t, "certs", "restore", out3, "--data", data, "--identity", identity)
	checkRestored(t, data, want)

	// Without any recipient: a usage error, and no file.
	t.Setenv(passphraseEnv, "")
	out4 := filepath.Join(t.TempDir(), "backup.age")
	code, _, errs = runCLI(t, "certs", "backup", "--out", out4, "--data", data)
	if code != 2 || !strings.Contains(errs, "say who can decrypt") {
		t.Fatalf("no recipient: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(out4); !os.IsNotExist(err) {
		t.Errorf("backup without recipient left %s", out4)
	}
	code, _, errs = runCLI(t, "certs", "restore", out, "--data", data)
	if code != 2 || !strings.Contains(errs, "say how to decrypt") {
		t.Fatalf("restore without identity: exit %d\n%s", code, errs)
	}
}

func TestCertsBackupErrors(t *testing.T) {
	t.Parallel()
	data, _ := makeData(t)
	recipient, identity := ageKeys(t)
	pass := writeSecret(t, "pass", "correct horse battery staple\n")
	empty := writeSecret(t, "empty", "\n")
	short := writeSecret(t, "short", strings.Repeat("x", config.MinBackupPassphrase-1)+"\n")
	existing := writeSecret(t, "backup.age", "the only good backup")
	fresh := func() string { return filepath.Join(t.TempDir(), "backup.age") }
	tests := []struct {
		name   string
		args   []string
		code   int
		errHas string
	}{
		{"existing --out", []string{"--out", existing, "--data", data, "--recipient", recipient}, 1, "exists"},
		{"no --out", []string{"--data", data, "--recipient", recipient}, 2, "--out"},
		{"argument", []string{"--out", fresh(), "--data", data, "--recipient", recipient, "extra"}, 2, "no arguments"},
		{"bad recipient", []string{"--out", fresh(), "--data", data, "--recipient", "age1nope"}, 2, "recipients"},
		{"secret key as recipient", []string{"--out", fresh(), "--data", data, "--recipients-file", identity}, 1, "recipients"},
		{"missing recipients file", []string{"--out", fresh(), "--data", data, "--recipients-file", filepath.Join(t.TempDir(), "nope")}, 1, "nope"},
		{"passphrase and recipient", []string{"--out", fresh(), "--data", data, "--recipient", recipient, "--passphrase-file", pass}, 2, "exclusive"},
		{"empty passphrase", []string{"--out", fresh(), "--data", data, "--passphrase-file", empty}, 1, "empty passphrase"},
		// The minimum of the configuration's [backup] passphrase.
		{"short passphrase", []string{"--out", fresh(), "--data", data, "--passphrase-file", short}, 2, "the passphrase is shorter than 12 characters"},
		{"no data", []string{"--out", fresh(), "--data", filepath.Join(t.TempDir(), "typo"), "--recipient", recipient}, 1, "nothing to back up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"certs", "backup"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errs, tt.errHas) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.code, tt.errHas, out, errs)
			}
			if b, err := os.ReadFile(existing); err != nil || string(b) != "the only good backup" {
				t.Fatalf("existing file changed (%d bytes now), %v", len(b), err)
			}
			for i, a := range tt.args {
				if a == "--out" && tt.args[i+1] != existing {
					if _, err := os.Stat(tt.args[i+1]); !os.IsNotExist(err) {
						t.Errorf("failed backup left %s", tt.args[i+1])
					}
				}
			}
		})
	}
}

func TestCertsRestoreConflicts(t *testing.T) {
	t.Parallel()
	data, want := makeData(t)
	recipient, identity := ageKeys(t)
	out := filepath.Join(t.TempDir(), "backup.age")
	mustRun(t, "certs", "backup", "--out", out, "--data", data, "--recipient", recipient)

	// One file changed, one removed since the backup.
	changed := filepath.Join(data, "acme", "certificates", "acme-v02.api.letsencrypt.org-directory", "example.com", "example.com.key")
	if err := os.WriteFile(changed, []byte("a newer key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed := filepath.Join(data, "acme", "accounts", "acme-v02.api.letsencrypt.org-directory", "ops@example.com", "ops@example.com.json")
	if err := os.Remove(removed); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, data)
	code, stdout, errs := runCLI(t, "certs", "restore", out, "--data", data, "--identity", identity)
	if code != 1 || !strings.Contains(errs, "example.com.key") || !strings.Contains(errs, "--force") {
		t.Fatalf("conflict: exit %d\nstdout: %s\nstderr: %s", code, stdout, errs)
	}
	after := snapshot(t, data)
	if len(after) != len(before) {
		t.Fatalf("a refused restore changed the files: %v, was %v", keys(after), keys(before))
	}
	for p, f := range before {
		if after[p] != f {
			t.Errorf("a refused restore changed %s", p)
		}
	}

	mustRun(t, "certs", "restore", out, "--data", data, "--identity", identity, "--force")
	got := snapshot(t, data)
	delete(got, "acme/locks/issue_cert_example.com.lock") // left alone: not in the backup
	if len(got) != len(want) {
		t.Fatalf("after --force: %v", keys(got))
	}
	for p, f := range want {
		if got[p] != f {
			t.Errorf("--force did not restore %s", p)
		}
	}

	// Usage errors.
	for _, args := range [][]string{
		{"certs", "restore", "--identity", identity},
		{"certs", "restore", out, out, "--identity", identity},
		{"certs", "restore", out, "--identity", identity, "--bogus"},
		{"certs", "frobnicate"},
		{"certs"},
	} {
		if code, _, errs := runCLI(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "certs", "restore", filepath.Join(t.TempDir(), "nope.age"), "--identity", identity, "--data", data); code != 1 || !strings.Contains(errs, "nope.age") {
		t.Errorf("missing backup file: exit %d\n%s", code, errs)
	}
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/backup"
	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/server"
	"github.com/portcullis/portcullis/spki"
)

const certsUsage = `usage:
  portcullis certs list    [--config FILE] [--data DIR] [--format text|json] [--pins]
  portcullis certs check   [--config FILE] [--data DIR] [--warn 14d]
  portcullis certs backup  --out FILE [--data DIR] (--recipient age1... | --recipients-file F | --passphrase-file F)
  portcullis certs restore FILE [--data DIR] [--identity F | --passphrase-file F] [--force]

A passphrase can also come from the environment variable PORTCULLIS_BACKUP_PASSPHRASE;
it is never taken from the command line, where other users could read it.
`

// passphraseEnv holds a backup passphrase.
const passphraseEnv = "PORTCULLIS_BACKUP_PASSPHRASE"

// now is the clock of certs list and certs check.
var now = time.Now

func cmdCerts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"certs needs a subcommand\n\n" + certsUsage}
	}
	switch args[0] {
	case "list":
		return certsList(args[1:], stdout, stderr, false)
	case "check":
		return certsList(args[1:], stdout, stderr, true)
	case "backup":
		return certsBackup(args[1:], stdout, stderr)
	case "restore":
		return certsRestore(args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown certs subcommand %q\n\n%s", args[0], certsUsage)}
}

// loadOrDefault loads the config file, or the zero-configuration default.
func loadOrDefault(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, configError{err}
	}
	return cfg, nil
}

// certRow is one line of certs list, and its JSON form.
type certRow struct {
	Site     string    `json:"site"`
	Source   string    `json:"source,omitempty"`
	Names    []string  `json:"names"`
	Issuer   string    `json:"issuer,omitempty"`
	KeyType  string    `json:"key_type,omitempty"`
	Serial   string    `json:"serial,omitempty"`
	NotAfter time.Time `json:"not_after,omitzero"`
	DaysLeft *float64  `json:"days_left,omitempty"`
	RenewAt  time.Time `json:"next_renewal,omitzero"`
	Problem  string    `json:"problem,omitempty"`
	// Pins are the SPKI pins of the stored chain, leaf first.
	Pins      []spki.Key `json:"pins,omitempty"`
	remaining time.Duration
}

func certsList(args []string, stdout, stderr io.Writer, check bool) error {
	name := "certs list"
	if check {
		name = "certs check"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded default)")
	dataDir := fs.String("data", defaultDataDir(), "data directory (overrides the config's data_dir)")
	format := "text"
	warn := 14 * 24 * time.Hour
	if check {
		fs.Func("warn", "fail when a certificate expires within this duration (e.g. 14d, 36h); default 14d", func(s string) error {
			d, err := config.ParseDuration(s)
			if err != nil {
				return err
			}
			if d <= 0 {
				return errors.New("must be positive")
			}
			warn = d
			return nil
		})
	} else {
		fs.StringVar(&format, "format", "text", "output format: text or json")
	}
	showPins := false
	if !check {
		fs.BoolVar(&showPins, "pins", false, "also list the SPKI pins of each certificate and its issuers (JSON always has them)")
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments (got %q)", name, fs.Args())}
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Sprintf("unknown format %q (use text or json)", format)}
	}
	cfg, err := loadOrDefault(*cfgPath)
	if err != nil {
		return err
	}
	t := now()
	var rows []certRow
	bad, short := 0, 0
	for _, st := range server.Inventory(cfg, dataDirOf(fs, *dataDir, cfg)) {
		r := certRow{Site: st.Site, Names: st.Names}
		if r.Names == nil {
			r.Names = []string{}
		}
		switch {
		case st.Missing():
			r.Problem = "no certificate yet"
		case st.Err != nil:
			r.Problem = st.Err.Error()
		default:
			i := st.Info
			r.Source, r.Names, r.Issuer, r.KeyType, r.Serial, r.NotAfter, r.RenewAt = i.Source, i.Names, i.Issuer, i.KeyType, i.Serial, i.NotAfter, i.RenewAt
			r.Pins = i.Pins
			r.remaining = i.NotAfter.Sub(t)
			days := float64(r.remaining.Truncate(time.Hour)) / float64(24*time.Hour)
			r.DaysLeft = &days
			within := warnWindow(i, warn)
			switch {
			case r.remaining <= 0:
				r.Problem = "expired"
			case check && r.remaining <= within:
				r.Problem = "expires within " + config.FormatDuration(warn)
				if within < warn {
					r.Problem = "not renewed on schedule, expires within " + config.FormatDuration(within)
				}
			case check && r.remaining <= warn:
				short++ // renewed automatically before it gets that close
			}
		}
		if r.Problem != "" {
			bad++
		}
		rows = append(rows, r)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []certRow{}
		}
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else if !check || bad > 0 {
		printCerts(stdout, rows, t, check)
		if showPins {
			printPins(stdout, rows)
		}
	}
	if check && bad > 0 {
		fmt.Fprintf(stderr, "portcullis: %d of %d certificates need attention\n", bad, len(rows))
		return exitCode(1)
	}
	if check {
		msg := fmt.Sprintf("all %d certificates valid for more than %s", len(rows), config.FormatDuration(warn))
		if short > 0 {
			msg += fmt.Sprintf(" or renewed on schedule (%d short-lived)", short)
		}
		fmt.Fprintln(stdout, msg)
	}
	return nil
}

// warnWindow is how close to expiry a certificate may get before certs
// check fails: warn, or, for a certificate portcullis renews itself that
// is renewed closer to expiry than that (short-lived certificates: the
// local CA's 7-day leaves, ACME "shortlived" profiles), the time between
// its next renewal and its expiry, so that only a renewal that is overdue
// fails the check.
func warnWindow(i certs.Info, warn time.Duration) time.Duration {
	if i.RenewAt.IsZero() {
		return warn
	}
	return min(warn, i.NotAfter.Sub(i.RenewAt))
}

// dataDirOf is the data directory a command uses: --data when given, else
// the configuration's data_dir, else the default.
func dataDirOf(fs *flag.FlagSet, flagValue string, cfg *config.Config) string {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "data" })
	if !given && cfg != nil && cfg.DataDir != "" {
		return cfg.DataDir
	}
	return flagValue
}

func printCerts(w io.Writer, rows []certRow, t time.Time, onlyProblems bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tSOURCE\tNAMES\tISSUER\tKEY\tNOT AFTER\tDAYS LEFT\tNEXT RENEWAL\tSTATUS")
	for _, r := range rows {
		if onlyProblems && r.Problem == "" {
			continue
		}
		status := "ok"
		if r.Problem != "" {
			status = r.Problem
		}
		notAfter, days, renew := "-", "-", "-"
		if !r.NotAfter.IsZero() {
			notAfter = r.NotAfter.UTC().Format("2006-01-02 15:04Z")
			days = fmt.Sprintf("%.1f", *r.DaysLeft)
		}
		if !r.RenewAt.IsZero() {
			renew = r.RenewAt.UTC().Format("2006-01-02 15:04Z")
			if !r.RenewAt.After(t) {
				renew = "due now"
			}
		} else if r.Source == "files" {
			renew = "external"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Site, dash(r.Source), dash(strings.Join(r.Names, ",")),
			dash(r.Issuer), dash(r.KeyType), notAfter, days, renew, status)
	}
	tw.Flush()
}

// printPins lists the SPKI pins of each certificate's chain, in the form
// `portcullis audit --pin` takes; docs/certificates.md says which to pin.
func printPins(w io.Writer, rows []certRow) {
	fmt.Fprintln(w, "\nSPKI pins (sha256/BASE64; HPKP's pin-sha256 and curl's --pinnedpubkey sha256//BASE64 take the same BASE64):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tNAMES\tROLE\tSUBJECT\tPIN")
	for _, r := range rows {
		for _, p := range r.Pins {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Site, dash(strings.Join(r.Names, ",")), p.Role, p.Subject, p.Pin)
		}
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// recipientFlags collects how a backup is encrypted.
type recipientFlags struct {
	recipients     []string
	recipientsFile string
	passphraseFile string
}

func certsBackup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certs backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", defaultDataDir(), "data directory")
	out := fs.String("out", "", "backup file to write (required)")
	var rf recipientFlags
	fs.Func("recipient", "age public key (age1...) that can decrypt the backup; repeatable", func(s string) error {
		rf.recipients = append(rf.recipients, s)
		return nil
	})
	fs.StringVar(&rf.recipientsFile, "recipients-file", "", "file of age public keys, one per line")
	fs.StringVar(&rf.passphraseFile, "passphrase-file", "", "file whose first line is the passphrase (or set "+passphraseEnv+")")
	armor := fs.Bool("armor", false, "write ASCII-armored output")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *out == "" || fs.NArg() > 0 {
		return usageError{"certs backup needs --out FILE and no arguments\n\n" + certsUsage}
	}
	rs, err := rf.parse()
	if err != nil {
		return err
	}
	opts := server.BackupOptions(rs, nil)
	opts.Armor = *armor
	// A mistyped --data would otherwise make a valid, empty backup.
	if !hasAny(*dataDir, opts.Paths) {
		return fmt.Errorf("backup: nothing to back up: %s has none of %s (is --data right?)", *dataDir, strings.Join(opts.Paths, ", "))
	}
	// O_EXCL: an existing file, perhaps the only good backup, is never
	// replaced.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s exists; an existing file is never overwritten: choose another --out", *out)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m, err := backup.Create(f, *dataDir, opts)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d files from %s\n", *out, len(m.Files), *dataDir)
	return nil
}

// hasAny reports whether any of the slash-separated paths exists under
// dir.
func hasAny(dir string, paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			return true
		}
	}
	return false
}

func (rf recipientFlags) parse() ([]age.Recipient, error) {
	var rs []age.Recipient
	if len(rf.recipients) > 0 {
		parsed, err := backup.ParseRecipients(strings.NewReader(strings.Join(rf.recipients, "\n")))
		if err != nil {
			return nil, usageError{err.Error()}
		}
		rs = append(rs, parsed...)
	}
	if rf.recipientsFile != "" {
		f, err := os.Open(rf.recipientsFile)
		if err != nil {
			return nil, err
		}
		parsed, err := backup.ParseRecipients(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rf.recipientsFile, err)
		}
		rs = append(rs, parsed...)
	}
	if rf.passphraseFile != "" && len(rs) > 0 {
		return nil, usageError{"--passphrase-file and recipients are exclusive"}
	}
	// The environment's passphrase is a fallback: recipients on the
	// command line win over it.
	pass := ""
	if len(rs) == 0 {
		p, err := passphrase(rf.passphraseFile)
		if err != nil {
			return nil, err
		}
		pass = p
	}
	if pass != "" {
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, usageError{"say who can decrypt the backup: --recipient, --recipients-file, --passphrase-file or " + passphraseEnv}
	}
	return rs, nil
}

// passphrase reads the first line of file, else the environment.
func passphrase(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		p, _, _ := strings.Cut(string(b), "\n")
		p = strings.TrimSuffix(p, "\r")
		if p == "" {
			return "", fmt.Errorf("%s: empty passphrase", file)
		}
		return p, nil
	}
	return os.Getenv(passphraseEnv), nil
}

func certsRestore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certs restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", defaultDataDir(), "data directory to restore into")
	identity := fs.String("identity", "", "file of age identities (AGE-SECRET-KEY-...) to decrypt with")
	passFile := fs.String("passphrase-file", "", "file whose first line is the passphrase (or set "+passphraseEnv+")")
	force := fs.Bool("force", false, "overwrite files whose content differs")
	// The file may come before, between or after the flags.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageError{"certs restore takes one backup file\n\n" + certsUsage}
	}
	file := files[0]
	var ids []age.Identity
	if *identity != "" {
		f, err := os.Open(*identity)
		if err != nil {
			return err
		}
		ids, err = backup.ParseIdentities(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *identity, err)
		}
	}
	pass, err := passphrase(*passFile)
	if err != nil {
		return err
	}
	if pass != "" {
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return usageError{"say how to decrypt the backup: --identity, --passphrase-file or " + passphraseEnv}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := backup.Restore(f, *dataDir, backup.RestoreOptions{Identities: ids, Force: *force})
	var conflict *backup.ConflictError
	if errors.As(err, &conflict) {
		return fmt.Errorf("restore: %d existing file(s) in %s differ from the backup, nothing was restored (--force overwrites them): %s",
			len(conflict.Paths), *dataDir, strings.Join(conflict.Paths, ", "))
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %d files into %s (backup of %s); start or restart portcullis serve to use them\n",
		len(m.Files), *dataDir, m.Created.UTC().Format(time.RFC3339))
	return nil
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/backup"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/server"
)

const certsUsage = `usage:
  portcullis certs list    [--config FILE] [--data DIR] [--format text|json]
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
	Site      string    `json:"site"`
	Source    string    `json:"source,omitempty"`
	Names     []string  `json:"names"`
	Issuer    string    `json:"issuer,omitempty"`
	KeyType   string    `json:"key_type,omitempty"`
	Serial    string    `json:"serial,omitempty"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	DaysLeft  *float64  `json:"days_left,omitempty"`
	RenewAt   time.Time `json:"next_renewal,omitzero"`
	Problem   string    `json:"problem,omitempty"`
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
	dataDir := fs.String("data", defaultDataDir(), "data directory")
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
	bad := 0
	for _, st := range server.Inventory(cfg, *dataDir) {
		r := certRow{Site: st.Site, Names: st.Names}
		switch {
		case st.Missing():
			r.Problem = "no certificate yet"
		case st.Err != nil:
			r.Problem = st.Err.Error()
		default:
			i := st.Info
			r.Source, r.Names, r.Issuer, r.KeyType, r.Serial, r.NotAfter, r.RenewAt = i.Source, i.Names, i.Issuer, i.KeyType, i.Serial, i.NotAfter, i.RenewAt
			r.remaining = i.NotAfter.Sub(t)
			days := float64(r.remaining.Truncate(time.Hour)) / float64(24*time.Hour)
			r.DaysLeft = &days
			if r.remaining <= 0 {
				r.Problem = "expired"
			} else if check && r.remaining <= warn {
				r.Problem = "expires within " + config.FormatDuration(warn)
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
	} else {
		printCerts(stdout, rows, t, check)
	}
	if check && bad > 0 {
		fmt.Fprintf(stderr, "portcullis: %d of %d certificates need attention\n", bad, len(rows))
		return exitCode(1)
	}
	if check {
		fmt.Fprintf(stdout, "all %d certificates valid for more than %s\n", len(rows), config.FormatDuration(warn))
	}
	return nil
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
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m, err := backup.Create(f, *dataDir, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d files from %s\n", *out, len(m.Files), *dataDir)
	return nil
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
	pass, err := passphrase(rf.passphraseFile)
	if err != nil {
		return nil, err
	}
	if pass != "" {
		if len(rs) > 0 {
			return nil, usageError{"a passphrase and recipients are exclusive"}
		}
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
	// The file may come before the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		return usageError{"certs restore takes one backup file\n\n" + certsUsage}
	}
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
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %d files into %s (backup of %s); start or restart portcullis serve to use them\n",
		len(m.Files), *dataDir, m.Created.UTC().Format(time.RFC3339))
	return nil
}

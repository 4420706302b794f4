package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/backup"
	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/server"
	"github.com/portcullis/portcullis/spki"
)

// passphraseEnv holds a backup passphrase.
const passphraseEnv = "PORTCULLIS_BACKUP_PASSPHRASE"

// now is the clock of certs list and certs check.
var now = time.Now

func newCertsCmd() *cobra.Command {
	return group("certs", "List certificates, check expiry (cron/CI), back up and restore keys",
		`certs describes the certificates a configuration serves, as stored on disk (no server needs to
run), checks their expiry for cron or CI, and backs up and restores the local CA, the ACME account
and the keys as an age-encrypted archive.

A passphrase can also come from the environment variable `+passphraseEnv+`;
it is never taken from the command line, where other users could read it.`,
		newCertsListCmd(false), newCertsListCmd(true), newCertsBackupCmd(), newCertsRestoreCmd(),
	)
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

// listFlags are the flags of certs list and certs check.
type listFlags struct {
	config, data string
	dataGiven    bool
	format       string        // list
	pins         bool          // list
	warn         time.Duration // check
}

func newCertsListCmd(check bool) *cobra.Command {
	o := listFlags{format: "text", warn: 14 * 24 * time.Hour}
	c := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the certificates a configuration serves: names, issuer, expiry, next renewal",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dataGiven = cmd.Flags().Changed("data")
			return certsList(o, cmd.OutOrStdout(), cmd.ErrOrStderr(), check)
		},
	}
	if check {
		c.Use = "check [flags]"
		c.Short = "Exit 1 when a certificate is missing, expired or expires soon (for cron and CI)"
		c.Long = `check prints nothing but a summary when every certificate is valid for longer than --warn (or is
renewed by portcullis on schedule), and otherwise the certificates that need attention, with exit
status 1.`
	}
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "config file (default: the embedded default)")
	f.StringVar(&o.data, "data", datadir.Default().String(), "data directory (overrides the config's data_dir)")
	c.MarkFlagFilename("config", "toml")
	c.MarkFlagDirname("data")
	if check {
		f.Func("warn", "fail when a certificate expires within this duration (e.g. 14d, 36h); default 14d", func(s string) error {
			d, err := config.ParseDuration(s)
			if err != nil {
				return err
			}
			if d <= 0 {
				return errors.New("must be positive")
			}
			o.warn = d
			return nil
		})
	} else {
		f.StringVar(&o.format, "format", "text", "output format: text or json")
		f.BoolVar(&o.pins, "pins", false, "also list the SPKI pins of each certificate and its issuers (JSON always has them)")
		c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return c
}

func certsList(o listFlags, stdout, stderr io.Writer, check bool) error {
	format, warn, showPins := o.format, o.warn, o.pins
	if format != "text" && format != "json" {
		return usageError{fmt.Sprintf("unknown format %q (use text or json)", format)}
	}
	cfg, err := loadOrDefault(o.config)
	if err != nil {
		return err
	}
	t := now()
	var rows []certRow
	bad, short := 0, 0
	for _, st := range server.Inventory(cfg, dataDirOf(o.dataGiven, o.data, cfg)) {
		r := certRow{Site: st.Site, Names: st.Names}
		if r.Names == nil {
			r.Names = []string{}
		}
		switch {
		case st.Missing():
			r.Problem = "no certificate yet"
		case st.Err != nil:
			r.Problem, r.Source = st.Err.Error(), st.Source
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
		all := fmt.Sprintf("all %d certificates", len(rows))
		if len(rows) == 1 {
			all = "the 1 certificate"
		}
		msg := fmt.Sprintf("%s valid for more than %s", all, config.FormatDuration(warn))
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

func newCertsBackupCmd() *cobra.Command {
	var data, out string
	var armor bool
	var rf recipientFlags
	c := &cobra.Command{
		Use:   "backup --out FILE [flags]",
		Short: "Write an encrypted backup of the local CA, the ACME account and the keys",
		Long: `backup writes an age-encrypted archive of the data directory's certificate state (the local CA,
the ACME account, certificates and keys) to a new file; an existing file is never overwritten.
Encrypt it to age public keys (--recipient, --recipients-file) or to a passphrase of at least ` + fmt.Sprint(config.MinBackupPassphrase) + `
characters (--passphrase-file, or ` + passphraseEnv + `).`,
		Example: `  portcullis certs backup --out backup.age --recipient age1...
  ` + passphraseEnv + `=... portcullis certs backup --out backup.age --data /var/lib/portcullis`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{"certs backup needs --out FILE"}
			}
			return certsBackup(data, out, armor, rf, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&data, "data", datadir.Default().String(), "data directory")
	f.StringVar(&out, "out", "", "backup file to write (required)")
	f.StringArrayVar(&rf.recipients, "recipient", nil, "age public key (age1...) that can decrypt the backup; repeatable")
	f.StringVar(&rf.recipientsFile, "recipients-file", "", "file of age public keys, one per line")
	f.StringVar(&rf.passphraseFile, "passphrase-file", "", "file whose first line is the passphrase (or set "+passphraseEnv+")")
	f.BoolVar(&armor, "armor", false, "write ASCII-armored output")
	c.MarkFlagDirname("data")
	return c
}

func certsBackup(dataDir, out string, armor bool, rf recipientFlags, stdout io.Writer) error {
	rs, err := rf.parse()
	if err != nil {
		return err
	}
	opts := server.BackupOptions(rs, nil)
	opts.Armor = armor
	// A mistyped --data would otherwise make a valid, empty backup.
	if !hasAny(dataDir, opts.Paths) {
		return fmt.Errorf("backup: nothing to back up: %s has none of %s (is --data right?)", dataDir, strings.Join(opts.Paths, ", "))
	}
	// O_EXCL: an existing file, perhaps the only good backup, is never
	// replaced.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s exists; an existing file is never overwritten: choose another --out", out)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m, err := backup.Create(f, dataDir, opts)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d files from %s\n", out, len(m.Files), dataDir)
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
		// The configuration's [backup] passphrase has the same minimum.
		if utf8.RuneCountInString(pass) < config.MinBackupPassphrase {
			return nil, usageError{fmt.Sprintf("the passphrase is shorter than %d characters: use a long random passphrase", config.MinBackupPassphrase)}
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

func newCertsRestoreCmd() *cobra.Command {
	var data, identity, passFile string
	var force bool
	c := &cobra.Command{
		Use:   "restore FILE [flags]",
		Short: "Restore a backup into the data directory (nothing is written unless all of it is valid)",
		Long: `restore decrypts and checks the whole backup before writing anything, and refuses to overwrite a
file whose content differs unless --force is given. Start or restart serve afterwards.`,
		Example: `  portcullis certs restore backup.age --identity key.txt --data /var/lib/portcullis`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"certs restore takes one backup file"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return certsRestore(args[0], data, identity, passFile, force, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&data, "data", datadir.Default().String(), "data directory to restore into")
	f.StringVar(&identity, "identity", "", "file of age identities (AGE-SECRET-KEY-...) to decrypt with")
	f.StringVar(&passFile, "passphrase-file", "", "file whose first line is the passphrase (or set "+passphraseEnv+")")
	f.BoolVar(&force, "force", false, "overwrite files whose content differs")
	c.MarkFlagDirname("data")
	return c
}

func certsRestore(file, dataDir, identity, passFile string, force bool, stdout io.Writer) error {
	var ids []age.Identity
	if identity != "" {
		f, err := os.Open(identity)
		if err != nil {
			return err
		}
		ids, err = backup.ParseIdentities(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", identity, err)
		}
	}
	pass, err := passphrase(passFile)
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
	m, err := backup.Restore(f, dataDir, backup.RestoreOptions{Identities: ids, Force: force})
	var conflict *backup.ConflictError
	if errors.As(err, &conflict) {
		return fmt.Errorf("restore: %d existing file(s) in %s differ from the backup, nothing was restored (--force overwrites them): %s",
			len(conflict.Paths), dataDir, strings.Join(conflict.Paths, ", "))
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %d files into %s (backup of %s); start or restart portcullis serve to use them\n",
		len(m.Files), dataDir, m.Created.UTC().Format(time.RFC3339))
	return nil
}

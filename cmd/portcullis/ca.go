package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/truststore"
)

// newCACmd groups the commands about the local CA, which `serve` creates
// in its data directory for localhost names: where its root is, and
// installing it in (or removing it from) the system's and browsers' trust
// stores (package truststore).
func newCACmd() *cobra.Command {
	return group("ca", "The local CA: its root certificate, and trusting it on this machine",
		`The local CA issues the certificates of localhost names. 'portcullis serve' creates it in its data
directory on first use; it is name-constrained to localhost names and loopback addresses, so
trusting it lets it vouch for nothing else.`,
		newCAPathCmd(),
		newCATrustCmd(true),
		newCATrustCmd(false),
	)
}

// newCATrustCmd is `ca install` (install true) or `ca uninstall`.
func newCATrustCmd(install bool) *cobra.Command {
	var (
		data                     string
		skipSystem, skipBrowsers bool
	)
	use, short, long := "install [flags]", "Trust the local CA's root in the system's store and the browsers' (like mkcert -install)",
		`install adds the local CA's root to the system's trust store (Debian and Ubuntu's
ca-certificates, Fedora's ca-trust, the macOS System keychain) and to the NSS databases of
Chromium and every Firefox profile of the user, so that curl, browsers and other programs accept
https://localhost from 'portcullis serve' without a warning. The system's store needs root (run it
with sudo: the browsers' stores are then those of the user sudo was run by); without root, the
browsers' stores are still changed and the command says what sudo would do. It creates the CA
first if no serve has yet. Running it again changes nothing.

Exit status: 0 when every store was changed or already right; 1 when one failed.`
	if !install {
		use, short, long = "uninstall [flags]", "Remove the local CA's root from the system's store and the browsers'",
			`uninstall removes the local CA's root from every store 'ca install' adds it to.

Exit status: 0 when it is in none of them any more; 1 when one failed.`
	}
	c := &cobra.Command{
		Use: use, Short: short, Long: long, Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d := datadir.Dir(data)
			var root *x509.Certificate
			if install {
				ca, err := certs.OpenLocalCA(d.CA(), certs.LocalCAOptions{})
				if err != nil {
					return err
				}
				root = ca.Root()
			} else {
				chain, err := certs.ReadChain(d.Root())
				if err != nil || len(chain) == 0 {
					return fmt.Errorf("no local CA at %s: nothing to uninstall (%v)", d.Root(), err)
				}
				root = chain[0]
			}
			o := truststore.Options{SkipSystem: skipSystem, SkipNSS: skipBrowsers}
			op := truststore.Install
			if !install {
				op = truststore.Uninstall
			}
			stores, err := op(root, o)
			for _, s := range stores {
				fmt.Fprintln(cmd.OutOrStdout(), s)
			}
			if errors.Is(err, truststore.ErrNeedRoot) {
				fmt.Fprintln(cmd.ErrOrStderr(), "portcullis: the system's trust store needs root: rerun with sudo")
			}
			return err
		},
	}
	c.Flags().StringVar(&data, "data", datadir.Default().String(), "data directory of the local CA")
	c.Flags().BoolVar(&skipSystem, "skip-system", false, "leave the system's trust store alone")
	c.Flags().BoolVar(&skipBrowsers, "skip-browsers", false, "leave the browsers' NSS databases alone")
	c.MarkFlagDirname("data")
	return c
}

func newCAPathCmd() *cobra.Command {
	var data string
	c := &cobra.Command{
		Use:     "path [flags]",
		Short:   "Print the path of the local CA root certificate to trust",
		Example: `  curl --cacert "$(portcullis ca path)" https://localhost:8443/`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p := datadir.Dir(data).Root()
			if _, err := os.Stat(p); err != nil {
				return fmt.Errorf("no local CA yet at %s: it is created by the first 'portcullis serve'", p)
			}
			fmt.Fprintln(cmd.OutOrStdout(), p)
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", datadir.Default().String(), "data directory")
	c.MarkFlagDirname("data")
	return c
}

package backup

import (
	"fmt"
	"io"

	"filippo.io/age"
)

// ParseRecipients parses an age recipients file: one public key per line
// ("age1..." X25519 or "age1pq1..." post-quantum hybrid), blank lines and
// "#" comments ignored. SSH keys and plugins are not accepted.
func ParseRecipients(r io.Reader) ([]age.Recipient, error) {
	recs, err := age.ParseRecipients(r)
	if err != nil {
		return nil, fmt.Errorf("backup: recipients: %w (expected one age public key \"age1...\" per line; a private key \"AGE-SECRET-KEY-1...\" belongs in the identities file used to restore)", err)
	}
	return recs, nil
}

// ParseIdentities parses an age identities file, as written by age-keygen:
// one private key per line ("AGE-SECRET-KEY-1..." or
// "AGE-SECRET-KEY-PQ-1..."), blank lines and "#" comments ignored. Errors
// never quote the file's content, which may be secret.
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(r)
	if err != nil {
		return nil, fmt.Errorf("backup: identities: %w (expected one age private key \"AGE-SECRET-KEY-1...\" per line, as written by age-keygen)", err)
	}
	return ids, nil
}

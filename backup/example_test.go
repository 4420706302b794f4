package backup_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/portcullis/portcullis/backup"
)

// Back up the local CA with a passphrase, then restore it elsewhere.
func Example() {
	tmp, err := os.MkdirTemp("", "portcullis-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	state := filepath.Join(tmp, "state")
	os.MkdirAll(filepath.Join(state, "ca"), 0o700)
	os.WriteFile(filepath.Join(state, "ca", "root.pem"), []byte("root certificate\n"), 0o644)
	os.WriteFile(filepath.Join(state, "ca", "root-key.pem"), []byte("root key\n"), 0o600)

	rec, err := age.NewScryptRecipient("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	rec.SetWorkFactor(10) // keeps the example fast; keep the default (2^18) in production
	var encrypted bytes.Buffer
	m, err := backup.Create(&encrypted, state, backup.Options{
		Paths:      []string{"ca", "acme"}, // no ACME state yet: skipped
		Recipients: []age.Recipient{rec},
		Armor:      true,
		Now:        func() time.Time { return time.Date(2026, 11, 23, 10, 15, 0, 0, time.UTC) },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", m.Created.Format(time.RFC3339))
	for _, f := range m.Files {
		fmt.Printf("archived %s (%04o, %d bytes)\n", f.Path, f.Mode, f.Size)
	}

	id, err := age.NewScryptIdentity("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	restored := filepath.Join(tmp, "restored")
	if _, err := backup.Restore(&encrypted, restored, backup.RestoreOptions{Identities: []age.Identity{id}}); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(restored, "ca", "root.pem"))
	fmt.Printf("restored ca/root.pem: %q\n", b)
	fi, _ := os.Stat(filepath.Join(restored, "ca", "root-key.pem"))
	fmt.Printf("ca/root-key.pem is %04o\n", fi.Mode().Perm())
	// Output:
	// created 2026-11-23T10:15:00Z
	// archived ca/root-key.pem (0600, 9 bytes)
	// archived ca/root.pem (0644, 17 bytes)
	// restored ca/root.pem: "root certificate\n"
	// ca/root-key.pem is 0600
}

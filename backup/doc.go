// Package backup writes and restores one encrypted archive of portcullis's
// certificate state: the local CA (root certificate and key, issued
// leaves) and the ACME storage (certificates, their private keys, the ACME
// account and its key).
//
// # What is archived
//
// [Create] archives the regular files under a root directory, or only
// under the subtrees named in [Options.Paths] (for example "ca" and
// "acme"; a subtree that does not exist is skipped). It always leaves out
// the temporary files of internal/atomicfile (".<name>.tmp-<hex>"), a
// root-level "portcullis-backup.json" (left behind by a restore by hand),
// sockets, devices and named pipes, and whatever [Options.Exclude] rejects
// (lock files, for example). A symbolic link is an error naming it: a
// backup must not silently miss a key, nor archive a file from outside the
// root. File names must be valid archive paths (no backslash, for
// example); Create refuses the others rather than write a backup that
// [Restore] would reject.
//
// # Format
//
// A backup is an age-encrypted (https://age-encryption.org/v1) tar file,
// optionally ASCII-armored. It is encrypted either to a passphrase (scrypt)
// or to one or more X25519 public keys ("age1..."). The first tar entry is
// "portcullis-backup.json", the [Manifest]: format version (1), creation
// time and, for every file, its slash-separated path relative to the root,
// permission bits (a JSON number: 384 is 0600, 420 is 0644), size and
// SHA-256. Then comes one regular-file entry per
// manifest file; directories are implicit. Entries carry the backup's
// creation time as their modification time.
//
// # Restoring
//
// [Restore] decrypts the archive (armored or binary), reads it into memory
// (at most [RestoreOptions.MaxSize] bytes) and validates all of it before
// it writes anything: the manifest comes first and has a supported
// version; every path is relative and clean, without "..", backslash or
// NUL; every entry is a regular file whose size and SHA-256 match the
// manifest; no path appears twice, none is both a file and a directory,
// and the archive holds exactly the manifest's files. It then compares
// with the files already in the root: an identical file is left alone, a
// different one is a conflict ([ConflictError]) unless
// [RestoreOptions.Force] is set, and with a conflict nothing at all is
// written. An existing symbolic link or other non-regular file in the way
// is always an error: Restore never writes through a link. Files already in
// the root but not in the backup are left untouched.
//
// To restore by hand with the age command-line tool (which detects armor
// by itself), into an empty directory, with a umask that keeps the
// directories tar creates private:
//
//	umask 077
//	mkdir -p /var/lib/portcullis && cd /var/lib/portcullis
//	age -d backup.age | tar -xf -                # asks for the passphrase
//	age -d -i key.txt backup.age | tar -xf -     # or with an identity file
//	sha256sum ca/*    # compare with portcullis-backup.json, then remove it
//
// Tar applies the modes recorded in its headers (the original ones), not
// the tightening rules below, and does none of Restore's checks.
//
// # Permissions
//
// Every directory Restore creates or writes into, the root included, ends
// up 0700 (atomicfile.EnsureDir tightens an existing looser one). Files are
// written atomically with the mode recorded in the manifest, but never
// looser than 0644 (execute bits and group or other write are dropped), and
// private keys are always written 0600 whatever the archive says: files
// whose name ends in ".key" or "-key.pem", and every file under
// "acme/accounts/" or under a directory named "keys". An existing file
// identical to the backup's is not rewritten, so its mode is left as it
// is. Backup files written
// by [Schedule] are 0600 in a 0700 directory.
package backup

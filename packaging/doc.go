// Package packaging tests what a release ships: the archives, checksums and
// Debian packages scripts/release.sh builds, the systemd unit
// (packaging/systemd/portcullis.service), the packaged configuration
// (packaging/portcullis.toml) and the Debian maintainer scripts
// (packaging/debian/). It has no code of its own; docs/install.md is the
// user's side of it.
//
// The tests run the real script for one target, this machine's linux
// architecture, and inspect its output with the real tools: sha256sum,
// dpkg-deb, systemd-analyze, and the packaged binary itself.
package packaging

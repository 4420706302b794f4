// Package version holds the version a release build stamps into the binary.
//
// scripts/release.sh sets it with
//
//	-ldflags "-X github.com/portcullis/portcullis/internal/version.Version=v1.2.3"
//
// so that a build from a tree without the release's tag still reports the
// release. Empty (every other build) means: report the module version and
// VCS data from runtime/debug.ReadBuildInfo instead.
package version

// Version is the release version, set by release builds; empty otherwise.
var Version string

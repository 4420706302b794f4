//go:build unix

package certs

import (
	"io/fs"
	"syscall"
)

// fileIdentity returns the device and inode of a file, so that a file
// replaced by rename is noticed even with the same size and mtime.
func fileIdentity(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

package tlsprobe

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a protocol version as it appears on the wire.
type Version uint16

// The protocol versions the prober knows.
const (
	SSL30 Version = 0x0300
	TLS10 Version = 0x0301
	TLS11 Version = 0x0302
	TLS12 Version = 0x0303
	TLS13 Version = 0x0304
)

// allVersions lists the versions Probe tests, oldest first.
var allVersions = []Version{SSL30, TLS10, TLS11, TLS12, TLS13}

// String returns "SSL 3.0", "TLS 1.0" … "TLS 1.3", or "0x%04x" for other values.
func (v Version) String() string {
	switch v {
	case SSL30:
		return "SSL 3.0"
	case TLS10, TLS11, TLS12, TLS13:
		return "TLS 1." + strconv.Itoa(int(v)-int(TLS10))
	}
	return fmt.Sprintf("0x%04x", uint16(v))
}

// MarshalText encodes v as its String form, so that JSON reports (and their map
// keys) read "TLS 1.2" rather than 771.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText accepts what MarshalText writes: a version name ("TLS 1.2") or a
// hexadecimal value ("0x0303").
func (v *Version) UnmarshalText(b []byte) error {
	s := string(b)
	for _, known := range allVersions {
		if s == known.String() {
			*v = known
			return nil
		}
	}
	if hex, ok := strings.CutPrefix(s, "0x"); ok && len(hex) == 4 {
		n, err := strconv.ParseUint(hex, 16, 16)
		if err == nil {
			*v = Version(n)
			return nil
		}
	}
	return fmt.Errorf("tlsprobe: unknown protocol version %q", s)
}

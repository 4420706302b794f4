package content

import "strings"

// digestSizes are the hash algorithms of Subresource Integrity and their
// digest lengths in bytes.
var digestSizes = map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}

// integrityHash is one well-formed item of an integrity attribute.
type integrityHash struct {
	algo  string // "sha256", "sha384" or "sha512"
	value string // base64 or base64url digest, as written
}

// parseIntegrity returns the well-formed hashes of an integrity attribute
// (W3C SRI, "parse metadata"): whitespace-separated items
// "<algorithm>-<base64 value>[?options]" whose algorithm is sha256, sha384
// or sha512 (case-insensitively). Other items are ignored, as browsers do;
// when none is well-formed, ok is false and browsers check nothing.
func parseIntegrity(v string) (hashes []integrityHash, ok bool) {
	for _, item := range strings.Fields(v) {
		if i := strings.IndexByte(item, '?'); i >= 0 {
			item = item[:i]
		}
		algo, val, found := strings.Cut(item, "-")
		algo = strings.ToLower(algo)
		if !found || digestSizes[algo] == 0 || !isBase64Value(val) {
			continue
		}
		hashes = append(hashes, integrityHash{algo, val})
	}
	return hashes, len(hashes) > 0
}

// isBase64Value matches the CSP/SRI base64-value grammar:
// 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) *2"=".
func isBase64Value(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" || len(s)-len(body) > 2 {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// digestLen returns how many bytes a well-formed base64 value decodes to.
func digestLen(val string) int {
	return len(strings.TrimRight(val, "=")) * 6 / 8
}

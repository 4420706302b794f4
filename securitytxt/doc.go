// Package securitytxt models, renders, parses, validates and serves
// security.txt files as defined by RFC 9116.
//
// A [File] holds the standard fields (Contact, Expires, Encryption,
// Acknowledgments, Preferred-Languages, Canonical, Policy, Hiring), unknown
// fields as [Field] extensions, and comments. [File.Render] writes it out,
// [Parse] reads one back tolerantly, [Validate] checks it against the RFC and
// [Check] does both for a fetched file. [Handler] serves a File over HTTP,
// optionally rolling its Expires forward so it never goes stale.
//
// # Problems
//
// Parse and Validate never fail; they return [Problem] values. Each has a
// stable kebab-case Code (also available as Code* constants) suitable for
// mapping onto rule identifiers. Parse reports what only the raw text reveals;
// Validate reports everything that can be judged from the model, using the line
// numbers Parse recorded when the File came from Parse.
//
// Reported by Parse:
//
//	too-large            error    input longer than MaxSize; the rest is ignored
//	bom                  warning  UTF-8 byte order mark at the start (stripped)
//	not-utf8             error    line is not valid UTF-8 (line ignored)
//	control-char         error    line holds a control character, e.g. NUL (line ignored)
//	line-invalid         error    line is not "Name: value", a "#" comment or blank (ignored)
//	whitespace           warning  leading whitespace, or whitespace before ':'
//	space-missing        warning  no single space after ':' as the RFC grammar requires
//	value-empty          error    standard field with an empty value (ignored)
//	expires-invalid      error    Expires is not an RFC 3339 date-time
//	expires-duplicate    error    Expires appears more than once (first one kept)
//	lang-duplicate       error    Preferred-Languages appears more than once (first kept)
//	signature-malformed  error    broken OpenPGP cleartext framing, or text outside it
//
// Reported by Validate:
//
//	contact-missing      error    no Contact field
//	expires-missing      error    no Expires field
//	expired              error    Expires is not in the future
//	expires-too-far      warning  Expires is more than a year ahead (RFC: SHOULD be less)
//	uri-invalid          error    value is not an absolute RFC 3986 URI
//	uri-not-https        error    web URI uses http:// (RFC: MUST begin with https://)
//	uri-scheme           warning  scheme unusual for the field (e.g. ftp: in Policy)
//	lang-invalid         error    Preferred-Languages entry is not a well-formed BCP 47 tag
//	value-invalid        error    value or comment holds control characters or invalid
//	                              UTF-8 (only possible for Files not made by Parse)
//	value-empty          error    standard field with an empty value (Files not made by Parse)
//	extension-invalid    error    extension name is not a valid field name, or names a
//	                              standard field
//	field-misspelled     info     "Acknowledgements" instead of "Acknowledgments"
//	canonical-mismatch   error    the fetch URL is not listed in any Canonical field
//	canonical-missing    warning  signed file without Canonical (RFC: RECOMMENDED)
//	not-https            error    the file was fetched over a scheme other than https
//	legacy-path          info     fetched from /security.txt instead of /.well-known/
//	unsigned             info     no OpenPGP cleartext signature (RFC: RECOMMENDED)
//	url-invalid          error    ValidateOptions.URL is not an absolute URL
//
// # Signatures
//
// Parse unwraps an OpenPGP cleartext signature (RFC 4880 section 7): armor
// headers are skipped, dash-escaped lines are unescaped and the signature block
// is dropped. File.Signed reports that the framing was complete. The signature
// itself is NOT verified: Signed means "looks signed", not "is authentic".
// Text outside the signed part is ignored and reported.
package securitytxt

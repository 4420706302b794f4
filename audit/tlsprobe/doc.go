// Package tlsprobe finds out which protocol versions, cipher suites, key
// exchange groups and application protocols a TLS server accepts, including
// what Go's crypto/tls refuses to speak: SSL 3.0, TLS 1.0/1.1 with legacy
// suites, NULL, anonymous, export, RC4, DES and 3DES suites, static RSA and
// static (EC)DH key exchange. It is the TLS part of `portcullis audit`.
//
// # Method
//
// The prober writes its own ClientHellos (RFC 5246 7.4.1.2, RFC 8446 4.1.2):
// a record, the handshake header, a random, a session id (32 random bytes for
// TLS 1.3, middlebox compatibility), the cipher suites, null compression, and
// extensions: server_name, extended_master_secret, renegotiation_info,
// supported_groups, ec_point_formats, session_ticket, status_request,
// signature_algorithms (TLS 1.2+, a broad list with legacy schemes), ALPN,
// and for TLS 1.3 supported_versions (offering 1.3 only), psk_key_exchange_modes
// and key_share with real keys from crypto/ecdh and crypto/mlkem (x25519,
// P-256/384/521 and the X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024
// hybrids). Hellos of 256–511 bytes are padded (RFC 7685). An SSL 3.0 hello
// carries no extensions and signals secure renegotiation with the SCSV.
//
// It then reads records until the ServerHello, parsed strictly with bounds
// checks; an alert becomes an *AlertError, and a connection closed without
// an answer ErrClosed. A HelloRetryRequest is an answer (it names the
// version, suite and group the server picked). For (EC)DHE suites in TLS 1.2
// and below it goes on to the ServerKeyExchange for the ECDHE curve and the
// size of the DH prime; for TLS 1.3 AES-GCM suites it derives the handshake
// keys (RFC 8446 7.1) and decrypts the EncryptedExtensions to read ALPN. It
// never completes a handshake: it closes the connection after that.
//
// Probe enumerates like testssl.sh and sslscan: one hello per version with
// every suite that version can negotiate; per accepted version, offer again
// without the chosen suite until the server refuses; offer the accepted list
// reversed to tell server preference from client preference; offer each
// group alone; offer "h2" and "http/1.1" alone. Independent handshakes run in
// parallel (Options.Concurrency, default 8). A full probe of a loopback
// server with TLS 1.0–1.2 and 15 suites takes about 50 handshakes and under
// 100 ms (BenchmarkProbe).
//
// Refusals and failures are kept apart: an alert or a connection closed
// without an answer means "not accepted"; a dial error, a timeout, or an
// answer that contradicts the offer (a version, suite, group or protocol not
// offered) leaves that question open and is listed in Report.Errors. So is
// an alert other than the usual refusals (decode_error, internal_error …).
//
// # Limits
//
//   - SSL 2.0 is not probed (its hello has another format); a server that
//     answers in SSL 2.0 format is reported as an error.
//   - The table holds the 5 TLS 1.3 suites and about 180 older ones (all
//     seen in the wild); Kerberos, SRP, GOST and most PSK suites are not
//     offered, so a server that has only those looks as if it had none.
//   - Every suite of a version goes into one hello (up to ~180, about 550
//     bytes). A server that chokes on long hellos looks as if it refused.
//   - DH size is read from the ServerKeyExchange of DHE suites in TLS 1.2 and
//     below (Report.DHBits, the smallest seen); finite-field groups in TLS 1.3
//     are probed by name (a HelloRetryRequest selecting them counts), since no
//     key share is generated for them or for x448 and brainpool curves.
//   - Signatures and certificates are not checked; use crypto/tls for the
//     certificate chain, and for OCSP stapling and session resumption in TLS
//     1.3, whose evidence comes encrypted after the point where the prober
//     stops. For TLS 1.2 and below, the ServerHello's acknowledgement of
//     status_request and session_ticket is reported.
//   - TLS 1.3 ALPN is read only when the server picks an AES-GCM suite and a
//     group the prober holds a key for (ChaCha20 and CCM need packages
//     outside the standard library); otherwise Probe falls back to a TLS 1.2
//     hello for ALPN.
//   - Server preference is a comparison of two orders. Go servers choose by
//     their own fixed order (Config.PreferServerCipherSuites is ignored since
//     Go 1.18), except that on AES hardware they switch to ChaCha20 first
//     when the client's first suite is not AES-GCM. In TLS 1.2 that still
//     reads as server preference; in TLS 1.3, whose three suites Go does not
//     let one configure, a Go server on AES hardware reads as following the
//     client.
//   - The preference order of groups is not measured, only acceptance.
package tlsprobe

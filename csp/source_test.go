package csp

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in      string
		want    Source
		wantErr string // substring of the error; "" means valid
	}{
		{in: "'self'", want: Source{Kind: KindKeyword, Keyword: Self}},
		{in: "'SELF'", want: Source{Kind: KindKeyword, Keyword: Self}},
		{in: "'none'", want: Source{Kind: KindKeyword, Keyword: None}},
		{in: "'unsafe-inline'", want: Source{Kind: KindKeyword, Keyword: UnsafeInline}},
		{in: "'unsafe-eval'", want: Source{Kind: KindKeyword, Keyword: UnsafeEval}},
		{in: "'strict-dynamic'", want: Source{Kind: KindKeyword, Keyword: StrictDynamic}},
		{in: "'unsafe-hashes'", want: Source{Kind: KindKeyword, Keyword: UnsafeHashes}},
		{in: "'report-sample'", want: Source{Kind: KindKeyword, Keyword: ReportSample}},
		{in: "'wasm-unsafe-eval'", want: Source{Kind: KindKeyword, Keyword: WasmUnsafeEval}},
		{in: "'inline-speculation-rules'", want: Source{Kind: KindKeyword, Keyword: InlineSpeculationRules}},
		{in: "'nonce-AbC+/9_-=='", want: Source{Kind: KindNonce, Value: "AbC+/9_-=="}},
		{in: "'NONCE-AbC'", want: Source{Kind: KindNonce, Value: "AbC"}},
		{in: "'sha256-Ab/+='", want: Source{Kind: KindHash, Algorithm: "sha256", Value: "Ab/+="}},
		{in: "'SHA384-x'", want: Source{Kind: KindHash, Algorithm: "sha384", Value: "x"}},
		{in: "'sha512-x_-'", want: Source{Kind: KindHash, Algorithm: "sha512", Value: "x_-"}},
		{in: "https:", want: Source{Kind: KindScheme, Scheme: "https"}},
		{in: "Web+Custom.x-y:", want: Source{Kind: KindScheme, Scheme: "web+custom.x-y"}},
		{in: "*", want: Source{Kind: KindHost, Host: "*"}},
		{in: "Example.COM", want: Source{Kind: KindHost, Host: "example.com"}},
		{in: "*.example.com", want: Source{Kind: KindHost, Host: "*.example.com"}},
		{in: "localhost:8080", want: Source{Kind: KindHost, Host: "localhost", Port: "8080"}},
		{in: "127.0.0.1:*", want: Source{Kind: KindHost, Host: "127.0.0.1", Port: "*"}},
		{in: "HTTPS://*.cdn.example:443/js/App.js", want: Source{Kind: KindHost, Scheme: "https", Host: "*.cdn.example", Port: "443", Path: "/js/App.js"}},
		{in: "wss://*", want: Source{Kind: KindHost, Scheme: "wss", Host: "*"}},
		{in: "example.com/", want: Source{Kind: KindHost, Host: "example.com", Path: "/"}},
		{in: "example.com/a%20b/c:d@e/", want: Source{Kind: KindHost, Host: "example.com", Path: "/a%20b/c:d@e/"}},
		{in: "example.com/x://y", want: Source{Kind: KindHost, Host: "example.com", Path: "/x://y"}},

		{in: "", wantErr: "empty"},
		{in: "'self", wantErr: "unterminated"},
		{in: "'", wantErr: "unterminated"},
		{in: "''", wantErr: "empty quoted"},
		{in: "'unsafe-inlin'", wantErr: "unknown keyword"},
		{in: "self", want: Source{Kind: KindHost, Host: "self"}}, // a host called "self", a common mistake the analyzer can flag
		{in: "'self''none'", wantErr: "run together"},
		{in: "'nonce-'", wantErr: "not base64"},
		{in: "'nonce-a=b'", wantErr: "not base64"},
		{in: "'nonce-a==='", wantErr: "not base64"},
		{in: "'nonce-a!'", wantErr: "not base64"},
		{in: "'sha1-abc'", wantErr: "unknown keyword"},
		{in: "'sha256-'", wantErr: "not base64"},
		{in: "1http:", wantErr: "invalid port"}, // not a scheme, so host "1http" with an empty port
		{in: "https://", wantErr: "missing host"},
		{in: "1a://x", wantErr: "invalid scheme"},
		{in: "a:b", wantErr: "invalid port"},
		{in: "a:", wantErr: ""},
		{in: "a.b:", want: Source{Kind: KindScheme, Scheme: "a.b"}},
		{in: "a.com:80:81", wantErr: "invalid port"},
		{in: "a.com:", wantErr: ""},
		{in: "x.com:/", wantErr: "invalid port"},
		{in: "foo.*.com", wantErr: "not allowed"},
		{in: "*.", wantErr: "empty label"},
		{in: "a..b", wantErr: "empty label"},
		{in: "a_b.com", wantErr: "not allowed"},
		{in: "[::1]", wantErr: "not allowed"},
		{in: "a.com//x", wantErr: "must not start with"},
		{in: "a.com/x?y", wantErr: "not allowed in a path"},
		{in: "a.com/%zz", wantErr: "hex"},
		{in: "a.com/x#y", wantErr: "not allowed in a path"},
		{in: "a;b", wantErr: "';'"},
		{in: "a,b", wantErr: "','"},
		{in: "a b", wantErr: "whitespace"},
		{in: "a\x00", wantErr: "control"},
		{in: "a\x7f", wantErr: "control"},
		{in: "\u00e9.com", wantErr: "non-ASCII"},
	}
	for _, tc := range tests {
		got, err := ParseSource(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSource(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			if got.Kind != KindInvalid || Classify(tc.in) != KindInvalid {
				t.Errorf("ParseSource(%q) kind = %v, want invalid", tc.in, got.Kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSource(%q) error: %v", tc.in, err)
			continue
		}
		if tc.want.Kind != KindInvalid && got != tc.want {
			t.Errorf("ParseSource(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if Classify(tc.in) != got.Kind {
			t.Errorf("Classify(%q) = %v, want %v", tc.in, Classify(tc.in), got.Kind)
		}
	}
}

func TestSourceKindString(t *testing.T) {
	for k, want := range map[SourceKind]string{KindInvalid: "invalid", KindKeyword: "keyword", KindNonce: "nonce",
		KindHash: "hash", KindScheme: "scheme", KindHost: "host", SourceKind(99): "SourceKind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("SourceKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

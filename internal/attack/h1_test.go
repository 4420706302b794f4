package attack

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"
)

const host = "Host: app.test"

// smugglingRows are request-smuggling attempts over HTTP/1.1: each either
// is refused before anything reaches the upstream, or reaches it as
// exactly the request portcullis answered, re-framed so that the
// upstream cannot read it any other way.
func smugglingRows() []h1Row {
	const chunkedHello = "5\r\nhello\r\n0\r\n\r\n"
	const hidden = "GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n"
	post := "POST /s HTTP/1.1"
	return []h1Row{
		// RFC 9112 §6.1: a server may process such a request by its
		// Transfer-Encoding alone, but must close the connection after.
		// Every HTTP/1 request framed by Transfer-Encoding is answered
		// and then its connection closed: net/http drops a Content-Length
		// sent beside it unseen, and RFC 9112 section 6.1 requires the
		// close when both came (golang/go#80942).
		{name: "CL and TE: TE wins, then close",
			send: req(post, host, "Content-Length: 3", "Transfer-Encoding: chunked") + chunkedHello,
			want: []int{200}, after: closed, upstream: one(line("POST /s HTTP/1.1"), body("hello"))},
		{name: "CL and TE hiding a second request",
			send: req(post, host, "Content-Length: 48", "Transfer-Encoding: chunked") + "0\r\n\r\n" + hidden,
			want: []int{200}, after: closed, upstream: one(line("POST /s HTTP/1.1"), body(""))},
		{name: "TE and CL hiding a second request",
			send: req(post, host, "Transfer-Encoding: chunked", "Content-Length: 48") + "0\r\n\r\n" + hidden,
			want: []int{200}, after: closed, upstream: one(line("POST /s HTTP/1.1"), body(""))},
		{name: "second request hidden in a body",
			send: req(post, host, fmt.Sprintf("Content-Length: %d", len(hidden))) + hidden,
			want: []int{200}, after: open,
			upstream: one(line("POST /s HTTP/1.1"), body(hidden))},
		{name: "body longer than its Content-Length",
			send: req(post, host, "Content-Length: 5") + "hello" + "GARBAGE / HTTP/1.1\r\n\r\n",
			want: []int{200, 400}, after: closed, upstream: one(line("POST /s HTTP/1.1"), body("hello"))},
		{name: "two Content-Length, different",
			send: req(post, host, "Content-Length: 5", "Content-Length: 6") + "hello!",
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "two Content-Length, same",
			send: req(post, host, "Content-Length: 5", "Content-Length: 5") + "hello",
			want: []int{200}, after: open, upstream: one(hdr("Content-Length", "5"), body("hello"))},
		{name: "Content-Length list",
			send: req(post, host, "Content-Length: 5, 5") + "hello",
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "Content-Length with a sign",
			send: req(post, host, "Content-Length: +5") + "hello",
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "Content-Length in hex",
			send: req(post, host, "Content-Length: 0x5") + "hello",
			want: []int{400}, after: closed, upstream: nothing()},
		// RFC 9112 §6.1: a Transfer-Encoding the server does not
		// understand gets 501; net/http accepts "chunked" alone.
		{name: "TE xchunked",
			send: req(post, host, "Transfer-Encoding: xchunked") + chunkedHello,
			want: []int{501}, after: closed, upstream: nothing()},
		{name: "TE chunked, identity",
			send: req(post, host, "Transfer-Encoding: chunked, identity") + chunkedHello,
			want: []int{501}, after: closed, upstream: nothing()},
		{name: "TE identity, chunked",
			send: req(post, host, "Transfer-Encoding: identity, chunked") + chunkedHello,
			want: []int{501}, after: closed, upstream: nothing()},
		{name: "two TE fields",
			send: req(post, host, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked") + chunkedHello,
			want: []int{501}, after: closed, upstream: nothing()},
		{name: "two TE fields with CL",
			send: req(post, host, "Transfer-Encoding: identity", "Transfer-Encoding: chunked", "Content-Length: 18") + chunkedHello,
			want: []int{501}, after: closed, upstream: nothing()},
		{name: "TE with a leading space",
			send: req(post, host, "Transfer-Encoding:  chunked") + chunkedHello,
			want: []int{200}, after: closed, upstream: one(body("hello"))},
		{name: "TE after a tab",
			send: req(post, host, "Transfer-Encoding:\tchunked") + chunkedHello,
			want: []int{200}, after: closed, upstream: one(body("hello"))},
		{name: "TE in capitals",
			send: req(post, host, "Transfer-Encoding: CHUNKED") + chunkedHello,
			want: []int{200}, after: closed, upstream: one(body("hello"))},
		{name: "TE with a vertical tab",
			send: req(post, host, "Transfer-Encoding: \vchunked", "Content-Length: 18") + chunkedHello,
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "space before the colon",
			send: req(post, host, "Transfer-Encoding : chunked", "Content-Length: 18") + chunkedHello,
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "TE on HTTP/1.0 is ignored for Content-Length",
			send: req("POST /s HTTP/1.0", host, "Transfer-Encoding: chunked", "Content-Length: 5") + "hello",
			want: []int{200}, after: closed, upstream: one(body("hello"), hdr("Transfer-Encoding"))},
		{name: "bare LF line endings",
			send: "GET /lf HTTP/1.1\nHost: app.test\nX-A: 1\n\n",
			want: []int{200}, after: open, upstream: one(line("GET /lf HTTP/1.1"), hdr("X-A", "1"))},
		{name: "bare LF before Transfer-Encoding with CL",
			send: "POST /s HTTP/1.1\r\nHost: app.test\r\nX-A: 1\nTransfer-Encoding: chunked\r\nContent-Length: 18\r\n\r\n" + chunkedHello,
			want: []int{200}, after: closed, upstream: one(body("hello"))},
		// RFC 9112 §5.2: reject obs-fold, or replace it with spaces
		// before forwarding; net/http does the latter.
		{name: "obsolete line folding",
			send: req(post, host, "X-Folded: a", " b", "Content-Length: 5") + "hello",
			want: []int{200}, after: open, upstream: one(hdr("X-Folded", "a b"), body("hello"))},
		{name: "folded Transfer-Encoding with CL",
			send: req(post, host, "Transfer-Encoding:", " chunked", "Content-Length: 18") + chunkedHello,
			want: []int{200}, after: closed, upstream: one(body("hello"))},
		{name: "CR in a header value",
			send: req(post, host, "X-A: a\rTransfer-Encoding: chunked", "Content-Length: 18") + chunkedHello,
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "NUL in a header value",
			send: req("GET /nul HTTP/1.1", host, "X-A: a\x00b"),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "CR in the request target",
			send: req("GET /a\rb HTTP/1.1", host),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "two spaces in the request line",
			send: req("GET  /s HTTP/1.1", host),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "header name with a space",
			send: req("GET /s HTTP/1.1", host, "X A: 1"),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "bad chunk extension",
			send: req(post, host, "Transfer-Encoding: chunked") + "5;a\"b\r\nhello\r\n0\r\n\r\n",
			want: []int{200}, after: closed, upstream: one(body("hello"))},
	}
}

// hostRows are attacks on the Host: anything but a served host is
// refused before the upstream, and no client-sent host is believed.
func hostRows(e *env) []h1Row {
	return []h1Row{
		{name: "unknown Host",
			send: req("GET /h HTTP/1.1", "Host: evil.example"),
			want: []int{400}, after: open, upstream: nothing()},
		{name: "absolute-form target on another host",
			send: req("GET http://evil.example/h HTTP/1.1", host),
			want: []int{400}, after: open, upstream: nothing()},
		{name: "absolute-form target wins over Host",
			send: req("GET https://app.test/h HTTP/1.1", "Host: evil.example"),
			want: []int{200}, after: open,
			upstream: one(line("GET /h HTTP/1.1"), hdr("Host", "app.test"), hdr("X-Forwarded-Host", "app.test"))},
		{name: "Host with userinfo before",
			send: req("GET /h HTTP/1.1", "Host: evil.example@app.test"),
			want: []int{400}, after: either, upstream: nothing()},
		{name: "Host with userinfo after",
			send: req("GET /h HTTP/1.1", "Host: app.test@evil.example"),
			want: []int{400}, after: either, upstream: nothing()},
		{name: "Host with a path",
			send: req("GET /h HTTP/1.1", "Host: app.test/evil"),
			want: []int{400}, after: either, upstream: nothing()},
		{name: "Host with two ports",
			send: req("GET /h HTTP/1.1", "Host: app.test:443:80"),
			want: []int{400}, after: either, upstream: nothing()},
		{name: "two Host fields",
			send: req("GET /h HTTP/1.1", host, "Host: evil.example"),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "no Host on HTTP/1.1",
			send: req("GET /h HTTP/1.1"),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "no Host on HTTP/1.0",
			send: req("GET /h HTTP/1.0"),
			want: []int{400}, after: closed, upstream: nothing()},
		{name: "X-Forwarded-Host not believed",
			send: req("GET /h HTTP/1.1", host, "X-Forwarded-Host: evil.example", "X-Forwarded-Proto: http"),
			want: []int{200}, after: open, upstream: one(forwardedBy(e.Client, "https")...)},
		{name: "X-Forwarded-Host does not choose the site",
			send: req("GET /h HTTP/1.1", "Host: evil.example", "X-Forwarded-Host: app.test"),
			want: []int{400}, after: open, upstream: nothing()},
	}
}

// redirectRows are open-redirect attempts on the plain-HTTP listener:
// whatever the path, the redirect stays on https://app.test.
func redirectRows(e *env) []h1Row {
	onSite := locationOn("https://app.test:" + port(e.HTTPS) + "/")
	row := func(name, target string, extra ...string) h1Row {
		return h1Row{name: name, send: req(append([]string{"GET " + target + " HTTP/1.1", host}, extra...)...),
			want: []int{308}, after: open, upstream: nothing(), client: onSite}
	}
	return []h1Row{
		row("//evil", "//evil.example/"),
		row("///evil", "///evil.example/"),
		row(`/\evil`, `/\evil.example`),
		row(`/\/evil`, `/\/evil.example`),
		row("/%2f%2fevil", "/%2f%2fevil.example"),
		row("/%5cevil", "/%5cevil.example"),
		row("/%09/evil", "/%09/evil.example"),
		row("CRLF in the path", "/%0d%0aLocation:%20https://evil.example/"),
		row("LF in the path", "/%0aLocation:%20https://evil.example/"),
		row("query with a URL", "/?next=https://evil.example/"),
		row("X-Forwarded-Host", "/x", "X-Forwarded-Host: evil.example"),
		row("Forwarded host", "/x", "Forwarded: host=evil.example;proto=https"),
		{name: "unknown Host is not redirected",
			send: req("GET / HTTP/1.1", "Host: evil.example"),
			want: []int{400}, after: open, upstream: nothing()},
	}
}

// locationOn checks that the only Location starts with prefix and has no
// control character, so no browser can read it as another origin.
func locationOn(prefix string) func(testing.TB, *outcome) error {
	return func(_ testing.TB, o *outcome) error {
		locs := o.Responses[0].Header.Values("Location")
		if len(locs) != 1 {
			return fmt.Errorf("Location %q, want one", locs)
		}
		loc := locs[0]
		if !strings.HasPrefix(loc, prefix) || strings.ContainsAny(loc, "\r\n\t\\") {
			return fmt.Errorf("Location %q does not stay on %s", loc, prefix)
		}
		u, err := url.Parse(loc)
		if err != nil || u.Scheme != "https" || u.Hostname() != "app.test" {
			return fmt.Errorf("Location %q parses as %v (%v)", loc, u, err)
		}
		return nil
	}
}

// limitRows are oversized requests: refused with the right status,
// nothing (or no complete request) upstream.
func limitRows() []h1Row {
	chunks := strings.Repeat(fmt.Sprintf("%x\r\n%s\r\n", 256, strings.Repeat("a", 256)), 8) // 2 KiB
	small := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", 512, strings.Repeat("b", 512))
	many := make([]string, 0, 2000)
	for i := range 2000 {
		many = append(many, fmt.Sprintf("X-H%d: v", i))
	}
	return []h1Row{
		{name: "one header over max_header_bytes",
			send: req("GET /big HTTP/1.1", host, "X-Big: "+strings.Repeat("a", 4*maxHeaderBytes)),
			want: []int{431}, after: closed, upstream: nothing()},
		{name: "many headers over max_header_bytes",
			send: req(append([]string{"GET /big HTTP/1.1", host}, many...)...),
			want: []int{431}, after: closed, upstream: nothing()},
		{name: "Content-Length over max_body_bytes",
			send: req("POST /big HTTP/1.1", host, fmt.Sprintf("Content-Length: %d", 4*maxBodyBytes)) + strings.Repeat("a", 4*maxBodyBytes),
			want: []int{413}, after: closed, upstream: nothing()},
		// net/http reads up to 256 KiB of an unread body before it closes;
		// a larger one is not waited for.
		{name: "Content-Length of 1 GiB, body never sent",
			send: req("POST /big HTTP/1.1", host, "Content-Length: 1073741824") + strings.Repeat("a", 100),
			want: []int{413}, after: closed, upstream: nothing()},
		{name: "chunked body over max_body_bytes",
			send: req("POST /big HTTP/1.1", host, "Transfer-Encoding: chunked") + chunks + "0\r\n\r\n",
			want: []int{413}, after: closed, upstream: noComplete()},
		{name: "chunked body under max_body_bytes",
			send: req("POST /small HTTP/1.1", host, "Transfer-Encoding: chunked") + small,
			want: []int{200}, after: closed, upstream: one(line("POST /small HTTP/1.1"), body(strings.Repeat("b", 512)))},
	}
}

// testSlowloris dribbles a request head slower than read_header_timeout
// allows: the connection is closed about when the timeout ends, and the
// upstream sees nothing.
func testSlowloris(t *testing.T, e *env) {
	m := e.Rec.mark()
	c := e.dial(t, e.HTTPS, []string{"http/1.1"})
	closedAt := make(chan time.Time, 1)
	go func() {
		io.Copy(io.Discard, c) // until the server closes it
		closedAt <- time.Now()
	}()
	start := time.Now()
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: app.test\r\n")
	var when time.Time
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
dribble:
	for i := 0; ; i++ {
		select {
		case when = <-closedAt:
			break dribble
		case <-tick.C:
			if time.Since(start) > readHeaderTimeout+5*time.Second {
				t.Fatalf("connection still open %v after the head began (read_header_timeout %v)", time.Since(start), readHeaderTimeout)
			}
			fmt.Fprintf(c, "X-%d: %d\r\n", i, i)
		}
	}
	if took := when.Sub(start); took < readHeaderTimeout-100*time.Millisecond {
		t.Errorf("connection closed after %v, before read_header_timeout %v", took, readHeaderTimeout)
	}
	e.settle(t)
	if seen := e.Rec.since(m); len(seen) > 0 {
		t.Errorf("upstream saw:\n%s", dump(seen))
	}
}

// spoofRows send every forwarding header a framework might believe: the
// upstream sees only those portcullis sets, with the real client's
// values.
func spoofRows(e *env, scheme string) []h1Row {
	path := "/f"
	if scheme == "http" {
		path = "/public/f" // exempt from the redirect, so forwarded
	}
	spoofs := []string{
		"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 7.7.7.7",
		"X-Forwarded-Proto: " + map[string]string{"http": "https", "https": "http"}[scheme],
		"X-Forwarded-Host: evil.example", "Forwarded: for=6.6.6.6;proto=https;host=evil.example",
		"X-Real-IP: 6.6.6.6", "X-Forwarded-Port: 8443", "X-Forwarded-Ssl: on",
		"X-Forwarded-Protocol: https", "X-Forwarded-Scheme: https", "X-Forwarded-Server: evil.example",
		"X-Forwarded-Prefix: /evil", "X-Url-Scheme: https", "Front-End-Https: on",
		"X-Client-IP: 6.6.6.6", "True-Client-IP: 6.6.6.6", "X-Cluster-Client-IP: 6.6.6.6",
		"X-Original-Forwarded-For: 6.6.6.6",
	}
	checks := append(forwardedBy(e.Client, scheme),
		onlyHeaders("Host", "User-Agent", "X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"),
		line("GET "+path+" HTTP/1.1"))
	return []h1Row{
		{name: "every forwarding header",
			send: req(append([]string{"GET " + path + " HTTP/1.1", host, "User-Agent: attack"}, spoofs...)...),
			want: []int{200}, after: open, upstream: one(checks...)},
		{name: "X-Forwarded-For in two fields",
			send: req("GET "+path+" HTTP/1.1", host, "User-Agent: attack", "X-Forwarded-For: 6.6.6.6", "x-forwarded-for: 7.7.7.7"),
			want: []int{200}, after: open, upstream: one(checks...)},
	}
}

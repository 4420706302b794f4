package content

import (
	"strings"
	"testing"
)

// BenchmarkParse parses and checks a 96 KB page of ordinary markup.
func BenchmarkParse(b *testing.B) {
	html := strings.Repeat(`<div class="card"><img src="/img/a.png" srcset="/img/a@2x.png 2x" alt="x"><a href="/x">text text text</a>
<script src="https://cdn.example.net/a.js" integrity="sha384-abc"></script><p style="color:red">Lorem ipsum dolor sit amet</p></div>
`, 400)
	benchParse(b, html)
}

// BenchmarkParseHostile parses 64 KB inputs built to hit the limits and
// the slow paths.
func BenchmarkParseHostile(b *testing.B) {
	for name, html := range map[string]string{
		"imgs":     strings.Repeat("<img src=a>", 6000),
		"bad-urls": strings.Repeat("<img src='http://[x'>", 3000),
		"css-urls": "<div style='" + strings.Repeat("url(a)", 10000) + "'>",
		"css-open": "<style>" + strings.Repeat("url(", 16000) + "</style>",
		"srcset":   "<img srcset='" + strings.Repeat("a 1x,", 12000) + "'>",
		"nesting":  strings.Repeat("<svg><picture><video><form>", 2000),
		"angles":   strings.Repeat("<", 65536),
	} {
		b.Run(name, func(b *testing.B) { benchParse(b, html) })
	}
}

func benchParse(b *testing.B, html string) {
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(page, strings.NewReader(html), 1<<17)
		if err != nil {
			b.Fatal(err)
		}
		Check(p)
	}
}

package report

import (
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

// HTML writes the Markdown review as one self-contained page: inline CSS,
// no script, no external resource, and a Content-Security-Policy
// (default-src 'none'; style-src 'unsafe-inline') so the page stays inert
// whatever it contains. Each target gets a grade badge colored by letter.
// All text is escaped by html/template; text from the audited site is
// also shown with control characters as Go escapes.
func HTML(w io.Writer, reps []audit.Report, m Meta) error {
	if err := validate(reps); err != nil {
		return err
	}
	m = m.withDefaults()
	d := htmlData{Meta: m, Generated: m.Generated.Format(time.RFC3339)}
	switch len(reps) {
	case 1:
		d.Title = "Security review: " + visible(reps[0].Target)
	default:
		d.Title = "Security review: " + strconv.Itoa(len(reps)) + " targets"
	}
	for _, r := range reps {
		d.Reviews = append(d.Reviews, newReview(r, m))
	}
	return pageTemplate.Execute(w, d)
}

// htmlData is what the page template renders.
type htmlData struct {
	Meta      Meta
	Title     string
	Generated string
	Reviews   []review
}

// segment is a run of catalog text, Code when it was between backquotes.
type segment struct {
	Text string
	Code bool
}

// segments splits catalog text at its backquotes (which mark code).
func segments(s string) []segment {
	var out []segment
	for i, part := range strings.Split(s, "`") {
		if part != "" {
			out = append(out, segment{Text: part, Code: i%2 == 1})
		}
	}
	return out
}

// badgeClass is the CSS class of a grade badge.
func badgeClass(letter string, audited bool) string {
	switch {
	case !audited:
		return "g-none"
	case letter == "A+":
		return "g-aplus"
	case len(letter) == 1 && strings.Contains("ABCDF", letter):
		return "g-" + strings.ToLower(letter)
	}
	return "g-none"
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"show":     visible,
	"segments": segments,
	"sevTitle": sevTitle,
	"letter":   letterOf,
	"badge":    badgeClass,
	"cert":     certLine,
	"lost":     pointsLost,
	"round":    func(d time.Duration) time.Duration { return d.Round(time.Millisecond) },
	"count":    func(n [5]int, s rules.Severity) int { return n[s] },
	"sevs":     func() []rules.Severity { return severitiesDesc },

	"remedyText":      remedyText,
	"noRecs":          noRecsText,
	"noImprovements":  noImprovementsText,
	"count1":          findingsCount,
	"productionIntro": func() string { return productionIntro },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1,h2,h3,h4,h5{line-height:1.25}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}td.n{text-align:right}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:.1rem .3rem;border-radius:4px;word-break:break-all}
.badge{display:inline-block;min-width:2.2em;padding:.1em .4em;border-radius:6px;color:#fff;font-weight:700;text-align:center}
.g-aplus{background:#116329}.g-a{background:#1a7f37}.g-b{background:#6f8b00}.g-c{background:#b08800}.g-d{background:#bc4c00}.g-f{background:#cf222e}.g-none{background:#6e7781}
ul.checklist{list-style:none;padding-left:0}.ok::before{content:"\2713\00a0";color:#1a7f37;font-weight:700}.fail::before{content:"\2717\00a0";color:#cf222e;font-weight:700}.unverified::before{content:"?\00a0";color:#6e7781;font-weight:700}
.sev-critical,.sev-high{color:#cf222e}.sev-medium{color:#bc4c00}.sev-low{color:#9a6700}.sev-info{color:#57606a}
footer{margin-top:3rem;color:#57606a;border-top:1px solid #d0d7de;padding-top:.5rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>An automated review of the HTTPS deployment by {{.Meta.Tool}} audit. Each checklist item is verified (with the evidence observed on the live site), failed (with its findings) or not verified (with the reason).</p>
<h2>Summary</h2>
<table>
<tr><th>Target</th><th>Grade</th><th>Score</th><th>Checklist</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Info</th></tr>
{{- range .Reviews}}
<tr><td>{{show .Rep.Target}}</td><td><span class="badge {{badge .Rep.Grade.Letter .Audited}}">{{if .Audited}}{{letter .Rep.Grade}}{{else}}not audited{{end}}</span></td><td class="n">{{if .Audited}}{{.Rep.Grade.Score}}{{else}}-{{end}}</td><td>{{.Checked}}</td>
{{- $n := .Counts}}{{range sevs}}<td class="n">{{count $n .}}</td>{{end}}</tr>
{{- end}}
</table>
{{range .Reviews}}{{template "target" .}}{{end}}
<footer>Generated by {{.Meta.Tool}} {{.Meta.Version}} on {{.Generated}}.</footer>
</body>
</html>
{{define "text"}}{{range segments .}}{{if .Code}}<code>{{.Text}}</code>{{else}}{{.Text}}{{end}}{{end}}{{end}}
{{define "remedies"}}<ul>
{{- range .}}
<li>{{.Server.Title}}: {{template "text" (remedyText .)}}</li>
{{- end}}
</ul>{{end}}
{{define "target"}}
<section>
<h2><span class="badge {{badge .Rep.Grade.Letter .Audited}}">{{if .Audited}}{{letter .Rep.Grade}}{{else}}–{{end}}</span> {{show .Rep.Target}}</h2>
<ul>
{{- if .Audited}}
<li><strong>Grade:</strong> {{letter .Rep.Grade}} (score {{.Rep.Grade.Score}}/100)</li>
{{- else}}
<li><strong>Grade:</strong> not audited: the target could not be reached (see Errors)</li>
{{- end}}
{{- with .Rep.Grade.Caps}}
<li><strong>Capped by:</strong> {{range $i, $c := .}}{{if $i}}; {{end}}{{show $c}}{{end}}</li>
{{- end}}
{{- with .Rep.Cert}}
<li><strong>Certificate:</strong> {{cert .}}</li>
{{- end}}
{{- with .Server.Server}}
<li><strong>Server:</strong> {{.Title}}, recognised from {{show $.Server.From}}; remedies give its settings first</li>
{{- end}}
<li><strong>Checklist:</strong> {{.Checked}}</li>
<li><strong>Audit time:</strong> {{round .Rep.Duration}}</li>
</ul>
{{- with lost .Rep.Grade}}
<p>Points lost:</p>
<table>
<tr><th>Rule</th><th>Severity</th><th>Points</th><th>Findings</th></tr>
{{- range .}}
<tr><td><code>{{show .Rule}}</code></td><td class="sev-{{.Severity}}">{{.Severity}}</td><td class="n">{{.Points}}</td><td class="n">{{.Count}}</td></tr>
{{- end}}
</table>
{{- end}}
<h3>Implemented measures</h3>
{{- if and .Audited .Checked.NotVerified .Measures}}
<p><em>Only the areas verified on the live site are listed; the checklist says which could not be verified, and why.</em></p>
{{- end}}
{{- if not .Audited}}
<p><em>None verified: the target could not be audited.</em></p>
{{- else if not .Measures}}
<p><em>None: no area checked was verified (see the checklist).</em></p>
{{- end}}
{{- range .Measures}}
<h4>{{.Title}}</h4>
<p><strong>{{.Check}}.</strong>{{with .Benefit}} {{.}}{{end}}</p>
{{- with .Observed}}
<p>Observed on the live site:</p>
<ul>
{{- range .}}
<li><code>{{show .}}</code></li>
{{- end}}
</ul>
{{- end}}
{{- with .Passed}}
<p>Checks passed (the weakness each names was not observed):</p>
<ul>
{{- range .}}
<li><code>{{.ID}}</code>: {{template "text" .Title}}</li>
{{- end}}
</ul>
{{- end}}
{{- with .Notes}}
<p>Noted (informational):</p>
<ul>
{{- range .}}
<li><code>{{show .Rule}}</code>: {{show .Message}}</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
<h3>Testing checklist</h3>
{{- if not .Audited}}
<p><em>Not verified: the target could not be audited (see Errors).</em></p>
{{- else}}
<ul class="checklist">
{{- range .Checklist}}
{{- if .OK}}
<li class="ok">{{.Text}} — verified</li>
{{- else if .Failures}}
<li class="fail">{{.Text}} — <strong>failed</strong>
<ul>
{{- range .Failures}}
<li><strong class="sev-{{.Severity}}">{{.Severity}}</strong> <code>{{show .Rule}}</code>: {{show .Message}}</li>
{{- end}}
</ul>
</li>
{{- else}}
<li class="unverified">{{.Text}} — <strong>not verified</strong>, {{show .Why}}</li>
{{- end}}
{{- end}}
</ul>
{{- end}}
<h3>Findings</h3>
{{- if not .Findings}}
<p><em>No findings.</em></p>
{{- end}}
{{- range .Findings}}
<h4 class="sev-{{.Severity}}">{{sevTitle .Severity}}</h4>
{{- range .Rules}}
<h5><code>{{show .Rule.ID}}</code>{{with .Rule.Title}} — {{template "text" .}}{{end}}</h5>
<ul>
{{- range .Instances}}
<li>{{show .Message}}{{with .Target}} (at {{show .}}){{end}}
{{- with .Evidence}}
<ul><li>evidence: <code>{{show .}}</code></li></ul>
{{- end}}
</li>
{{- end}}
</ul>
{{- with .Rule.Fix}}
<p><strong>Fix:</strong> {{template "text" .}}</p>
{{- end}}
{{- with .Remedies}}
<p><strong>How, by server:</strong></p>
{{template "remedies" .}}
{{- end}}
{{- with .Rule.References}}
<p><strong>References:</strong> {{range $i, $u := .}}{{if $i}}, {{end}}<a href="{{$u}}" rel="noopener noreferrer">{{$u}}</a>{{end}}</p>
{{- end}}
{{- end}}
{{- end}}
<h3>Recommendations</h3>
{{- if not .Recs}}
<p><em>{{noRecs .}}</em></p>
{{- else}}
<ol>
{{- range .Recs}}
<li><strong class="sev-{{.Severity}}">{{sevTitle .Severity}}:</strong> {{template "text" .Fix}} ({{range $i, $id := .Rules}}{{if $i}}, {{end}}<code>{{show $id}}</code>{{end}})</li>
{{- end}}
</ol>
{{- end}}
<h3>Potential improvements</h3>
{{- if not .Improvements}}
<p><em>{{noImprovements .}}</em></p>
{{- else}}
<p>The open findings no recommendation covers: below medium severity, each worth fixing and none urgent.</p>
<ol>
{{- range .Improvements}}
<li><strong class="sev-{{.Severity}}">{{sevTitle .Severity}}</strong> <code>{{show .Rule.ID}}</code>{{with .Rule.Title}} — {{template "text" .}}{{end}} ({{count1 .Count}}): {{with .Rule.Fix}}{{template "text" .}}{{else}}not in this build's rule catalog; see the finding above{{end}}
{{- with .Remedies}}
{{template "remedies" .}}
{{- end}}
</li>
{{- end}}
</ol>
{{- end}}
<h3>Considerations for production</h3>
<p>{{template "text" productionIntro}}</p>
{{- range .Production}}
<h4>{{.Topic}}</h4>
<ul>
{{- range .Notes}}
<li><strong>{{.Label}}:</strong> {{show .Text}}</li>
{{- end}}
</ul>
<p><strong>Recommendation:</strong> {{template "text" .Advice}}</p>
{{- end}}
{{- with .Rep.Errors}}
<h3>Errors</h3>
<ul>
{{- range .}}
<li>{{show .}}</li>
{{- end}}
</ul>
{{- end}}
</section>
{{- end}}
`

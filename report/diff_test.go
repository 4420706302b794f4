package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/grade"
	"github.com/portcullis/portcullis/rules"
)

// regrade returns r with findings fs and their grade.
func regrade(r audit.Report, fs ...rules.Finding) audit.Report {
	r.Findings, r.Grade = fs, grade.Of(fs)
	return r
}

func doc(reps ...audit.Report) Document { return NewDocument(reps, testMeta) }

func rulesOf(fs []DiffFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"/"+f.Severity.String())
	}
	return out
}

// TestDiffTargets states when a target got worse: its letter dropped, or
// it lost its grade, or a finding (rule, target, severity) appeared (also
// when OLD could not audit it); a removed finding, a better grade or a
// reworded message is not worse.
func TestDiffTargets(t *testing.T) {
	t.Parallel()
	h := hardened()
	hsts := finding("hsts.missing", "no Strict-Transport-Security header", "", "https://hardened.test/")
	expiring := finding("cert.expiring", "the certificate expires in 12 days", "", "")
	expiringLater := expiring
	expiringLater.Message = "the certificate expires in 11 days"
	raised := h.Findings[0]
	raised.Severity = rules.Medium
	for _, tc := range []struct {
		name                   string
		old, new               audit.Report
		worse, dropped, raised bool
		oldGrade, newGrade     string
		added, removed         []string
		unchanged              bool
	}{
		{name: "same", old: h, new: h, oldGrade: "A+", newGrade: "A+", unchanged: true},
		{name: "grade dropped, finding added", old: h, new: regrade(h, append(slices.Clone(h.Findings), hsts)...),
			worse: true, dropped: true, oldGrade: "A+", newGrade: "B", added: []string{"hsts.missing/medium"}},
		{name: "finding removed, grade raised", old: regrade(h, append(slices.Clone(h.Findings), hsts)...), new: h,
			raised: true, oldGrade: "B", newGrade: "A+", removed: []string{"hsts.missing/medium"}},
		{name: "reworded message is the same finding", old: regrade(h, expiring), new: regrade(h, expiringLater),
			oldGrade: "A", newGrade: "A", unchanged: true},
		{name: "severity raised", old: h, new: regrade(h, raised, h.Findings[1]),
			worse: true, dropped: true, oldGrade: "A+", newGrade: "A", added: []string{"header.corp-missing/medium"}, removed: []string{"header.corp-missing/info"}},
		{name: "no longer audited", old: h, new: down(), worse: true, dropped: true, oldGrade: "A+", newGrade: "", removed: []string{"header.corp-missing/info", "securitytxt.expires-too-far/info"}},
		{name: "audited again", old: down(), new: h, worse: true, raised: true, oldGrade: "", newGrade: "A+", added: []string{"header.corp-missing/info", "securitytxt.expires-too-far/info"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, new := doc(tc.old).Targets[0], doc(tc.new).Targets[0]
			new.Target = old.Target
			d := DiffTargets(&old, &new)
			if d.Worse != tc.worse || d.GradeDropped != tc.dropped || d.GradeRaised != tc.raised || d.Old.Letter != tc.oldGrade || d.New.Letter != tc.newGrade {
				t.Errorf("worse %v dropped %v raised %v, %s → %s; want %v %v %v, %s → %s", d.Worse, d.GradeDropped, d.GradeRaised, d.Old.Letter, d.New.Letter,
					tc.worse, tc.dropped, tc.raised, tc.oldGrade, tc.newGrade)
			}
			if !slices.Equal(rulesOf(d.Added), tc.added) || !slices.Equal(rulesOf(d.Removed), tc.removed) {
				t.Errorf("added %v removed %v, want %v and %v", rulesOf(d.Added), rulesOf(d.Removed), tc.added, tc.removed)
			}
			if d.Changed() == tc.unchanged {
				t.Errorf("Changed() = %v", d.Changed())
			}
		})
	}
	only := doc(h).Targets
	if d := DiffTargets(nil, &only[0]); d.Worse || d.Old != nil || d.New.Letter != "A+" || !d.Changed() {
		t.Errorf("a target only in NEW: %+v", d)
	}
}

// diffFixtures are two runs over the same targets: hardened lost HSTS
// (dropped), weak fixed its cookies (better, still F), down is only in
// OLD, local only in NEW.
func diffFixtures() (old, new Document) {
	h := hardened()
	hsts := finding("hsts.missing", "no Strict-Transport-Security header \x1b[31m", "", "https://hardened.test/")
	w := weak()
	var fixed []rules.Finding
	for _, f := range w.Findings {
		if f.Rule != "cookie.secure-missing" {
			fixed = append(fixed, f)
		}
	}
	return doc(h, w, down()), doc(regrade(h, append(slices.Clone(h.Findings), hsts)...), regrade(w, fixed...), local())
}

func TestDiffGolden(t *testing.T) {
	old, new := diffFixtures()
	d := DiffDocuments(old, new)
	if !d.Worse || len(d.Targets) != 4 || d.Targets[3].Target != "down.test:8443" || d.Targets[2].Old != nil {
		t.Fatalf("diff %+v", d)
	}
	for _, format := range DiffFormats() {
		var b bytes.Buffer
		if err := WriteDiff(format, &b, d); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "diff."+goldenExt[format]+".golden")
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./report/ -update)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs from %s (run go test ./report/ -update and review the diff):\n%s", format, path, b.String())
		}
	}
	var b bytes.Buffer
	WriteDiff("text", &b, d)
	if strings.Contains(b.String(), "\x1b") {
		t.Error("a control character from the site reached the terminal")
	}
	var back Diff
	b.Reset()
	WriteDiff("json", &b, d)
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Schema != DiffSchema || !back.Worse || len(back.Targets) != 4 {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
	if err := WriteDiff("markdown", &b, d); err == nil {
		t.Error("WriteDiff accepted markdown")
	}
}

// TestDiffNothingWorse: the verdict line when nothing got worse, with
// and without changes.
func TestDiffNothingWorse(t *testing.T) {
	t.Parallel()
	h := hardened()
	for _, tc := range []struct {
		old, new Document
		want     string
	}{
		{doc(h), doc(h), "nothing got worse\n"},
		{doc(h), doc(regrade(h)), "nothing got worse: 2 findings removed\n"},
		{Document{}, Document{}, "nothing got worse\n"},
	} {
		d := DiffDocuments(tc.old, tc.new)
		var b bytes.Buffer
		if err := DiffText(&b, d); err != nil {
			t.Fatal(err)
		}
		if d.Worse || !strings.HasSuffix(b.String(), tc.want) {
			t.Errorf("worse %v, text:\n%s\nwant it to end with %q", d.Worse, b.String(), tc.want)
		}
	}
}

func TestReadDocument(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JSON(&b, fixtures(), testMeta); err != nil {
		t.Fatal(err)
	}
	d, err := ReadDocument(&b)
	if err != nil || len(d.Targets) != len(fixtures()) || d.Targets[1].Findings[0].Severity != rules.Critical {
		t.Fatalf("ReadDocument: %v, %+v", err, d)
	}
	for in, want := range map[string]string{
		`{"schema":"other/v2","targets":[]}`: `schema "other/v2"`,
		`not json`:                           "not a JSON audit report",
	} {
		if _, err := ReadDocument(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

package report

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/rules"
)

// SARIF 2.1.0 objects (OASIS Static Analysis Results Interchange Format),
// the subset a report needs.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
		Properties  sarifRunProps     `json:"properties"`
	}
	// sarifRunProps is the run's property bag: each target's status,
	// grade and checklist counts.
	sarifRunProps struct {
		Targets []sarifTarget `json:"targets"`
	}
	sarifTarget struct {
		Target          string `json:"target"`
		Status          Status `json:"status"`
		Grade           string `json:"grade,omitempty"` // absent when not audited
		Score           *int   `json:"score,omitempty"` // absent when not audited
		ChecklistCounts Counts `json:"checklist_counts"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		Name                 string          `json:"name,omitempty"`
		ShortDescription     sarifText       `json:"shortDescription"`
		FullDescription      *sarifText      `json:"fullDescription,omitempty"`
		Help                 *sarifText      `json:"help,omitempty"`
		HelpURI              string          `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfig     `json:"defaultConfiguration"`
		Properties           *sarifRuleProps `json:"properties,omitempty"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags             []string `json:"tags"`
		SecuritySeverity string   `json:"security-severity,omitempty"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool                `json:"executionSuccessful"`
		Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level      string          `json:"level"`
		Message    sarifText       `json:"message"`
		Properties *sarifNoteProps `json:"properties,omitempty"`
	}
	// sarifNoteProps says which checklist item a notification is about.
	sarifNoteProps struct {
		Target   string         `json:"target"`
		Category rules.Category `json:"category,omitempty"`
		State    State          `json:"state"`
		Reason   Reason         `json:"reason,omitempty"`
		Detail   string         `json:"detail,omitempty"`
	}
	sarifResult struct {
		RuleID     string           `json:"ruleId"`
		RuleIndex  int              `json:"ruleIndex"`
		Level      string           `json:"level"`
		Message    sarifText        `json:"message"`
		Locations  []sarifLocation  `json:"locations,omitempty"`
		Properties sarifResultProps `json:"properties"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifResultProps struct {
		Target   string `json:"target"`
		Severity string `json:"severity"`
		Evidence string `json:"evidence,omitempty"`
	}
)

// sarifSchema is the JSON schema of SARIF 2.1.0.
const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// InformationURI is the tool's home page in SARIF output.
const InformationURI = "https://github.com/portcullis/portcullis"

// SARIF writes a SARIF 2.1.0 log with one run: the driver lists the
// catalog rules that have findings (id, a PascalCase name, the title as
// shortDescription, the description, the fix as help, the first reference
// as helpUri, the default level and a security-severity for code
// scanning); each finding is a result whose location is the finding's
// URL, or https:// and the target. Levels: critical and high are "error",
// medium "warning", low and info "note". Probe errors are tool execution
// notifications, and make executionSuccessful false. So is what the audit
// could not verify, at level "note": a target not audited, and each
// checklist item not verified (with its reason in the message and in the
// notification's properties). The run's properties give each target's
// status, grade and checklist counts.
func SARIF(w io.Writer, reps []audit.Report, m Meta) error {
	if err := validate(reps); err != nil {
		return err
	}
	m = m.withDefaults()
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: m.Tool, Version: m.Version, InformationURI: InformationURI, Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     []sarifResult{},
	}
	// Rules in catalog order, then unknown IDs by name.
	index := map[string]int{}
	for _, rule := range evaluated(audit.Report{Findings: allFindings(reps)}, nil) {
		index[rule.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(rule))
	}
	inv := &run.Invocations[0]
	run.Properties.Targets = []sarifTarget{}
	for _, r := range reps {
		for _, e := range r.Errors {
			inv.ExecutionSuccessful = false
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error", Message: sarifText{r.Target + ": " + e}})
		}
		items := checklist(r, m.Categories)
		st := sarifTarget{Target: r.Target, Status: StatusOf(r), ChecklistCounts: countStates(items)}
		if Audited(r) {
			st.Grade, st.Score = r.Grade.Letter, &r.Grade.Score
			for _, it := range items {
				if it.State == NotVerified {
					inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note",
						Message:    sarifText{r.Target + ": not verified: " + it.Text + ": " + it.Why()},
						Properties: &sarifNoteProps{Target: r.Target, Category: it.Category, State: it.State, Reason: it.Reason, Detail: it.Detail}})
				}
			}
		} else {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note",
				Message:    sarifText{r.Target + ": not audited: no grade, and no checklist item verified (see the errors)"},
				Properties: &sarifNoteProps{Target: r.Target, State: NotVerified, Reason: NotFetched, Detail: notAudited.detail}})
		}
		run.Properties.Targets = append(run.Properties.Targets, st)
		for _, f := range r.Findings {
			res := sarifResult{
				RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
				Message:    sarifText{f.Message},
				Properties: sarifResultProps{Target: r.Target, Severity: f.Severity.String(), Evidence: f.Evidence},
			}
			if res.Message.Text == "" {
				res.Message.Text = ruleOf(f.Rule).Title
			}
			if res.Message.Text == "" {
				res.Message.Text = f.Rule
			}
			if uri := artifactURI(f.Target, r.Target); uri != "" {
				res.Locations = []sarifLocation{{sarifPhysical{sarifArtifact{uri}}}}
			}
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func allFindings(reps []audit.Report) []rules.Finding {
	var out []rules.Finding
	for _, r := range reps {
		out = append(out, r.Findings...)
	}
	return out
}

// sarifRuleOf describes a rule for the driver.
func sarifRuleOf(rule rules.Rule) sarifRule {
	sr := sarifRule{ID: rule.ID, Name: pascal(rule.ID), ShortDescription: sarifText{cmpOr(rule.Title, rule.ID)},
		DefaultConfiguration: sarifConfig{sarifLevel(rule.Severity)}}
	if rule.Description != "" {
		sr.FullDescription = &sarifText{rule.Description}
	}
	if rule.Fix != "" {
		sr.Help = &sarifText{rule.Fix}
	}
	if len(rule.References) > 0 {
		sr.HelpURI = rule.References[0]
	}
	if rule.Category != "" {
		sr.Properties = &sarifRuleProps{Tags: []string{"security", string(rule.Category)}, SecuritySeverity: securitySeverity(rule.Severity)}
	}
	return sr
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s rules.Severity) string {
	switch {
	case s >= rules.High:
		return "error"
	case s == rules.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning ranks by
// ("" for informational rules).
func securitySeverity(s rules.Severity) string {
	switch s {
	case rules.Critical:
		return "9.5"
	case rules.High:
		return "8.0"
	case rules.Medium:
		return "5.5"
	case rules.Low:
		return "3.0"
	}
	return ""
}

// pascal turns "hsts.max-age-short" into "HstsMaxAgeShort".
func pascal(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r == '.' || r == '-' || r == '_':
			up = true
		case up && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			up = false
		default:
			b.WriteRune(r)
			up = false
		}
	}
	return b.String()
}

// artifactURI is a URI for where a finding was observed: the finding's
// absolute http(s) URL, else https:// and the target (the finding's or the
// report's), else the text percent-encoded as a relative reference.
func artifactURI(findingTarget, target string) string {
	for _, s := range []string{findingTarget, target} {
		if s == "" {
			continue
		}
		if u, err := url.Parse(s); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return u.String()
		}
		if u, err := url.Parse("https://" + s); err == nil && u.Host != "" && u.User == nil {
			return u.String()
		}
		return url.PathEscape(s)
	}
	return ""
}

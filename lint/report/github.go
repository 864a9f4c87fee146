package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/berth-compose/berth/lint"
)

// writeGitHub prints GitHub Actions workflow commands, one per unsuppressed
// diagnostic, which the runner turns into annotations on the pull request:
//
//	::error file=compose.yaml,line=12,col=17,endLine=12,endColumn=21,title=BR301 privileged::service "web" runs privileged
//
// Errors are ::error, warnings ::warning and infos ::notice. Columns are
// 1-based characters and endColumn is exclusive, as in every berth format.
func writeGitHub(w io.Writer, diags []lint.Diagnostic) error {
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		if d.Suppressed {
			continue
		}
		cmd := "notice"
		switch d.Severity {
		case lint.Error:
			cmd = "error"
		case lint.Warning:
			cmd = "warning"
		}
		title := ""
		if d.Rule != nil {
			title = d.Rule.Code + " " + d.Rule.Name
		}
		props := []string{"file=" + escapeProperty(d.Pos.File)}
		if d.Pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Pos.Line), fmt.Sprintf("col=%d", max(d.Pos.Column, 1)))
			if d.Pos.EndLine >= d.Pos.Line {
				props = append(props, fmt.Sprintf("endLine=%d", d.Pos.EndLine), fmt.Sprintf("endColumn=%d", max(d.Pos.EndColumn, 1)))
			}
		}
		props = append(props, "title="+escapeProperty(title))
		fmt.Fprintf(bw, "::%s %s::%s\n", cmd, strings.Join(props, ","), escapeData(d.Message))
	}
	return bw.Flush()
}

// escapeData escapes a workflow command's message the way @actions/core
// does: %, CR and LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command property value: the data escapes
// plus ":" and ",", which would end the value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

package lint

import "github.com/berth-compose/berth/load"

// suppress applies `# berth:disable-...` comments. Placeholder until the
// suppression parser lands: it keeps every diagnostic.
func suppress(_ *load.Project, _ []*Rule, diags []Diagnostic) []Diagnostic {
	return diags
}

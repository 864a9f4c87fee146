// Package sensitive is berth's one rule for which values are secrets: plan
// and apply mask them on display, convert moves them into Kubernetes
// Secrets. One rule, so that what a plan hides is what a Deployment never
// holds.
package sensitive

import "regexp"

var sensitiveName = regexp.MustCompile(`(?i)(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|CERT)`)

// Name reports whether a variable, field or flag name looks like it holds a
// secret.
func Name(name string) bool { return sensitiveName.MatchString(name) }

package rules

import (
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// Helpers shared by the security rules (BR3xx). The rules judge the loaded
// model (so merges, extends and anchors count) but only on what the user
// wrote literally: a value that came from a `${VAR}` is never judged, and a
// finding is reported at the node that wrote it.

// sortedServices returns the services of p sorted by name.
func secSortedServices(p *lint.Pass) []types.ServiceConfig {
	names := make([]string, 0, len(p.Project.Services))
	for name := range p.Project.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]types.ServiceConfig, 0, len(names))
	for _, name := range names {
		s := p.Project.Services[name]
		s.Name = name
		out = append(out, s)
	}
	return out
}

// svcPath is the model path of a key of service s.
func secSvcPath(s types.ServiceConfig, segs ...any) string {
	return load.PathOf(append([]any{"services", s.Name}, segs...)...)
}

// literal returns the text written at path when it was written as a scalar
// without any variable.
func secLiteral(p *lint.Pass, path string) (string, bool) {
	raw, ok := p.Raw(path)
	if !ok || p.Interpolated(path) {
		return "", false
	}
	return raw, true
}

// written reports whether path was written in a file.
func secWritten(p *lint.Pass, path string) bool {
	_, ok := p.Project.Sources.Lookup(path)
	return ok
}

// items lists the paths of the elements written at the list path list.
func secItems(p *lint.Pass, list string) []string {
	var out []string
	for i := 0; ; i++ {
		ip := load.PathOf(i)
		ip = list + ip
		if _, ok := p.Project.Sources.Value(ip); !ok {
			return out
		}
		out = append(out, ip)
	}
}

// findItem locates the written element of the list at path list that
// produced the model element at index i: first the element with the same
// index, then any element, as judged by match. ok is false when no written
// element matches (it came from elsewhere, or from a variable).
func secFindItem(p *lint.Pass, list string, i int, match func(item string) bool) (string, bool) {
	if ip := list + load.PathOf(i); secWritten(p, ip) && match(ip) {
		return ip, true
	}
	for _, ip := range secItems(p, list) {
		if match(ip) {
			return ip, true
		}
	}
	return "", false
}

// scalarItem finds the literal scalar element of list equal to value
// (compared by eq).
func secScalarItem(p *lint.Pass, list string, i int, value string, eq func(a, b string) bool) (string, bool) {
	return secFindItem(p, list, i, func(ip string) bool {
		raw, ok := secLiteral(p, ip)
		return ok && eq(raw, value)
	})
}

// secWrittenMount is a bind mount or device as written: the path to report and
// the host path text before any normalization.
type secWrittenMount struct {
	path   string // where to report
	source string // host path as written
}

// findVolume locates the written element of services.<s>.volumes that
// produced model volume v (at index i), matched by target. ok is false when
// the element is not written literally in a file.
func secFindVolume(p *lint.Pass, s types.ServiceConfig, i int, v types.ServiceVolumeConfig) (secWrittenMount, bool) {
	list := secSvcPath(s, "volumes")
	var w secWrittenMount
	_, ok := secFindItem(p, list, i, func(ip string) bool {
		if raw, isScalar := p.Raw(ip); isScalar {
			if p.Interpolated(ip) {
				return false
			}
			pv, err := format.ParseVolume(raw)
			if err != nil || pv.Target != v.Target {
				return false
			}
			w = secWrittenMount{path: ip, source: pv.Source}
			return true
		}
		target, tok := secLiteral(p, ip+".target")
		if !tok || strings.TrimRight(target, "/") != strings.TrimRight(v.Target, "/") {
			return false
		}
		src, sok := secLiteral(p, ip+".source")
		if !sok {
			return false
		}
		w = secWrittenMount{path: ip + ".source", source: src}
		return true
	})
	return w, ok
}

// bindMounts calls fn for every bind mount of s written literally with an
// absolute (or home-relative) host path, with the host path as written but
// cleaned of a trailing slash.
func secBindMounts(p *lint.Pass, s types.ServiceConfig, fn func(i int, v types.ServiceVolumeConfig, w secWrittenMount)) {
	for i, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		w, ok := secFindVolume(p, s, i, v)
		if !ok || !(strings.HasPrefix(w.source, "/") || strings.HasPrefix(w.source, "~")) {
			continue
		}
		w.source = secCleanHostPath(w.source)
		fn(i, v, w)
	}
}

// cleanHostPath drops trailing slashes and collapses "//" so that "/etc/"
// and "/etc" compare equal; "/" stays "/".
func secCleanHostPath(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	if len(s) > 1 {
		s = strings.TrimRight(s, "/")
	}
	if s == "" {
		return "/"
	}
	return s
}

// under reports whether path is dir or below it.
func secUnder(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// reportMissing reports a service that lacks a setting: at the key named
// at when it is written (it is set, but not as needed), else at the
// service's key.
func secReportMissing(p *lint.Pass, s types.ServiceConfig, at, format string, args ...any) {
	if at != "" && secWritten(p, secSvcPath(s, at)) {
		p.ReportKeyf(secSvcPath(s, at), format, args...)
		return
	}
	p.ReportKeyf(secSvcPath(s), format, args...)
}

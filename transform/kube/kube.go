// Package kube converts a loaded compose project into Kubernetes objects.
//
// Convert is the one entry point. Every compose key of every service is
// either mapped onto a Kubernetes field or reported as a Warning that says
// where it was written and why it was not carried over; nothing is dropped
// silently. The objects are typed k8s.io/api values; Encode and WriteDir
// serialize them byte-for-byte reproducibly.
//
// This package links k8s.io/*, which costs every process that imports it
// start-up time; only cmd/berth-kube imports it, never cmd/berth.
package kube

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-compose/berth/load"
)

// Options shape the conversion. The zero value is the documented default.
type Options struct {
	// VolumeSize is the storage request of a PersistentVolumeClaim whose
	// volume has no kompose.volume.size label; empty means 1Gi.
	VolumeSize string
	// Namespace, when set, is the namespace of every object, and the output
	// begins with the Namespace object itself (so that `kubectl apply -f`
	// of the stream creates it first). Empty leaves objects without one, for
	// the namespace kubectl is pointed at.
	Namespace string
}

// Object is one Kubernetes object of the output.
type Object struct {
	Kind string // Deployment, Service, ...
	Name string
	Obj  runtime.Object // a pointer to its k8s.io/api type
	// Service is the compose service a workload, its Service or its
	// Secret of environment values comes from; empty for the rest.
	Service string
}

// Warning is a compose key (or part of one) that was not carried over, or
// carried over with a change the user must know about.
type Warning struct {
	Path string        // model path: services.web.sysctls
	Key  string        // what it is about, for counting: "sysctls", "volumes (bind)"
	Pos  load.Position // where Path was written (file relative to the project directory)
	Msg  string        // "not converted: ..." and the reason
}

func (w Warning) String() string {
	return fmt.Sprintf("%s (%s): %s", w.Path, w.Pos, w.Msg)
}

// Result is the converted project.
type Result struct {
	Objects  []Object  // sorted: kind order, then name
	Warnings []Warning // sorted by file position, then path
	// Notices are changes made without losing anything that the user must
	// still know about (secret-looking values moved into a Secret); they
	// are not warnings for --strict.
	Notices []Warning
	// Project is the project's name as a label value (the part-of label).
	Project string
}

// Convert maps p onto Kubernetes objects. p should be loaded with
// load.Options.KeepEnvFile and NoEnvResolution, so that env_file entries
// stay files (they become ConfigMaps) instead of being inlined into the
// environment. Convert reads the files of env_file, configs and secrets; it
// reads nothing else from the machine it runs on.
func Convert(p *load.Project, opts Options) (Result, error) {
	if p == nil || p.Project == nil {
		return Result{}, fmt.Errorf("no project to convert")
	}
	if opts.VolumeSize == "" {
		opts.VolumeSize = "1Gi"
	}
	if _, err := resource.ParseQuantity(opts.VolumeSize); err != nil {
		return Result{}, fmt.Errorf("volume size %q: %w", opts.VolumeSize, err)
	}
	if opts.Namespace != "" {
		if errs := validation.IsDNS1123Label(opts.Namespace); len(errs) > 0 {
			return Result{}, fmt.Errorf("namespace %q: %s", opts.Namespace, strings.Join(errs, "; "))
		}
	}
	c := newConverter(p, opts)
	if err := c.run(); err != nil {
		return Result{}, err
	}
	return c.result(), nil
}

// kindOrder is the order objects are written in: what others refer to
// first, so that `kubectl apply -f` of the stream creates referents first.
var kindOrder = map[string]int{
	"Namespace":             0,
	"ConfigMap":             1,
	"Secret":                2,
	"PersistentVolumeClaim": 3,
	"Service":               4,
	"Deployment":            5,
	"StatefulSet":           6,
	"DaemonSet":             7,
	"Job":                   8,
	"Ingress":               9,
	"NetworkPolicy":         10,
}

func (c *converter) result() Result {
	objs := slices.Clone(c.objs)
	if ns := c.opts.Namespace; ns != "" {
		for _, o := range objs {
			o.Obj.(metav1.Object).SetNamespace(ns)
		}
		objs = append(objs, Object{Kind: "Namespace", Name: ns, Obj: &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{labelPartOf: c.projectLabel()}},
		}})
	}
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Or(cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), cmp.Compare(a.Name, b.Name))
	})
	warns := slices.Clone(c.warns)
	slices.SortStableFunc(warns, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Msg, b.Msg))
	})
	warns = slices.Compact(warns)
	return Result{Objects: objs, Warnings: warns, Notices: slices.Clone(c.notices), Project: c.projectLabel()}
}

// converter holds the state of one conversion.
type converter struct {
	p       *load.Project
	opts    Options
	objs    []Object
	warns   []Warning
	notices []Warning

	names   map[string]string // compose service -> Kubernetes name
	taken   map[string]string // Kubernetes name -> compose service
	reached map[string][]string
	jobs    map[string]bool // services that become Jobs

	pvcUsers    volumeUse       // named volume -> services that mount its claim
	usedConfigs map[string]bool // top-level configs some service mounts
	usedSecrets map[string]bool
	renamed     map[string]bool // top-level paths already reported as renamed

	secretValues []projectSecret // see projectSecrets; nil until asked
}

func newConverter(p *load.Project, opts Options) *converter {
	return &converter{
		p:     p,
		opts:  opts,
		names: map[string]string{},
		taken: map[string]string{},
		jobs:  map[string]bool{},

		usedConfigs: map[string]bool{},
		usedSecrets: map[string]bool{},
	}
}

func (c *converter) add(kind, name string, obj runtime.Object) {
	c.objs = append(c.objs, Object{Kind: kind, Name: name, Obj: obj})
}

// addFor adds an object that belongs to the compose service service.
func (c *converter) addFor(service, kind, name string, obj runtime.Object) {
	c.objs = append(c.objs, Object{Kind: kind, Name: name, Obj: obj, Service: service})
}

// warn records a warning about the model path built from segs; key names
// what it is about in the per-key counts.
func (c *converter) warn(key string, path string, format string, args ...any) {
	c.warns = append(c.warns, Warning{Path: path, Key: key, Pos: c.pos(path), Msg: fmt.Sprintf(format, args...)})
}

// pos is where path was written, with the file relative to the project
// directory so that warnings show no host paths and read the same on every
// machine.
func (c *converter) pos(path string) load.Position {
	var pos load.Position
	if c.p.Sources != nil {
		pos = c.p.Sources.Nearest(path)
	}
	if pos.File != "" && filepath.IsAbs(pos.File) && c.p.WorkingDir != "" {
		if rel, err := filepath.Rel(c.p.WorkingDir, pos.File); err == nil {
			pos.File = filepath.ToSlash(rel)
		}
	}
	return pos
}

func (c *converter) run() error {
	services := c.p.Services
	order := make([]string, 0, len(services))
	for name := range services {
		order = append(order, name)
	}
	slices.Sort(order)
	for _, name := range order {
		c.serviceName(name)
	}
	c.reached = reachedByName(c.p.Project)
	c.chooseJobs()
	vols := c.volumeUsers()
	for _, name := range order {
		c.service(services[name])
	}
	c.topLevel(vols)
	c.networkPolicies()
	// Names are cleaned, so two compose names can meet (a config web-env
	// and the env_file ConfigMap of service web): say so rather than write
	// an object that silently replaces another.
	seen := map[string]bool{}
	for _, o := range c.objs {
		id := o.Kind + " " + o.Name
		if seen[id] {
			return fmt.Errorf("two objects would be named %s: rename one of the compose elements they come from", id)
		}
		seen[id] = true
	}
	return nil
}

// chooseJobs marks the one-shot services (restart "no" or on-failure) that
// another service waits for with service_completed_successfully: those run
// to completion, so they become Jobs.
func (c *converter) chooseJobs() {
	for _, s := range c.p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionCompletedSuccessfully {
				continue
			}
			if t, ok := c.p.Services[dep]; ok && oneShot(t.Restart) {
				c.jobs[dep] = true
			}
		}
	}
}

func oneShot(restart string) bool {
	return restart == "" || restart == types.RestartPolicyNo || strings.HasPrefix(restart, types.RestartPolicyOnFailure)
}

// svcPath is the model path of key under service s.
func svcPath(s string, segs ...any) string {
	return load.PathOf(append([]any{"services", s}, segs...)...)
}

// topPath is the model path of a top-level element.
func topPath(segs ...any) string { return load.PathOf(segs...) }

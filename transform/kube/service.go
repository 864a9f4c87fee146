package kube

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-compose/berth/internal/sensitive"
)

// Labels berth writes. The selector pair identifies a service's pods.
const (
	labelName     = "app.kubernetes.io/name"
	labelPartOf   = "app.kubernetes.io/part-of"
	labelNetwork  = "berth.network/"
	labelBerthCtl = "berth.kubernetes/controller"
)

// Controller kinds.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
	kindJob         = "Job"
)

// podBuilder collects what one service becomes.
type podBuilder struct {
	c    *converter
	s    types.ServiceConfig
	name string // Kubernetes name of the service

	kind     string
	replicas int32

	secretEnv      secretEnv
	ctr            corev1.Container
	pod            corev1.PodSpec
	podAnnotations map[string]string
	workloadAnn    map[string]string // on the workload
	netLabels      map[string]string
	claims         []corev1.PersistentVolumeClaim // StatefulSet volumeClaimTemplates
	usesPVC        bool

	svcPorts   []corev1.ServicePort
	published  []networkingv1.NetworkPolicyPort
	headless   bool // deploy.endpoint_mode: dnsrr
	jobRestart corev1.RestartPolicy
	backoff    *int32
}

func (c *converter) service(s types.ServiceConfig) {
	b := &podBuilder{
		c:              c,
		s:              s,
		name:           c.names[s.Name],
		podAnnotations: map[string]string{},
		workloadAnn:    map[string]string{},
		netLabels:      map[string]string{},
		replicas:       1,
	}
	b.ctr.Name = b.name
	b.kind = b.controller()
	for _, k := range presentKeys(s) {
		p := svcPath(s.Name, k)
		d, known := serviceKeys[k]
		switch {
		case !known:
			c.warn(k, p, "not converted: berth does not know this key")
		case d.apply == nil:
			c.warn(k, p, "not converted: %s", d.reason)
		default:
			d.apply(b, p)
		}
	}
	if b.ctr.Image == "" {
		b.ctr.Image = defaultImage(c.p.Name, s.Name)
	}
	b.kompose()
	b.commandSecrets()
	c.emit(b)
}

// defaultImage is the name Docker Compose gives the image it builds.
func defaultImage(project, service string) string {
	return strings.ToLower(project + "-" + service)
}

// controller chooses the workload kind: a berth.kubernetes/controller or
// kompose.controller.type label first, then deploy.mode, then a Job for a
// one-shot service others wait on, then a StatefulSet for a replicated
// service with a named volume, else a Deployment.
func (b *podBuilder) controller() string {
	s := b.s
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		b.replicas = int32(*s.Deploy.Replicas)
	} else if s.Scale != nil {
		b.replicas = int32(*s.Scale)
	}
	for _, key := range []string{labelBerthCtl, "kompose.controller.type"} {
		v, ok := s.Labels[key]
		if !ok {
			continue
		}
		switch strings.ToLower(v) {
		case "deployment":
			return kindDeployment
		case "statefulset":
			return kindStatefulSet
		case "daemonset":
			return kindDaemonSet
		case "job":
			return kindJob
		}
		b.c.warn("labels", svcPath(s.Name, "labels", key), "not converted: controller %q is not one of deployment, statefulset, daemonset, job", v)
	}
	if s.Deploy != nil {
		switch s.Deploy.Mode {
		case "global":
			return kindDaemonSet
		case "replicated-job", "global-job":
			return kindJob
		}
	}
	if b.c.jobs[s.Name] {
		return kindJob
	}
	if b.replicas > 1 && slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == types.VolumeTypeVolume && v.Source != ""
	}) {
		return kindStatefulSet
	}
	return kindDeployment
}

// escapeDollar keeps text literal where the kubelet expands $(VAR) and $$
// (command, args, env values, exec probes): every "$" before "(" or "$" is
// doubled.
func escapeDollar(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '$') {
			b.WriteByte('$')
		}
	}
	return b.String()
}

func escapeAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = escapeDollar(s)
	}
	return out
}

func (b *podBuilder) image(string) { b.ctr.Image = b.s.Image }

func (b *podBuilder) build(p string) {
	img := b.s.Image
	if img == "" {
		img = defaultImage(b.c.p.Name, b.s.Name)
	}
	b.c.warn("build", p, "not converted: Kubernetes does not build images; build %s and push it to a registry the cluster pulls from", img)
}

func (b *podBuilder) command(string)    { b.ctr.Args = escapeAll(b.s.Command) }
func (b *podBuilder) entrypoint(string) { b.ctr.Command = escapeAll(b.s.Entrypoint) }
func (b *podBuilder) workingDir(string) { b.ctr.WorkingDir = b.s.WorkingDir }
func (b *podBuilder) stdinOpen(string)  { b.ctr.Stdin = b.s.StdinOpen }
func (b *podBuilder) tty(string)        { b.ctr.TTY = b.s.Tty }

func (b *podBuilder) environment(p string) {
	for _, k := range slices.Sorted(maps.Keys(b.s.Environment)) {
		v := b.s.Environment[k]
		if v == nil {
			b.c.warn("environment", svcPath(b.s.Name, "environment", k),
				"not converted: %s has no value in the compose files (Docker Compose takes it from the shell at run time); add its value", k)
			continue
		}
		if sensitive.Name(k) || b.c.holdsSecret(*v) {
			b.ctr.Env = append(b.ctr.Env, b.secretEnvVar(k, *v))
			continue
		}
		b.ctr.Env = append(b.ctr.Env, corev1.EnvVar{Name: k, Value: escapeDollar(*v)})
	}
}

func (b *podBuilder) hostname(p string) {
	h := cleanName(b.s.Hostname, validation.DNS1123LabelMaxLength)
	if h != b.s.Hostname {
		b.c.warn("hostname", p, "changed to %q: a pod hostname must be a DNS label", h)
	}
	b.pod.Hostname = h
}

func (b *podBuilder) securityContext() *corev1.SecurityContext {
	if b.ctr.SecurityContext == nil {
		b.ctr.SecurityContext = &corev1.SecurityContext{}
	}
	return b.ctr.SecurityContext
}

func (b *podBuilder) podSecurity() *corev1.PodSecurityContext {
	if b.pod.SecurityContext == nil {
		b.pod.SecurityContext = &corev1.PodSecurityContext{}
	}
	return b.pod.SecurityContext
}

func capNames(in []string) []corev1.Capability {
	var out []corev1.Capability
	for _, c := range in {
		out = append(out, corev1.Capability(strings.TrimPrefix(strings.ToUpper(c), "CAP_")))
	}
	return out
}

func (b *podBuilder) capAdd(string) {
	sc := b.securityContext()
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	sc.Capabilities.Add = capNames(b.s.CapAdd)
}

func (b *podBuilder) capDrop(string) {
	sc := b.securityContext()
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	sc.Capabilities.Drop = capNames(b.s.CapDrop)
}

func (b *podBuilder) privileged(string) {
	v := b.s.Privileged
	b.securityContext().Privileged = &v
}

func (b *podBuilder) readOnly(string) {
	v := b.s.ReadOnly
	b.securityContext().ReadOnlyRootFilesystem = &v
}

func (b *podBuilder) user(p string) {
	u, g, _ := strings.Cut(b.s.User, ":")
	uid, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		b.c.warn("user", p, "not converted: %q is not a numeric user id; Kubernetes runs as a uid (runAsUser), not a user name", b.s.User)
		return
	}
	sc := b.securityContext()
	sc.RunAsUser = &uid
	if g != "" {
		gid, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			b.c.warn("user", p, "group not converted: %q is not a numeric group id (runAsGroup)", g)
			return
		}
		sc.RunAsGroup = &gid
	}
}

func (b *podBuilder) groupAdd(p string) {
	for i, g := range b.s.GroupAdd {
		gid, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			b.c.warn("group_add", svcPath(b.s.Name, "group_add", i), "not converted: %q is not a numeric group id (supplementalGroups)", g)
			continue
		}
		ps := b.podSecurity()
		ps.SupplementalGroups = append(ps.SupplementalGroups, gid)
	}
}

func (b *podBuilder) securityOpt(p string) {
	for i, o := range b.s.SecurityOpt {
		switch strings.ReplaceAll(o, "=", ":") {
		case "no-new-privileges", "no-new-privileges:true":
			f := false
			b.securityContext().AllowPrivilegeEscalation = &f
		case "seccomp:unconfined":
			b.securityContext().SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		case "apparmor:unconfined":
			b.securityContext().AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		default:
			b.c.warn("security_opt", svcPath(b.s.Name, "security_opt", i), "not converted: %q has no securityContext equivalent berth can write (profiles must be installed on the nodes)", o)
		}
	}
}

func (b *podBuilder) sysctls(p string) {
	for _, k := range slices.Sorted(maps.Keys(b.s.Sysctls)) {
		ps := b.podSecurity()
		ps.Sysctls = append(ps.Sysctls, corev1.Sysctl{Name: k, Value: b.s.Sysctls[k]})
		if !safeSysctls[k] {
			b.c.warn("sysctls", svcPath(b.s.Name, "sysctls", k),
				"converted to the pod's securityContext.sysctls, but %s is not a safe sysctl: the kubelet rejects the pod unless started with --allowed-unsafe-sysctls=%s", k, k)
		}
	}
}

// safeSysctls are the sysctls every kubelet allows (Kubernetes' safe set).
var safeSysctls = map[string]bool{
	"kernel.shm_rmid_forced":              true,
	"net.ipv4.ip_local_port_range":        true,
	"net.ipv4.tcp_syncookies":             true,
	"net.ipv4.ping_group_range":           true,
	"net.ipv4.ip_unprivileged_port_start": true,
	"net.ipv4.ip_local_reserved_ports":    true,
	"net.ipv4.tcp_keepalive_time":         true,
	"net.ipv4.tcp_fin_timeout":            true,
	"net.ipv4.tcp_keepalive_intvl":        true,
	"net.ipv4.tcp_keepalive_probes":       true,
	"net.ipv4.tcp_rmem":                   true,
	"net.ipv4.tcp_wmem":                   true,
}

func (b *podBuilder) dnsConfig() *corev1.PodDNSConfig {
	if b.pod.DNSConfig == nil {
		b.pod.DNSConfig = &corev1.PodDNSConfig{}
	}
	return b.pod.DNSConfig
}

func (b *podBuilder) dns(string) { b.dnsConfig().Nameservers = slices.Clone(b.s.DNS) }
func (b *podBuilder) dnsSearch(string) {
	b.dnsConfig().Searches = slices.Clone(b.s.DNSSearch)
}

func (b *podBuilder) dnsOpt(string) {
	for _, o := range b.s.DNSOpts {
		k, v, ok := strings.Cut(o, ":")
		opt := corev1.PodDNSConfigOption{Name: k}
		if ok {
			opt.Value = &v
		}
		b.dnsConfig().Options = append(b.dnsConfig().Options, opt)
	}
}

func (b *podBuilder) extraHosts(p string) {
	byIP := map[string][]string{}
	for _, host := range slices.Sorted(maps.Keys(b.s.ExtraHosts)) {
		for _, ip := range b.s.ExtraHosts[host] {
			if ip == "host-gateway" {
				b.c.warn("extra_hosts", svcPath(b.s.Name, "extra_hosts", host), "not converted: host-gateway (the Docker host) has no meaning in a cluster")
				continue
			}
			byIP[ip] = append(byIP[ip], host)
		}
	}
	for _, ip := range slices.Sorted(maps.Keys(byIP)) {
		b.pod.HostAliases = append(b.pod.HostAliases, corev1.HostAlias{IP: ip, Hostnames: byIP[ip]})
	}
}

func (b *podBuilder) platform(p string) {
	parts := strings.Split(b.s.Platform, "/")
	if b.pod.NodeSelector == nil {
		b.pod.NodeSelector = map[string]string{}
	}
	b.pod.NodeSelector["kubernetes.io/os"] = parts[0]
	if len(parts) > 1 {
		b.pod.NodeSelector["kubernetes.io/arch"] = parts[1]
	}
	if len(parts) > 2 {
		b.c.warn("platform", p, "variant %q not converted: nodes are selected by os and arch only", parts[2])
	}
}

func (b *podBuilder) pullPolicy(p string) {
	switch b.s.PullPolicy {
	case types.PullPolicyAlways:
		b.ctr.ImagePullPolicy = corev1.PullAlways
	case types.PullPolicyNever:
		b.ctr.ImagePullPolicy = corev1.PullNever
	case types.PullPolicyMissing, types.PullPolicyIfNotPresent:
		b.ctr.ImagePullPolicy = corev1.PullIfNotPresent
	case types.PullPolicyBuild:
		b.c.warn("pull_policy", p, "not converted: Kubernetes does not build images (build and push, then use pull_policy: always or missing)")
	default:
		b.c.warn("pull_policy", p, "not converted: %q has no imagePullPolicy equivalent (Always, IfNotPresent, Never)", b.s.PullPolicy)
	}
}

func (b *podBuilder) stopGracePeriod(string) {
	secs := seconds(*b.s.StopGracePeriod, 0)
	v := int64(secs)
	b.pod.TerminationGracePeriodSeconds = &v
}

// seconds rounds d up to whole seconds, at least floor.
func seconds(d types.Duration, floor int32) int32 {
	s := int32(math.Ceil(time.Duration(d).Seconds()))
	return max(s, floor)
}

func (b *podBuilder) ipc(p string) {
	switch {
	case b.s.Ipc == "host":
		b.pod.HostIPC = true
	case b.s.Ipc == "private" || b.s.Ipc == "shareable" || b.s.Ipc == "":
		// a pod's own IPC namespace is Kubernetes' default
	default:
		b.c.warn("ipc", p, "not converted: sharing another container's IPC namespace (%s) needs both in one pod", b.s.Ipc)
	}
}

func (b *podBuilder) pid(p string) {
	if b.s.Pid == "host" {
		b.pod.HostPID = true
		return
	}
	b.c.warn("pid", p, "not converted: sharing another container's PID namespace (%s) needs both in one pod (shareProcessNamespace)", b.s.Pid)
}

func (b *podBuilder) networkMode(p string) {
	switch m := b.s.NetworkMode; {
	case m == "host":
		b.pod.HostNetwork = true
		b.pod.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	case m == "bridge" || m == "default" || m == "":
	case m == "none":
		b.c.warn("network_mode", p, "not converted: a pod always has a network interface")
	default:
		b.c.warn("network_mode", p, "not converted: sharing the network of %s means one pod with both containers; berth writes one pod per service", m)
	}
}

func (b *podBuilder) networks(string) {
	for _, n := range slices.Sorted(maps.Keys(b.s.Networks)) {
		b.netLabels[labelNetwork+b.c.objectName(topPath("networks", n), n)] = "true"
		cfg := b.s.Networks[n]
		if cfg == nil {
			continue
		}
		np := func(k string) string { return svcPath(b.s.Name, "networks", n, k) }
		if len(cfg.Aliases) > 0 {
			b.c.warn("networks.aliases", np("aliases"), "not converted: only the Service name %q resolves in the cluster", b.name)
		}
		if cfg.Ipv4Address != "" || cfg.Ipv6Address != "" || len(cfg.LinkLocalIPs) > 0 {
			b.c.warn("networks.ipv4_address", svcPath(b.s.Name, "networks", n), "not converted: pod addresses are assigned by the network plugin")
		}
		if cfg.MacAddress != "" || cfg.DriverOpts != nil || cfg.Priority != 0 || cfg.GatewayPriority != 0 || cfg.InterfaceName != "" {
			b.c.warn("networks.options", svcPath(b.s.Name, "networks", n), "not converted: per-network interface options have no pod equivalent")
		}
	}
}

func (b *podBuilder) dependsOn(string) {
	for _, dep := range slices.Sorted(maps.Keys(b.s.DependsOn)) {
		d := b.s.DependsOn[dep]
		target := b.c.names[dep]
		if target == "" {
			target = dep
		}
		var why string
		switch _, loaded := b.c.p.Services[dep]; {
		case !loaded:
			b.c.warn("depends_on", svcPath(b.s.Name, "depends_on", dep), "not converted: %s is not among the converted services (another profile, or not selected)", dep)
			continue
		case d.Condition == types.ServiceConditionCompletedSuccessfully && b.c.jobs[dep]:
			why = fmt.Sprintf("%s runs as a Job, but Kubernetes does not hold %s back until it completes", target, b.name)
		case d.Condition == types.ServiceConditionHealthy:
			why = fmt.Sprintf("Kubernetes starts all pods at once; %s gets a Service that lists it only once its readiness probe passes, so %s must retry until then", target, b.name)
		default:
			why = fmt.Sprintf("Kubernetes starts all pods at once; %s gets a Service, so %s must retry until it answers", target, b.name)
		}
		b.c.warn("depends_on", svcPath(b.s.Name, "depends_on", dep), "start order not converted: %s", why)
	}
}

func (b *podBuilder) links(string) {
	for i, l := range b.s.Links {
		svc, alias, _ := strings.Cut(l, ":")
		msg := fmt.Sprintf("start order not converted; %s is reached through its Service", svc)
		if alias != "" && alias != svc {
			msg += fmt.Sprintf(", the alias %q does not resolve", alias)
		}
		b.c.warn("links", svcPath(b.s.Name, "links", i), "%s", msg)
	}
}

func (b *podBuilder) annotations(p string) {
	for _, k := range slices.Sorted(maps.Keys(b.s.Annotations)) {
		if bad := validation.IsQualifiedName(k); len(bad) > 0 {
			b.c.warn("annotations", svcPath(b.s.Name, "annotations", k), "not converted: %q is not a valid annotation key (%s)", k, bad[0])
			continue
		}
		b.podAnnotations[k] = b.s.Annotations[k]
	}
}

// honoured are the kompose.* labels berth reads, for users who migrate.
var honoured = map[string]bool{
	"kompose.service.type":                      true,
	"kompose.service.expose":                    true,
	"kompose.service.expose.tls-secret":         true,
	"kompose.service.expose.ingress-class-name": true,
	"kompose.service.nodeport.port":             true,
	"kompose.controller.type":                   true,
	"kompose.volume.size":                       true,
	"kompose.volume.storage-class-name":         true,
	"kompose.image-pull-policy":                 true,
	"kompose.image-pull-secret":                 true,
	"kompose.serviceaccount-name":               true,
	"kompose.security-context.fsgroup":          true,
	labelBerthCtl:                               true,
}

// labels: compose labels are metadata for people and tools, not selectors,
// and their values need not pass label validation, so they become
// annotations on the workload and its pods. kompose.* labels berth honours
// and berth.kubernetes/* labels are read, not copied.
func (b *podBuilder) labels(p string) {
	for _, k := range slices.Sorted(maps.Keys(b.s.Labels)) {
		lp := svcPath(b.s.Name, "labels", k)
		switch {
		case honoured[k]:
			continue
		case strings.HasPrefix(k, "kompose."):
			b.c.warn("labels (kompose)", lp, "not converted: berth does not honour the label %s", k)
			continue
		case strings.HasPrefix(k, "berth.kubernetes/"):
			b.c.warn("labels (berth)", lp, "not converted: unknown berth label %s (known: %s)", k, labelBerthCtl)
			continue
		}
		if bad := validation.IsQualifiedName(k); len(bad) > 0 {
			b.c.warn("labels", lp, "not converted: %q is not a valid annotation key (%s)", k, bad[0])
			continue
		}
		b.podAnnotations[k] = b.s.Labels[k]
		b.workloadAnn[k] = b.s.Labels[k]
	}
}

func (b *podBuilder) restart(p string) {
	r := b.s.Restart
	if b.kind == kindJob {
		b.jobRestart = corev1.RestartPolicyNever
		zero := int32(0)
		b.backoff = &zero
		if strings.HasPrefix(r, types.RestartPolicyOnFailure) {
			b.jobRestart = corev1.RestartPolicyOnFailure
			b.backoff = nil
			if _, n, ok := strings.Cut(r, ":"); ok {
				if v, err := strconv.Atoi(n); err == nil {
					v32 := int32(v)
					b.backoff = &v32
				}
			}
		}
		if r == types.RestartPolicyAlways || r == types.RestartPolicyUnlessStopped {
			b.c.warn("restart", p, "not converted: %s runs as a Job, whose pods do not restart after success", b.name)
		}
		return
	}
	if r == types.RestartPolicyAlways || r == types.RestartPolicyUnlessStopped {
		return // a Deployment's pods always restart
	}
	b.c.warn("restart", p, "not converted: %q: the pods of a %s always restart; a one-shot service that others wait for with service_completed_successfully, or one labelled %s: job, becomes a Job", r, b.kind, labelBerthCtl)
}

func (b *podBuilder) postStart(p string) {
	if h, ok := b.hook(p, b.s.PostStart); ok {
		b.lifecycle().PostStart = h
	}
}

func (b *podBuilder) preStop(p string) {
	if h, ok := b.hook(p, b.s.PreStop); ok {
		b.lifecycle().PreStop = h
	}
}

func (b *podBuilder) lifecycle() *corev1.Lifecycle {
	if b.ctr.Lifecycle == nil {
		b.ctr.Lifecycle = &corev1.Lifecycle{}
	}
	return b.ctr.Lifecycle
}

// hook maps a single plain hook (a command, no user, privileges, working
// directory or environment of its own) onto a lifecycle exec handler.
func (b *podBuilder) hook(p string, hooks []types.ServiceHook) (*corev1.LifecycleHandler, bool) {
	if len(hooks) != 1 {
		b.c.warn(lastKey(p), p, "not converted: Kubernetes runs one handler per hook, here are %d", len(hooks))
		return nil, false
	}
	h := hooks[0]
	if h.User != "" || h.Privileged || h.WorkingDir != "" || len(h.Environment) > 0 || h.Image != "" {
		b.c.warn(lastKey(p), p, "not converted: a lifecycle handler runs as the container runs, without its own user, privileges, working directory, environment or image")
		return nil, false
	}
	return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: slices.Clone(h.Command)}}, true
}

func lastKey(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// healthcheck: the same exec probe for liveness and readiness, with
// Docker's timings (interval 30s, timeout 30s, retries 3 when unset, since
// Kubernetes' own defaults differ). start_period delays both probes.
func (b *podBuilder) healthcheck(p string) {
	h := b.s.HealthCheck
	if h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE") {
		return // no probe, as asked
	}
	var argv []string
	switch {
	case len(h.Test) == 0:
		b.c.warn("healthcheck", p, "not converted: without test the image's HEALTHCHECK applies, which berth cannot see; add a test")
		return
	case h.Test[0] == "CMD":
		argv = h.Test[1:]
	case h.Test[0] == "CMD-SHELL":
		argv = []string{"sh", "-c", strings.Join(h.Test[1:], " ")}
	default:
		argv = []string{"sh", "-c", strings.Join(h.Test, " ")}
	}
	dur := func(d *types.Duration, def time.Duration) types.Duration {
		if d == nil {
			return types.Duration(def)
		}
		return *d
	}
	retries := int32(3)
	if h.Retries != nil {
		retries = int32(*h.Retries)
	}
	probe := &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: escapeAll(argv)}},
		PeriodSeconds:    seconds(dur(h.Interval, 30*time.Second), 1),
		TimeoutSeconds:   seconds(dur(h.Timeout, 30*time.Second), 1),
		FailureThreshold: max(retries, 1),
	}
	if h.StartPeriod != nil {
		probe.InitialDelaySeconds = seconds(*h.StartPeriod, 0)
	}
	b.ctr.LivenessProbe = probe
	ready := *probe
	b.ctr.ReadinessProbe = &ready
	if h.StartInterval != nil {
		b.c.warn("healthcheck.start_interval", svcPath(b.s.Name, "healthcheck", "start_interval"), "not converted: probes run at one period (the interval)")
	}
}

// Resources

func (b *podBuilder) limits() corev1.ResourceList {
	if b.ctr.Resources.Limits == nil {
		b.ctr.Resources.Limits = corev1.ResourceList{}
	}
	return b.ctr.Resources.Limits
}

func (b *podBuilder) requests() corev1.ResourceList {
	if b.ctr.Resources.Requests == nil {
		b.ctr.Resources.Requests = corev1.ResourceList{}
	}
	return b.ctr.Resources.Requests
}

func cpuQuantity(cpus float32) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Round(float64(cpus)*1000)), resource.DecimalSI)
}

func memQuantity(bytes types.UnitBytes) resource.Quantity {
	return *resource.NewQuantity(int64(bytes), resource.BinarySI)
}

func (b *podBuilder) cpus(string) { b.limits()[corev1.ResourceCPU] = cpuQuantity(b.s.CPUS) }
func (b *podBuilder) memLimit(string) {
	b.limits()[corev1.ResourceMemory] = memQuantity(b.s.MemLimit)
}

func (b *podBuilder) memReservation(string) {
	b.requests()[corev1.ResourceMemory] = memQuantity(b.s.MemReservation)
}

func (b *podBuilder) resources(p string, r *types.Resource, list func() corev1.ResourceList) {
	if r == nil {
		return
	}
	if r.NanoCPUs != 0 {
		list()[corev1.ResourceCPU] = cpuQuantity(float32(r.NanoCPUs))
	}
	if r.MemoryBytes != 0 {
		list()[corev1.ResourceMemory] = memQuantity(r.MemoryBytes)
	}
	if r.Pids != 0 {
		b.c.warn("deploy.resources.pids", p+".pids", "not converted: the PID limit is a kubelet setting (podPidsLimit)")
	}
	if len(r.Devices) > 0 {
		b.c.warn("deploy.resources.devices", p+".devices", "not converted: devices are requested as a device plugin's resource (e.g. nvidia.com/gpu)")
	}
	if len(r.GenericResources) > 0 {
		b.c.warn("deploy.resources.generic_resources", p+".generic_resources", "not converted: use the extended resource names of the cluster's device plugins")
	}
}

func (b *podBuilder) deploy(p string) {
	d := b.s.Deploy
	sub := func(k ...any) string { return svcPath(b.s.Name, append([]any{"deploy"}, k...)...) }
	switch d.Mode {
	case "", "replicated", "global", "replicated-job", "global-job":
	default:
		b.c.warn("deploy.mode", sub("mode"), "not converted: unknown mode %q", d.Mode)
	}
	if d.Mode == "global" && b.kind == kindDaemonSet && d.Replicas != nil {
		b.c.warn("deploy.replicas", sub("replicas"), "not converted: a DaemonSet runs one pod per node")
	}
	b.resources(sub("resources", "limits"), d.Resources.Limits, b.limits)
	b.resources(sub("resources", "reservations"), d.Resources.Reservations, b.requests)
	for _, k := range slices.Sorted(maps.Keys(d.Labels)) {
		if bad := validation.IsQualifiedName(k); len(bad) > 0 {
			b.c.warn("deploy.labels", sub("labels", k), "not converted: %q is not a valid annotation key (%s)", k, bad[0])
			continue
		}
		b.workloadAnn[k] = d.Labels[k]
	}
	if rp := d.RestartPolicy; rp != nil {
		switch {
		case b.kind == kindJob:
			if rp.Condition == "none" {
				b.jobRestart = corev1.RestartPolicyNever
			} else if rp.Condition == "on-failure" {
				b.jobRestart = corev1.RestartPolicyOnFailure
			}
			if rp.MaxAttempts != nil {
				v := int32(*rp.MaxAttempts)
				b.backoff = &v
			}
		case rp.Condition != "" && rp.Condition != "any":
			b.c.warn("deploy.restart_policy", sub("restart_policy"), "not converted: the pods of a %s always restart", b.kind)
		}
		if rp.Delay != nil || rp.Window != nil {
			b.c.warn("deploy.restart_policy", sub("restart_policy"), "delay and window not converted: the kubelet's restart back-off applies")
		}
	}
	if d.UpdateConfig != nil {
		b.c.warn("deploy.update_config", sub("update_config"), "not converted: Kubernetes rolls out with its own strategy (maxSurge/maxUnavailable 25%%)")
	}
	if d.RollbackConfig != nil {
		b.c.warn("deploy.rollback_config", sub("rollback_config"), "not converted: roll back with kubectl rollout undo")
	}
	for i, con := range d.Placement.Constraints {
		if !b.constraint(con) {
			b.c.warn("deploy.placement.constraints", sub("placement", "constraints", i), "not converted: only node.labels.*, node.hostname and node.platform.* with == become a nodeSelector")
		}
	}
	if len(d.Placement.Preferences) > 0 || d.Placement.MaxReplicas != 0 {
		b.c.warn("deploy.placement", sub("placement"), "preferences and max_replicas_per_node not converted: write topologySpreadConstraints")
	}
	switch d.EndpointMode {
	case "", "vip":
	case "dnsrr":
		b.headless = true
	default:
		b.c.warn("deploy.endpoint_mode", sub("endpoint_mode"), "not converted: unknown mode %q", d.EndpointMode)
	}
}

// constraint turns a swarm placement constraint with == into a
// nodeSelector entry.
func (b *podBuilder) constraint(con string) bool {
	k, v, ok := strings.Cut(con, "==")
	if !ok {
		return false
	}
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	var key string
	switch {
	case strings.HasPrefix(k, "node.labels."):
		key = strings.TrimPrefix(k, "node.labels.")
	case k == "node.hostname":
		key = "kubernetes.io/hostname"
	case k == "node.platform.os":
		key = "kubernetes.io/os"
	case k == "node.platform.arch":
		key = "kubernetes.io/arch"
	default:
		return false
	}
	if len(validation.IsQualifiedName(key)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
		return false
	}
	if b.pod.NodeSelector == nil {
		b.pod.NodeSelector = map[string]string{}
	}
	b.pod.NodeSelector[key] = v
	return true
}

// kompose applies the kompose.* labels that shape the pod.
func (b *podBuilder) kompose() {
	l := b.s.Labels
	lp := func(k string) string { return svcPath(b.s.Name, "labels", k) }
	if v, ok := l["kompose.image-pull-policy"]; ok {
		switch corev1.PullPolicy(v) {
		case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
			b.ctr.ImagePullPolicy = corev1.PullPolicy(v)
		default:
			b.c.warn("labels (kompose)", lp("kompose.image-pull-policy"), "not converted: %q is not Always, IfNotPresent or Never", v)
		}
	}
	if v, ok := l["kompose.image-pull-secret"]; ok {
		b.pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: v}}
	}
	if v, ok := l["kompose.serviceaccount-name"]; ok {
		b.pod.ServiceAccountName = v
	}
	if v, ok := l["kompose.security-context.fsgroup"]; ok {
		if g, err := strconv.ParseInt(v, 10, 64); err == nil {
			b.podSecurity().FSGroup = &g
		} else {
			b.c.warn("labels (kompose)", lp("kompose.security-context.fsgroup"), "not converted: %q is not a numeric group id", v)
		}
	}
}

// selector is the label set that identifies the service's pods.
func (b *podBuilder) selector() map[string]string {
	return map[string]string{labelName: b.name, labelPartOf: b.c.projectLabel()}
}

// emit writes the workload (and its Service and Ingress) of b.
func (c *converter) emit(b *podBuilder) {
	c.emitSecretEnv(b)
	b.pod.Containers = []corev1.Container{b.ctr}
	sel := b.selector()
	podLabels := maps.Clone(sel)
	maps.Copy(podLabels, b.netLabels)
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: nilIfEmpty(b.podAnnotations)},
		Spec:       b.pod,
	}
	meta := metav1.ObjectMeta{Name: b.name, Labels: maps.Clone(sel), Annotations: nilIfEmpty(b.workloadAnn)}
	replicas := b.replicas
	switch b.kind {
	case kindStatefulSet:
		c.addFor(b.s.Name, b.kind, b.name, &appsv1.StatefulSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: b.kind},
			ObjectMeta: meta,
			Spec: appsv1.StatefulSetSpec{
				Replicas:             &replicas,
				ServiceName:          b.name,
				Selector:             &metav1.LabelSelector{MatchLabels: sel},
				Template:             tmpl,
				VolumeClaimTemplates: b.claims,
			},
		})
	case kindDaemonSet:
		c.addFor(b.s.Name, b.kind, b.name, &appsv1.DaemonSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: b.kind},
			ObjectMeta: meta,
			Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: sel}, Template: tmpl},
		})
	case kindJob:
		if b.jobRestart == "" {
			b.jobRestart = corev1.RestartPolicyNever
			zero := int32(0)
			b.backoff = &zero
		}
		tmpl.Spec.RestartPolicy = b.jobRestart
		c.addFor(b.s.Name, b.kind, b.name, &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: b.kind},
			ObjectMeta: meta,
			Spec:       batchv1.JobSpec{BackoffLimit: b.backoff, Template: tmpl},
		})
	default:
		strategy := appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
		if b.usesPVC {
			// A ReadWriteOnce claim cannot be attached to the new pod while
			// the old one holds it: replace instead of rolling.
			strategy.Type = appsv1.RecreateDeploymentStrategyType
		}
		c.addFor(b.s.Name, kindDeployment, b.name, &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: kindDeployment},
			ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: sel},
				Strategy: strategy,
				Template: tmpl,
			},
		})
	}
	c.kubeService(b)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// relPath shows a project file relative to the project directory, so that
// warnings do not depend on where the project is checked out.
func (c *converter) relPath(p string) string {
	if c.p.WorkingDir != "" {
		if p == c.p.WorkingDir {
			return "."
		}
		if rel, ok := strings.CutPrefix(p, c.p.WorkingDir+"/"); ok {
			return rel
		}
	}
	return p // outside the project: as written (an absolute path such as /var/run/docker.sock)
}

package kube

import (
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// disposition is what becomes of one service key: the Kubernetes field it
// maps onto (target), or the reason it is not converted. apply does the
// mapping; a key without apply is reported with its reason.
type disposition struct {
	target string
	reason string
	warns  string // when a mapped key is still (partly) reported
	apply  func(b *podBuilder, path string)
}

// ServiceKeys is the mapping table: every compose service key, and the
// Kubernetes field it becomes or why it is not converted. The README's
// table is written from it, and a test checks that it covers every key
// compose-go knows.
func ServiceKeys() []KeyMapping {
	out := make([]KeyMapping, 0, len(serviceKeys))
	for k, d := range serviceKeys {
		out = append(out, KeyMapping{Key: k, Target: d.target, Reason: d.reason, Warns: d.warns})
	}
	slices.SortFunc(out, func(a, b KeyMapping) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}

// KeyMapping is one row of ServiceKeys.
type KeyMapping struct {
	Key    string
	Target string // the Kubernetes field; empty when not converted
	Reason string // why not, when not converted
	Warns  string // when a converted key is still reported
}

var serviceKeys map[string]disposition

func init() {
	// Assigned in init because the apply functions refer back to the table
	// through podBuilder (an initialization cycle otherwise).
	serviceKeys = map[string]disposition{
		"annotations":  {target: "pod template metadata.annotations", warns: "keys that are not valid annotation keys", apply: (*podBuilder).annotations},
		"attach":       {reason: "log attachment is a property of `docker compose up`; kubectl logs reads any container"},
		"blkio_config": {reason: "Kubernetes has no block I/O weights or limits"},
		"build":        {target: "— (the image is used; without one, PROJECT-SERVICE as Docker Compose names it)", warns: "always: the image must be built and pushed", apply: (*podBuilder).build},
		"cap_add":      {target: "container securityContext.capabilities.add", apply: (*podBuilder).capAdd},
		"cap_drop":     {target: "container securityContext.capabilities.drop", apply: (*podBuilder).capDrop},
		"cgroup":       {reason: "Kubernetes chooses the cgroup namespace"},
		"cgroup_parent": {
			reason: "the kubelet places pods in its own cgroup hierarchy"},
		"command":        {target: "container args (a secret in them as $(VAR) from Secret <service>-env)", warns: "a secret value in them (still visible in the process list)", apply: (*podBuilder).command},
		"configs":        {target: "ConfigMap mounted at the target", warns: "uid/gid; a value berth cannot read (written empty)", apply: (*podBuilder).configs},
		"container_name": {reason: "pod names come from their controller; other services reach this one by its Service name"},
		"cpu_count":      {reason: "Windows-only CPU count has no Kubernetes field"},
		"cpu_percent":    {reason: "Windows-only CPU percentage has no Kubernetes field"},
		"cpu_period":     {reason: "CFS period is set by the kubelet; use cpus or deploy.resources.limits.cpus"},
		"cpu_quota":      {reason: "CFS quota is derived from resources.limits.cpu; use cpus or deploy.resources.limits.cpus"},
		"cpu_rt_period":  {reason: "Kubernetes has no real-time scheduler settings"},
		"cpu_rt_runtime": {reason: "Kubernetes has no real-time scheduler settings"},
		"cpu_shares":     {reason: "CPU shares are derived from resources.requests.cpu; use deploy.resources.reservations.cpus"},
		"cpus":           {target: "container resources.limits.cpu", apply: (*podBuilder).cpus},
		"cpuset":         {reason: "CPU pinning is the kubelet's CPU manager policy, not a pod field"},
		"credential_spec": {
			reason: "gMSA credential specs need the Windows GMSA webhook and securityContext.windowsOptions"},
		"depends_on":          {target: "Service for each dependency; start order is not converted", warns: "always, per dependency: start order is lost (see below)", apply: (*podBuilder).dependsOn},
		"deploy":              {target: "replicas, controller kind, resources, nodeSelector", warns: "resources pids/devices/generic_resources, update_config, rollback_config, placement other than ==, restart_policy outside a Job", apply: (*podBuilder).deploy},
		"develop":             {reason: "watch/sync is a development loop of Docker Compose"},
		"device_cgroup_rules": {reason: "Kubernetes has no device cgroup rules; use a device plugin"},
		"devices":             {reason: "host devices need a device plugin in Kubernetes"},
		"dns":                 {target: "pod dnsConfig.nameservers (after the cluster DNS)", apply: (*podBuilder).dns},
		"dns_opt":             {target: "pod dnsConfig.options", apply: (*podBuilder).dnsOpt},
		"dns_search":          {target: "pod dnsConfig.searches", apply: (*podBuilder).dnsSearch},
		"dockerfile":          {reason: "Kubernetes does not build images"},
		"domainname":          {reason: "a pod's domain comes from its namespace and Service"},
		"entrypoint":          {target: "container command (a secret in it as $(VAR) from Secret <service>-env)", warns: "a secret value in it (still visible in the process list)", apply: (*podBuilder).entrypoint},
		"env_file":            {target: "ConfigMap <service>-env, container envFrom (secret-looking variables: Secret <service>-env)", warns: "a required file that is missing, a variable that is not a valid ConfigMap key", apply: (*podBuilder).envFile},
		"environment":         {target: "container env (secret-looking values: secretKeyRef to Secret <service>-env)", warns: "a variable without a value (Compose takes it from the shell)", apply: (*podBuilder).environment},
		"expose":              {target: "Service ports and containerPorts", warns: "a value that is not a port or a range of at most 100", apply: (*podBuilder).expose},
		"extends":             {target: "(resolved while loading)", apply: noop},
		"external_links":      {reason: "containers outside the project are not Kubernetes objects; use an ExternalName Service"},
		"extra_hosts":         {target: "pod hostAliases", warns: "host-gateway", apply: (*podBuilder).extraHosts},
		"gpus":                {reason: "GPUs are requested through a device plugin's resource (e.g. nvidia.com/gpu)"},
		"group_add":           {target: "pod securityContext.supplementalGroups (numeric ids)", warns: "a group name instead of a number", apply: (*podBuilder).groupAdd},
		"healthcheck":         {target: "container livenessProbe and readinessProbe (exec)", warns: "no test (the image's HEALTHCHECK is not known), start_interval", apply: (*podBuilder).healthcheck},
		"hostname":            {target: "pod hostname", warns: "a name that had to be cleaned", apply: (*podBuilder).hostname},
		"image":               {target: "container image", apply: (*podBuilder).image},
		"init":                {reason: "Kubernetes has no init process option; build tini or dumb-init into the image"},
		"ipc":                 {target: "pod hostIPC (host only)", warns: "service:NAME, container:NAME", apply: (*podBuilder).ipc},
		"isolation":           {reason: "Windows isolation modes have no Kubernetes field"},
		"label_file":          {target: "(read while loading) as labels", apply: noop},
		"labels":              {target: "workload and pod annotations; kompose.* and berth.kubernetes/* labels are honoured", warns: "kompose.* labels berth does not honour, unknown berth.kubernetes/* labels, keys that are not valid annotation keys", apply: (*podBuilder).labels},
		"links":               {target: "Service for each linked service; aliases and order are not converted", warns: "always: start order and aliases are lost", apply: (*podBuilder).links},
		"log_driver":          {reason: "logging is configured per cluster, not per pod"},
		"log_opt":             {reason: "logging is configured per cluster, not per pod"},
		"logging":             {reason: "logging is configured per cluster, not per pod"},
		"mac_address":         {reason: "pod MAC addresses are assigned by the network plugin"},
		"mem_limit":           {target: "container resources.limits.memory", apply: (*podBuilder).memLimit},
		"mem_reservation":     {target: "container resources.requests.memory", apply: (*podBuilder).memReservation},
		"mem_swappiness":      {reason: "swap behaviour is a node setting"},
		"memswap_limit":       {reason: "swap limits are a node setting"},
		"models":              {reason: "model runners are a Docker feature"},
		"net":                 {reason: "the obsolete net key is not supported; use network_mode"},
		"network_mode":        {target: "pod hostNetwork (host only)", warns: "none, service:NAME, container:NAME", apply: (*podBuilder).networkMode},
		"networks":            {target: "pod label berth.network/<network> and one NetworkPolicy per network", warns: "aliases, fixed addresses, per-network interface options; top-level driver, ipam, internal", apply: (*podBuilder).networks},
		"oom_kill_disable":    {reason: "the OOM killer is governed by the pod's QoS class"},
		"oom_score_adj":       {reason: "OOM scores are derived from the pod's QoS class"},
		"pid":                 {target: "pod hostPID (host only)", warns: "anything but host", apply: (*podBuilder).pid},
		"pids_limit":          {reason: "the PID limit is a kubelet setting (podPidsLimit)"},
		"platform":            {target: "pod nodeSelector kubernetes.io/os and kubernetes.io/arch", warns: "a variant (arm/v7)", apply: (*podBuilder).platform},
		"ports":               {target: "Service ports and containerPorts", warns: "host_ip, mode: host, a published range", apply: (*podBuilder).ports},
		"post_start":          {target: "container lifecycle.postStart (one plain command)", warns: "more than one hook, or a hook with its own user, privileges, directory, environment or image", apply: (*podBuilder).postStart},
		"pre_start":           {reason: "pre-start hooks run in a separate container; write an initContainer"},
		"pre_stop":            {target: "container lifecycle.preStop (one plain command)", warns: "more than one hook, or a hook with its own user, privileges, directory, environment or image", apply: (*podBuilder).preStop},
		"privileged":          {target: "container securityContext.privileged", apply: (*podBuilder).privileged},
		"profiles":            {target: "(applied while loading: only enabled services are converted)", apply: noop},
		"provider":            {reason: "provider services are run by Docker Compose plugins"},
		"pull_policy":         {target: "container imagePullPolicy", warns: "build, daily, weekly, every_N", apply: (*podBuilder).pullPolicy},
		"read_only":           {target: "container securityContext.readOnlyRootFilesystem", apply: (*podBuilder).readOnly},
		"restart":             {target: "Job restartPolicy; Deployments always restart", warns: "no or on-failure on a service that is not a Job", apply: (*podBuilder).restart},
		"runtime":             {reason: "a RuntimeClass must be installed in the cluster; set runtimeClassName yourself"},
		"scale":               {target: "replicas", apply: noop},
		"secrets":             {target: "Secret mounted at /run/secrets/<name> or the target", warns: "uid/gid; a value berth cannot read (written empty)", apply: (*podBuilder).secrets},
		"security_opt":        {target: "no-new-privileges as securityContext.allowPrivilegeEscalation: false", warns: "anything but no-new-privileges, seccomp:unconfined, apparmor:unconfined", apply: (*podBuilder).securityOpt},
		"shm_size":            {target: "memory emptyDir mounted at /dev/shm", apply: (*podBuilder).shmSize},
		"stdin_open":          {target: "container stdin", apply: (*podBuilder).stdinOpen},
		"stop_grace_period":   {target: "pod terminationGracePeriodSeconds", apply: (*podBuilder).stopGracePeriod},
		"stop_signal":         {reason: "lifecycle.stopSignal is an alpha feature (ContainerStopSignals); build STOPSIGNAL into the image"},
		"storage_opt":         {reason: "storage driver options are node settings"},
		"sysctls":             {target: "pod securityContext.sysctls", warns: "a sysctl outside Kubernetes' safe set (the kubelet must allow it)", apply: (*podBuilder).sysctls},
		"tmpfs":               {target: "memory emptyDir volumes", apply: (*podBuilder).tmpfs},
		"tty":                 {target: "container tty", apply: (*podBuilder).tty},
		"ulimits":             {reason: "Kubernetes has no per-pod ulimits; they are set by the container runtime on each node"},
		"use_api_socket":      {reason: "the Docker API socket does not exist in a Kubernetes pod"},
		"user":                {target: "container securityContext.runAsUser/runAsGroup (numeric)", warns: "a user or group name instead of a number", apply: (*podBuilder).user},
		"userns_mode":         {reason: "user namespaces are pod.spec.hostUsers, which has no Docker equivalent value"},
		"uts":                 {reason: "Kubernetes has no host UTS namespace option"},
		"volume_driver":       {reason: "volume drivers are storage classes in Kubernetes"},
		"volumes":             {target: "PersistentVolumeClaims (named), emptyDir (anonymous, tmpfs); bind mounts are not converted", warns: "bind mounts (never converted), npipe, cluster and image mounts, volume.labels, tmpfs.mode", apply: (*podBuilder).volumes},
		"volumes_from":        {reason: "pods cannot mount another pod's volumes; mount the same named volume"},
		"working_dir":         {target: "container workingDir", apply: (*podBuilder).workingDir},
	}
}

func noop(*podBuilder, string) {}

// presentKeys lists the keys of s that carry a value in the model, sorted:
// the fields whose yaml tag names a key and whose value is not empty (what
// omitempty would leave out). The model is what counts (keys from extends,
// include and anchors are there); the source map only says where they were
// written.
func presentKeys(s types.ServiceConfig) []string {
	v := reflect.ValueOf(s)
	t := v.Type()
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" || key == "name" || strings.HasPrefix(key, "#") {
			continue // the map key itself, and x-* extensions (the user's own metadata)
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Slice, reflect.Map:
			if f.Len() == 0 {
				continue
			}
		default:
			if f.IsZero() {
				continue
			}
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

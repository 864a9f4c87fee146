package kube

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

func itoa(i int) string { return strconv.Itoa(i) }

// addPort adds a Service port (port -> target) and the container port,
// once each.
func (b *podBuilder) addPort(name string, port, target int32, proto corev1.Protocol, appProto string) {
	if !slices.ContainsFunc(b.ctr.Ports, func(p corev1.ContainerPort) bool {
		return p.ContainerPort == target && p.Protocol == proto
	}) {
		b.ctr.Ports = append(b.ctr.Ports, corev1.ContainerPort{ContainerPort: target, Protocol: proto})
	}
	if slices.ContainsFunc(b.svcPorts, func(p corev1.ServicePort) bool { return p.Port == port && p.Protocol == proto }) {
		return
	}
	sp := corev1.ServicePort{Name: portName(name, string(proto), port), Port: port, TargetPort: intstr.FromInt32(target), Protocol: proto}
	if slices.ContainsFunc(b.svcPorts, func(p corev1.ServicePort) bool { return p.Name == sp.Name }) {
		sp.Name = portName("", string(proto), port)
	}
	if appProto != "" {
		sp.AppProtocol = &appProto
	}
	b.svcPorts = append(b.svcPorts, sp)
}

func protocol(p string) corev1.Protocol {
	switch strings.ToLower(p) {
	case "udp":
		return corev1.ProtocolUDP
	case "sctp":
		return corev1.ProtocolSCTP
	}
	return corev1.ProtocolTCP
}

// ports: each published port becomes a Service port (the published number,
// else the target) forwarding to the container port. The Service is a
// ClusterIP unless kompose.service.type says otherwise: a port published on
// one Docker host is not published on every node of a cluster.
func (b *podBuilder) ports(string) {
	for i, p := range b.s.Ports {
		pp := svcPath(b.s.Name, "ports", i)
		port := int32(p.Target)
		if p.Published != "" {
			n, err := strconv.ParseUint(p.Published, 10, 16)
			if err != nil {
				b.c.warn("ports (range)", pp, "published range %s not converted: the Service port is the target port %d", p.Published, p.Target)
			} else if n != 0 {
				port = int32(n)
			}
		}
		if p.HostIP != "" {
			b.c.warn("ports.host_ip", pp, "host_ip %s not converted: a Service listens on cluster addresses", p.HostIP)
		}
		if p.Mode == "host" {
			b.c.warn("ports.mode", pp, "mode host not converted: no hostPort is written; the port is reached through the Service")
		}
		proto := protocol(p.Protocol)
		b.addPort(p.Name, port, int32(p.Target), proto, p.AppProtocol)
		if p.Published != "" {
			np := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: ptr(intstr.FromInt32(int32(p.Target)))}
			if !slices.ContainsFunc(b.published, func(x networkingv1.NetworkPolicyPort) bool {
				return *x.Protocol == proto && x.Port.IntVal == int32(p.Target)
			}) {
				b.published = append(b.published, np)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// expose: each port (or range) becomes a Service port equal to the
// container port.
func (b *podBuilder) expose(string) {
	for i, e := range b.s.Expose {
		spec, proto, _ := strings.Cut(e, "/")
		lo, hi, isRange := strings.Cut(spec, "-")
		first, err1 := strconv.ParseUint(lo, 10, 16)
		last := first
		var err2 error
		if isRange {
			last, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || last < first || last-first > 100 {
			b.c.warn("expose", svcPath(b.s.Name, "expose", i), "not converted: %q is not a port or a range of at most 100 ports", e)
			continue
		}
		for n := first; n <= last; n++ {
			b.addPort("", int32(n), int32(n), protocol(proto), "")
		}
	}
}

// hostToken matches a run of characters that can make up a host name.
var hostToken = regexp.MustCompile(`[A-Za-z0-9_.-]+`)

// reachedByName finds the services another service reaches by name, with
// who reaches them: a depends_on or links entry, or the service's name as a
// whole host name in another service's environment value (REDIS_HOST=redis,
// DATABASE_URL=postgres://db:5432/app). Each of those gets a Service even
// without ports (a headless one), so that its name resolves in the cluster.
func reachedByName(p *types.Project) map[string][]string {
	out := map[string][]string{}
	add := func(target, from string) {
		if _, ok := p.Services[target]; ok && target != from && !slices.Contains(out[target], from) {
			out[target] = append(out[target], from)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for dep := range s.DependsOn {
			add(dep, name)
		}
		for _, l := range s.Links {
			svc, _, _ := strings.Cut(l, ":")
			add(svc, name)
		}
		for _, v := range s.Environment {
			if v == nil {
				continue
			}
			for _, tok := range hostToken.FindAllString(*v, -1) {
				// "db" in "db:5432" or "//db/" is a host; "db.example.com"
				// is another host, and a dotted token names the service
				// only if the service's name itself has the dots.
				add(tok, name)
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// kubeService writes the Service of b (when it has ports, is reached by
// name, is a StatefulSet or asks for one) and its Ingress.
func (c *converter) kubeService(b *podBuilder) {
	l := b.s.Labels
	lp := func(k string) string { return svcPath(b.s.Name, "labels", k) }
	typ, hasType := l["kompose.service.type"]
	// A Job runs to completion: nobody connects to it by name, so it gets a
	// Service only for ports it declares.
	reached := len(c.reached[b.s.Name]) > 0 && b.kind != kindJob
	need := len(b.svcPorts) > 0 || reached || b.kind == kindStatefulSet || hasType || b.headless
	if !need {
		if l["kompose.service.expose"] != "" {
			c.warn("labels (kompose)", lp("kompose.service.expose"), "not converted: no Service: the service has no ports and no other service reaches it by name")
		}
		return
	}
	spec := corev1.ServiceSpec{Selector: b.selector(), Ports: b.svcPorts}
	switch strings.ToLower(typ) {
	case "":
	case "clusterip":
		spec.Type = corev1.ServiceTypeClusterIP
	case "nodeport":
		spec.Type = corev1.ServiceTypeNodePort
	case "loadbalancer":
		spec.Type = corev1.ServiceTypeLoadBalancer
	case "headless":
		spec.ClusterIP = corev1.ClusterIPNone
	default:
		c.warn("labels (kompose)", lp("kompose.service.type"), "not converted: %q is not clusterip, nodeport, loadbalancer or headless", typ)
	}
	if len(spec.Ports) == 0 || b.headless || (b.kind == kindStatefulSet && spec.Type == "") {
		// No port to proxy (or a StatefulSet's governing Service): a
		// headless Service gives the pods a DNS name.
		spec.ClusterIP = corev1.ClusterIPNone
		spec.Type = ""
	}
	if (spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer) && len(spec.Ports) == 0 {
		c.warn("labels (kompose)", lp("kompose.service.type"), "not converted: a %s Service needs ports", spec.Type)
		spec.Type = ""
	}
	if v, ok := l["kompose.service.nodeport.port"]; ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if spec.Type != corev1.ServiceTypeNodePort || len(spec.Ports) != 1 || err != nil {
			c.warn("labels (kompose)", lp("kompose.service.nodeport.port"), "not converted: needs kompose.service.type nodeport, exactly one port and a number")
		} else {
			spec.Ports[0].NodePort = int32(n)
		}
	}
	spec.Ports = slices.Clone(spec.Ports)
	c.addFor(b.s.Name, "Service", b.name, &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: b.name, Labels: b.selector()},
		Spec:       spec,
	})
	c.ingress(b)
	if len(b.published) > 0 && !b.pod.HostNetwork {
		c.add("NetworkPolicy", b.name+"-published", &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: b.name + "-published", Labels: b.selector()},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: b.selector()},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				// Published ports were reachable from outside the Docker
				// host: from anywhere, on those ports only.
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: b.published}},
			},
		})
	}
}

// ingress honours kompose.service.expose: "true" or a comma-separated list
// of host[/path], routed to the first Service port.
func (c *converter) ingress(b *podBuilder) {
	l := b.s.Labels
	expose, ok := l["kompose.service.expose"]
	if !ok || strings.EqualFold(expose, "false") {
		return
	}
	lp := svcPath(b.s.Name, "labels", "kompose.service.expose")
	if len(b.svcPorts) == 0 {
		c.warn("labels (kompose)", lp, "not converted: an Ingress needs a Service port")
		return
	}
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: b.name, Port: networkingv1.ServiceBackendPort{Number: b.svcPorts[0].Port},
	}}
	prefix := networkingv1.PathTypePrefix
	var rules []networkingv1.IngressRule
	var hosts []string
	for _, entry := range strings.Split(expose, ",") {
		entry = strings.TrimSpace(entry)
		host, p := "", "/"
		if !strings.EqualFold(entry, "true") {
			h, rest, hasPath := strings.Cut(entry, "/")
			host = h
			if hasPath {
				p = "/" + rest
			}
			if len(validation.IsDNS1123Subdomain(host)) > 0 {
				c.warn("labels (kompose)", lp, "host %q not converted: not a DNS name", host)
				continue
			}
			hosts = append(hosts, host)
		}
		rules = append(rules, networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: p, PathType: &prefix, Backend: backend}}},
		}})
	}
	if len(rules) == 0 {
		return
	}
	spec := networkingv1.IngressSpec{Rules: rules}
	if v, ok := l["kompose.service.expose.ingress-class-name"]; ok {
		spec.IngressClassName = &v
	}
	if v, ok := l["kompose.service.expose.tls-secret"]; ok {
		spec.TLS = []networkingv1.IngressTLS{{Hosts: hosts, SecretName: v}}
	}
	c.add("Ingress", b.name, &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: b.name, Labels: b.selector()},
		Spec:       spec,
	})
}

// networkPolicies writes one NetworkPolicy per compose network: its pods
// accept traffic from the pods of the same network. Policies add up, so two
// services can talk exactly when they share a network, as on Docker.
func (c *converter) networkPolicies() {
	members := map[string]bool{}
	for _, s := range c.p.Services {
		if s.NetworkMode == "host" {
			continue
		}
		for n := range s.Networks {
			members[n] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(members)) {
		sel := metav1.LabelSelector{MatchLabels: map[string]string{labelNetwork + c.objectName(topPath("networks", n), n): "true"}}
		name := join(validation.DNS1123LabelMaxLength, "network", n)
		c.add("NetworkPolicy", name, &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{labelPartOf: c.projectLabel()}},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: sel,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &sel}}}},
			},
		})
		c.networkKeys(n)
	}
}

// networkKeys reports the top-level network options a NetworkPolicy cannot
// express.
func (c *converter) networkKeys(n string) {
	cfg, ok := c.p.Networks[n]
	if !ok {
		return
	}
	np := func(k string) string { return topPath("networks", n, k) }
	if cfg.Driver != "" && cfg.Driver != "bridge" && cfg.Driver != "overlay" {
		c.warn("networks.driver", np("driver"), "not converted: the cluster's network plugin carries all pod traffic")
	}
	if len(cfg.DriverOpts) > 0 {
		c.warn("networks.driver_opts", np("driver_opts"), "not converted: the cluster's network plugin carries all pod traffic")
	}
	if cfg.Ipam.Driver != "" || len(cfg.Ipam.Config) > 0 {
		c.warn("networks.ipam", np("ipam"), "not converted: pod addresses are assigned by the network plugin")
	}
	if cfg.Internal {
		c.warn("networks.internal", np("internal"), "not converted: no egress policy is written; pods on %s can still reach outside the cluster", n)
	}
}

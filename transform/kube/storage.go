package kube

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-compose/berth/internal/sensitive"
)

// volumeUse maps a named volume to the services that mount it.
type volumeUse map[string][]string

func (c *converter) volumeUsers() volumeUse {
	use := volumeUse{}
	for _, name := range slices.Sorted(maps.Keys(c.p.Services)) {
		for _, v := range c.p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" && !slices.Contains(use[v.Source], name) {
				use[v.Source] = append(use[v.Source], name)
			}
		}
	}
	return use
}

const (
	maxLabel = validation.DNS1123LabelMaxLength
	// kompose's labels, read for users who migrate.
	labelVolumeSize  = "kompose.volume.size"
	labelVolumeClass = "kompose.volume.storage-class-name"
)

func (b *podBuilder) addVolume(v corev1.Volume, m corev1.VolumeMount) {
	if !slices.ContainsFunc(b.pod.Volumes, func(x corev1.Volume) bool { return x.Name == v.Name }) {
		b.pod.Volumes = append(b.pod.Volumes, v)
	}
	b.ctr.VolumeMounts = append(b.ctr.VolumeMounts, m)
}

// volumes: a named volume is a PersistentVolumeClaim (a volumeClaimTemplate
// in a StatefulSet), an anonymous volume and a tmpfs an emptyDir. A bind
// mount is reported and left out: the node does not have the converting
// machine's files, and berth does not guess what should replace them.
func (b *podBuilder) volumes(string) {
	for i, v := range b.s.Volumes {
		vp := svcPath(b.s.Name, "volumes", i)
		mount := corev1.VolumeMount{MountPath: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeVolume:
			// volume.nocopy needs nothing: Kubernetes never copies the
			// image's files into a volume.
			if v.Volume != nil {
				mount.SubPath = v.Volume.Subpath
				if len(v.Volume.Labels) > 0 {
					b.c.warn("volumes.volume.labels", vp+".volume.labels", "not converted: labels of a volume created for this mount; put them on the top-level volume")
				}
			}
			if v.Source == "" {
				mount.Name = join(maxLabel, "anon", itoa(i))
				b.addVolume(corev1.Volume{Name: mount.Name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, mount)
				continue
			}
			b.namedVolume(v.Source, mount)
		case types.VolumeTypeTmpfs:
			mount.Name = join(maxLabel, "tmpfs", itoa(i))
			ed := &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}
			if v.Tmpfs != nil && v.Tmpfs.Size > 0 {
				ed.SizeLimit = ptr(memQuantity(v.Tmpfs.Size))
			}
			if v.Tmpfs != nil && v.Tmpfs.Mode != 0 {
				b.c.warn("volumes.tmpfs.mode", vp+".tmpfs.mode", "not converted: an emptyDir's mode follows the pod's fsGroup")
			}
			b.addVolume(corev1.Volume{Name: mount.Name, VolumeSource: corev1.VolumeSource{EmptyDir: ed}}, mount)
		case types.VolumeTypeBind:
			src := b.c.bindSource(vp, v.Source)
			if strings.HasSuffix(v.Source, ".sock") {
				b.c.warn("volumes (bind)", vp, "not converted: the socket %s does not exist in a pod", src)
				continue
			}
			b.c.warn("volumes (bind)", vp, "bind mount of %s at %s not converted: a pod cannot see the converting machine's files; put them in the image, a ConfigMap (configs:) or a volume", src, v.Target)
		default:
			b.c.warn("volumes ("+v.Type+")", vp, "not converted: %s mounts have no pod volume equivalent", v.Type)
		}
	}
}

func (b *podBuilder) namedVolume(src string, mount corev1.VolumeMount) {
	cfg := b.c.p.Volumes[src]
	claim := b.c.objectName(topPath("volumes", src), src)
	if cfg.External {
		claim = b.c.objectName(topPath("volumes", src), cmpOr(cfg.Name, src))
	}
	mount.Name = claim
	b.usesPVC = true
	if b.kind == kindStatefulSet && !bool(cfg.External) {
		// Each replica gets its own claim from the template.
		b.ctr.VolumeMounts = append(b.ctr.VolumeMounts, mount)
		if !slices.ContainsFunc(b.claims, func(x corev1.PersistentVolumeClaim) bool { return x.Name == claim }) {
			pvc := b.c.pvc(src, claim, []string{b.s.Name})
			b.claims = append(b.claims, corev1.PersistentVolumeClaim{ObjectMeta: pvc.ObjectMeta, Spec: pvc.Spec})
		}
		return
	}
	if !cfg.External {
		if b.c.pvcUsers == nil {
			b.c.pvcUsers = volumeUse{}
		}
		if !slices.Contains(b.c.pvcUsers[src], b.s.Name) {
			b.c.pvcUsers[src] = append(b.c.pvcUsers[src], b.s.Name)
		}
	}
	b.addVolume(corev1.Volume{Name: claim, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
	}}, mount)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pvc builds the claim of volume src for the services users: the size and
// storage class come from kompose.volume.* labels on the volume, else on the
// first user that has them; ReadWriteMany when more than one service mounts
// it (a ReadWriteOnce volume attaches to one node).
func (c *converter) pvc(src, name string, users []string) *corev1.PersistentVolumeClaim {
	cfg := c.p.Volumes[src]
	label := func(k string) (string, string, bool) {
		if v, ok := cfg.Labels[k]; ok {
			return v, topPath("volumes", src, "labels", k), true
		}
		for _, u := range users {
			if v, ok := c.p.Services[u].Labels[k]; ok {
				return v, svcPath(u, "labels", k), true
			}
		}
		return "", "", false
	}
	size := resource.MustParse(c.opts.VolumeSize)
	if v, at, ok := label(labelVolumeSize); ok {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			c.warn("labels (kompose)", at, "not converted: %q is not a quantity; the claim asks for %s", v, c.opts.VolumeSize)
		} else {
			size = q
		}
	}
	mode := corev1.ReadWriteOnce
	if len(users) > 1 {
		mode = corev1.ReadWriteMany
	}
	spec := corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{mode},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
	}
	if v, _, ok := label(labelVolumeClass); ok {
		spec.StorageClassName = &v
	}
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{labelPartOf: c.projectLabel()}},
		Spec:       spec,
	}
}

func (b *podBuilder) tmpfs(string) {
	for i, t := range b.s.Tmpfs {
		target, _, _ := strings.Cut(t, ":")
		name := join(maxLabel, "tmpfs", "s", itoa(i))
		b.addVolume(corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
			corev1.VolumeMount{Name: name, MountPath: target})
	}
}

func (b *podBuilder) shmSize(string) {
	b.addVolume(corev1.Volume{Name: "shm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
		Medium: corev1.StorageMediumMemory, SizeLimit: ptr(memQuantity(b.s.ShmSize)),
	}}}, corev1.VolumeMount{Name: "shm", MountPath: "/dev/shm"})
}

// dataKey is name as a ConfigMap or Secret key.
func dataKey(name string) string {
	if len(validation.IsConfigMapKey(name)) == 0 {
		return name
	}
	return cleanName(name, validation.DNS1123SubdomainMaxLength)
}

// fileRef mounts key of a ConfigMap or Secret at the target of ref.
func (b *podBuilder) fileRef(kind, p string, ref types.FileReferenceConfig, defaultDir string, external bool, realName string) {
	target := ref.Target
	switch {
	case target == "":
		target = path.Join(defaultDir, ref.Source)
	case !path.IsAbs(target):
		target = path.Join(defaultDir, target)
	}
	objName := b.c.objectName(topPath(kind+"s", ref.Source), ref.Source)
	if external {
		objName = b.c.objectName(topPath(kind+"s", ref.Source), cmpOr(realName, ref.Source))
	}
	item := corev1.KeyToPath{Key: dataKey(ref.Source), Path: path.Base(target)}
	if ref.Mode != nil {
		m := int32(*ref.Mode)
		item.Mode = &m
	}
	vol := corev1.Volume{Name: join(maxLabel, kind, ref.Source)}
	if kind == "secret" {
		vol.Secret = &corev1.SecretVolumeSource{SecretName: objName, Items: []corev1.KeyToPath{item}}
	} else {
		vol.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: objName}, Items: []corev1.KeyToPath{item}}
	}
	b.addVolume(vol, corev1.VolumeMount{Name: vol.Name, MountPath: target, SubPath: item.Path, ReadOnly: true})
	if ref.UID != "" || ref.GID != "" {
		b.c.warn(kind+"s.uid", p, "uid and gid not converted: the file belongs to the pod's fsGroup")
	}
}

func (b *podBuilder) configs(string) {
	for i, ref := range b.s.Configs {
		cfg := b.c.p.Configs[ref.Source]
		b.fileRef("config", svcPath(b.s.Name, "configs", i), types.FileReferenceConfig(ref), "/", bool(cfg.External), cfg.Name)
		b.c.usedConfigs[ref.Source] = true
	}
}

func (b *podBuilder) secrets(string) {
	for i, ref := range b.s.Secrets {
		cfg := b.c.p.Secrets[ref.Source]
		b.fileRef("secret", svcPath(b.s.Name, "secrets", i), types.FileReferenceConfig(ref), "/run/secrets", bool(cfg.External), cfg.Name)
		b.c.usedSecrets[ref.Source] = true
	}
}

// envFile puts the variables of the service's env files into one ConfigMap,
// later files winning as in Docker Compose, and loads it with envFrom.
// environment entries still win: Kubernetes lets env override envFrom.
func (b *podBuilder) envFile(string) {
	data := map[string]string{}
	all := map[string]string{} // data and the secret-looking values, for ${VAR} in later files
	for i, f := range b.s.EnvFiles {
		fp := svcPath(b.s.Name, "env_file", i)
		if _, err := os.Stat(f.Path); errors.Is(err, fs.ErrNotExist) {
			if bool(f.Required) {
				b.c.warn("env_file", fp, "not converted: %s does not exist", b.c.relPath(f.Path))
			}
			continue
		}
		vars, err := b.c.readEnvFile(f, all)
		if err != nil {
			rel := b.c.relPath(f.Path)
			b.c.warn("env_file", fp, "not converted: %s: %s", rel, strings.ReplaceAll(err.Error(), f.Path, rel))
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			if len(validation.IsConfigMapKey(k)) > 0 {
				b.c.warn("env_file", fp, "variable %q not converted: not a valid ConfigMap key", k)
				continue
			}
			all[k] = vars[k]
			if sensitive.Name(k) {
				b.secretEnv.fromFile(k, vars[k], fp)
				delete(data, k) // a later file's secret replaces an earlier plain value
				continue
			}
			data[k] = vars[k]
		}
	}
	if len(data) == 0 {
		return
	}
	name := join(maxLabel, b.name, "env")
	b.c.add("ConfigMap", name, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: b.selector()},
		Data:       data,
	})
	b.ctr.EnvFrom = append(b.ctr.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
}

// topLevel writes the claims, ConfigMaps and Secrets the services use, and
// reports the top-level volume options a claim cannot carry.
func (c *converter) topLevel(all volumeUse) {
	for _, src := range slices.Sorted(maps.Keys(c.pvcUsers)) {
		users := all[src]
		pvc := c.pvc(src, c.objectName(topPath("volumes", src), src), users)
		c.add("PersistentVolumeClaim", pvc.Name, pvc)
		if len(users) > 1 {
			c.warn("volumes (shared)", topPath("volumes", src), "shared by %s: the claim asks for ReadWriteMany, which needs a storage class that supports it", strings.Join(users, ", "))
		}
	}
	for _, src := range slices.Sorted(maps.Keys(all)) {
		cfg := c.p.Volumes[src]
		if cfg.Driver != "" && cfg.Driver != "local" {
			c.warn("volumes.driver", topPath("volumes", src, "driver"), "not converted: storage is chosen by the claim's storage class")
		}
		if len(cfg.DriverOpts) > 0 {
			c.warn("volumes.driver_opts", topPath("volumes", src, "driver_opts"), "not converted: storage is chosen by the claim's storage class")
		}
	}
	base := func(kind, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: c.objectName(topPath(kind, name), name), Labels: map[string]string{labelPartOf: c.projectLabel()}}
	}
	for _, name := range slices.Sorted(maps.Keys(c.usedConfigs)) {
		cfg := c.p.Configs[name]
		if cfg.External {
			continue // expected in the cluster under its name
		}
		content, ok := c.fileContent("configs", name, types.FileObjectConfig(cfg))
		cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: base("configs", name)}
		if ok {
			if utf8.Valid(content) {
				cm.Data = map[string]string{dataKey(name): string(content)}
			} else {
				cm.BinaryData = map[string][]byte{dataKey(name): content}
			}
		}
		c.add("ConfigMap", cm.Name, cm)
	}
	for _, name := range slices.Sorted(maps.Keys(c.usedSecrets)) {
		cfg := c.p.Secrets[name]
		if cfg.External {
			continue
		}
		content, _ := c.fileContent("secrets", name, types.FileObjectConfig(cfg))
		if content == nil {
			content = []byte{} // an empty value to fill in, not null
		}
		meta := base("secrets", name)
		c.add("Secret", meta.Name, &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: meta,
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{dataKey(name): content},
		})
	}
}

// fileContent reads a config's or secret's value from its file, its
// environment variable or its inline content. When it cannot, the object is
// written empty with a warning: the value must be filled in before use.
func (c *converter) fileContent(kind, name string, cfg types.FileObjectConfig) ([]byte, bool) {
	p := topPath(kind, name)
	switch {
	case cfg.Content != "":
		return []byte(cfg.Content), true
	case cfg.Environment != "":
		if v, ok := c.p.Environment[cfg.Environment]; ok {
			return []byte(v), true
		}
		c.warn(kind+" (missing)", p, "value not converted: the variable %s is not set; the object is written empty, fill it before applying", cfg.Environment)
	case cfg.File != "":
		b, err := os.ReadFile(cfg.File)
		if err == nil {
			return b, true
		}
		c.warn(kind+" (missing)", p, "value not converted: %s cannot be read; the object is written empty, fill it before applying", c.relPath(cfg.File))
	default:
		c.warn(kind+" (missing)", p, "value not converted: no file, environment or content; the object is written empty")
	}
	return nil, false
}

// bindSource is the source of a bind mount as the user wrote it (before
// "~" and relative paths were resolved against this machine), else relative
// to the project.
func (c *converter) bindSource(path, resolved string) string {
	if c.p.Sources != nil {
		if raw, ok := c.p.Sources.Raw(path); ok {
			if src, _, found := strings.Cut(raw, ":"); found && src != "" {
				return src
			}
		}
		if raw, ok := c.p.Sources.Raw(path + ".source"); ok && raw != "" {
			return raw
		}
	}
	return c.relPath(resolved)
}

// readEnvFile parses an env file in its format the way Docker Compose does:
// ${VAR} in it is resolved from the variables of the earlier env files of
// the service, then from the interpolation environment.
func (c *converter) readEnvFile(f types.EnvFile, earlier map[string]string) (map[string]string, error) {
	r, err := os.Open(f.Path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	vars := map[string]string{}
	resolve := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		if v, ok := earlier[name]; ok {
			return v, true
		}
		v, ok := c.p.Environment[name]
		return v, ok
	}
	if err := dotenv.ParseWithFormat(r, f.Path, vars, resolve, f.Format); err != nil {
		return nil, err
	}
	return vars, nil
}

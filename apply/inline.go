package apply

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"golang.org/x/sync/errgroup"
)

// Inline configs and secrets (content:, environment:) are not part of a
// service's config hash, so Docker Compose keeps running the old content
// after it changes. berth reads the files back from each container that
// has them and recreates the container when one differs.

// maxInlineFile bounds what is read back of one file: a larger one is
// taken as changed.
const maxInlineFile = 1 << 20

// ReadInlineFiles reads back, into obs, the inline configs and secrets of
// the containers of services of p that have any. It is the only part of
// planning that reads file contents from containers, and it reads only
// those.
func ReadInlineFiles(ctx context.Context, d Docker, p *types.Project, obs *Observed) error {
	type read struct {
		c       *Container
		path    string
		content string
		found   bool
	}
	var reads []*read
	for i := range obs.Containers {
		c := &obs.Containers[i]
		s, ok := p.Services[c.Service]
		if !ok || c.OneOff {
			continue
		}
		for _, sec := range s.Secrets {
			if def, ok := p.Secrets[sec.Source]; ok && def.File == "" {
				reads = append(reads, &read{c: c, path: secretTarget(sec)})
			}
		}
		for _, cf := range s.Configs {
			if def, ok := p.Configs[cf.Source]; ok && def.File == "" {
				reads = append(reads, &read{c: c, path: configTarget(cf)})
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, r := range reads {
		g.Go(func() error {
			var err error
			r.content, r.found, err = readInlineFile(gctx, d, r.c.ID, r.path)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, r := range reads {
		if r.c.Files == nil {
			r.c.Files = map[string]string{}
		}
		if r.found {
			r.c.Files[r.path] = r.content
		}
	}
	return nil
}

// readInlineFile returns the content of one file of a container, and
// false when the container has no such file.
func readInlineFile(ctx context.Context, d Docker, id, path string) (string, bool, error) {
	rc, _, err := d.CopyFromContainer(ctx, id, path)
	if err != nil {
		if isNotFound(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("reading %s from container %.12s: %w", path, id, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		if errors.Is(err, io.EOF) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("reading %s from container %.12s: %w", path, id, err)
	}
	b, err := io.ReadAll(io.LimitReader(tr, maxInlineFile))
	if err != nil {
		return "", false, fmt.Errorf("reading %s from container %.12s: %w", path, id, err)
	}
	return string(b), true, nil
}

// inlineFileReasons names each inline config or secret whose content in
// the container differs from the files: "configs.app.content" or
// "secrets.token.environment". A container whose files were not read
// (Files nil) gives none.
func inlineFileReasons(c Container, spec *ContainerSpec) []Reason {
	if c.Files == nil {
		return nil
	}
	var out []Reason
	for _, f := range spec.Files {
		path := f.Source + "." + f.Origin
		old, ok := c.Files[f.Path]
		switch {
		case !ok:
			out = append(out, Reason{Code: ConfigChanged, Field: path, Change: Added, New: f.Content, Sensitive: f.Secret, Note: "not in the container at " + f.Path})
		case old != f.Content:
			out = append(out, Reason{Code: ConfigChanged, Field: path, Change: Changed, Old: old, New: f.Content, Sensitive: f.Secret})
		}
	}
	return out
}

// injectFiles copies the spec's inline files into a created container, as
// Compose does: one tar entry at the absolute target, with its mode and
// owner.
func (x *executor) injectFiles(ctx context.Context, id string, files []InlineFile) error {
	for _, f := range files {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		hdr := &tar.Header{Name: f.Path, Size: int64(len(f.Content)), Mode: int64(f.Mode), ModTime: time.Now(), Uid: f.UID, Gid: f.GID}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("packing %s: %w", f.Source, err)
		}
		if _, err := io.WriteString(tw, f.Content); err != nil {
			return fmt.Errorf("packing %s: %w", f.Source, err)
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("packing %s: %w", f.Source, err)
		}
		if err := x.d.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{CopyUIDGID: f.OwnerSet}); err != nil {
			return fmt.Errorf("copying %s into the container at %s: %w", f.Source, f.Path, err)
		}
	}
	return nil
}

package apply

import (
	"context"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// nameTaken fakes an engine where a name is held by one container, which
// appears only after a few looks (still being created by a killed apply).
type nameTaken struct {
	Docker
	holder  string            // name held
	labels  map[string]string // the holder's labels
	hidden  int               // inspects that answer 404 before it shows
	removed []string
	created []string
}

func (f *nameTaken) ContainerCreate(_ context.Context, _ *container.Config, _ *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	if name == f.holder {
		return container.CreateResponse{}, cerrdefs.ErrConflict.WithMessage(`Conflict. The container name "/` + name + `" is already in use`)
	}
	f.created = append(f.created, name)
	return container.CreateResponse{ID: "new-" + name}, nil
}

func (f *nameTaken) ContainerInspect(_ context.Context, name string) (container.InspectResponse, error) {
	if name != f.holder || f.hidden > 0 {
		f.hidden--
		return container.InspectResponse{}, cerrdefs.ErrNotFound.WithMessage("No such container: " + name)
	}
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: "old-" + name}, Config: &container.Config{Labels: f.labels}}, nil
}

func (f *nameTaken) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.removed = append(f.removed, id)
	f.holder = ""
	return nil
}

func TestCreateOverLeftover(t *testing.T) {
	ctx := context.Background()
	plan := &Plan{Project: "shop"}

	// A leftover of this project, visible after two looks: removed, then
	// the create goes through.
	f := &nameTaken{holder: "shop-web-1", labels: map[string]string{LabelProject: "shop"}, hidden: 2}
	x := &executor{d: f, plan: plan}
	resp, err := x.createOver(ctx, &container.Config{}, &container.HostConfig{}, nil, "shop-web-1", "container:shop-web-1")
	if err != nil || resp.ID != "new-shop-web-1" || len(f.removed) != 1 || f.removed[0] != "old-shop-web-1" {
		t.Errorf("leftover of the project: resp %v, err %v, removed %v", resp, err, f.removed)
	}

	// Another project's container: never removed, the conflict is reported.
	f = &nameTaken{holder: "shop-web-1", labels: map[string]string{LabelProject: "other"}}
	x = &executor{d: f, plan: plan}
	_, err = x.createOver(ctx, &container.Config{}, &container.HostConfig{}, nil, "shop-web-1", "container:shop-web-1")
	if !isConflict(err) || len(f.removed) != 0 || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("another project's container: err %v, removed %v", err, f.removed)
	}

	// A name that stays reserved without a container: gives up, reports it.
	f = &nameTaken{holder: "shop-web-1", hidden: 1 << 30}
	x = &executor{d: f, plan: plan}
	if _, err = x.createOver(ctx, &container.Config{}, &container.HostConfig{}, nil, "shop-web-1", "container:shop-web-1"); !isConflict(err) {
		t.Errorf("reserved name: err %v", err)
	}
}

package apply

import (
	"context"
	"net/http"
	"net/url"

	"github.com/docker/docker/api/types/image"
)

// ImageRemove is DELETE /images/{name}: it untags the reference and deletes
// the image when no other tag or container holds it (409 when a container
// uses it).
func (e *Engine) ImageRemove(ctx context.Context, ref string, o image.RemoveOptions) ([]image.DeleteResponse, error) {
	ref, err := id("image", ref)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if o.Force {
		q.Set("force", "1")
	}
	if !o.PruneChildren {
		q.Set("noprune", "1")
	}
	var out []image.DeleteResponse
	return out, e.call(ctx, http.MethodDelete, "/images/"+ref, q, nil, &out)
}

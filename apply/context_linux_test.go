package apply

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// dirWatch reports which watched directories were opened, or had a file
// in them opened, through inotify: the archive package's walk has no hook,
// and what it opens is what it reads.
type dirWatch struct {
	fd   int
	dirs map[int32]string
}

func watchDirs(t *testing.T, root string, dirs ...string) *dirWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	w := &dirWatch{fd: fd, dirs: map[int32]string{}}
	for _, d := range dirs {
		wd, err := unix.InotifyAddWatch(fd, filepath.Join(root, filepath.FromSlash(d)), unix.IN_OPEN)
		if err != nil {
			t.Fatalf("inotify watch %s: %v", d, err)
		}
		w.dirs[int32(wd)] = d
	}
	return w
}

// opened lists the watched directories with an open since the watch
// started.
func (w *dirWatch) opened(t *testing.T) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatalf("inotify read: %v", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			if d, ok := w.dirs[wd]; ok && !slices.Contains(out, d) {
				out = append(out, d)
			}
			off += unix.SizeofInotifyEvent + nameLen
		}
	}
	slices.Sort(out)
	return out
}

// TestBuildContextSkipsExcludedDirs: an excluded directory is not read at
// all, unless an exception below it needs it (docs, for docs/README.md);
// then only the way to the exception is.
func TestBuildContextSkipsExcludedDirs(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, contextTree)
	w := watchDirs(t, dir, "node_modules", "node_modules/a", "docs", "docs/internal", "sub")
	c, err := newBuildContext(dir, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	contextTar(t, c)
	if got, want := w.opened(t), []string{"docs", "sub"}; !slices.Equal(got, want) {
		t.Errorf("directories read %q, want %q", got, want)
	}
}

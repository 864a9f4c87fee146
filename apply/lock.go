package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
)

// The project lock lives in Docker itself, so that every berth talking to
// one engine sees it, from whichever machine: it is a volume named
// LockName(project). Creating a volume is the engine's compare-and-set:
// VolumeCreate with a name that exists returns the existing volume, labels
// and all, so the caller whose token comes back holds the lock. The labels
// say who holds it. The volume carries no Compose label: Observe, the
// plan's fingerprint and `docker compose down -v` do not see it.

// Lock labels.
const (
	LabelLock        = "dev.berth.lock" // the project
	labelLockHost    = "dev.berth.lock.host"
	labelLockPID     = "dev.berth.lock.pid"
	labelLockCommand = "dev.berth.lock.command"
	labelLockSince   = "dev.berth.lock.since" // RFC 3339
	labelLockToken   = "dev.berth.lock.token" // random, one per acquisition
)

// LockName is the name of the volume that is the project's lock.
func LockName(project string) string { return "berth-lock." + project }

// LockHolder is who holds a project's lock.
type LockHolder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	token   string
}

func (h LockHolder) String() string {
	return fmt.Sprintf("%q (pid %d on %s) since %s", h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

func holderOf(labels map[string]string) LockHolder {
	pid, _ := strconv.Atoi(labels[labelLockPID])
	since, _ := time.Parse(time.RFC3339Nano, labels[labelLockSince])
	return LockHolder{Host: labels[labelLockHost], PID: pid, Command: labels[labelLockCommand], Since: since, token: labels[labelLockToken]}
}

// LockOptions say who takes a lock and how long to wait for it.
type LockOptions struct {
	Command string        // what the holder runs, for the others' messages: "berth apply"
	Timeout time.Duration // how long to wait for another holder; 0 fails at once
	// Waiting is called once when the lock is held by another, before
	// waiting; Broke when a stale lock was broken. Either may be nil.
	Waiting func(LockHolder)
	Broke   func(LockHolder)
	// Host and PID default to this machine's name and process.
	Host      string
	PID       int
	PollEvery time.Duration // 0 means 250ms
	// Alive reports whether a process of this host runs; nil asks the
	// kernel. A lock held by a process of this host that is gone is stale.
	Alive func(pid int) bool
	Now   func() time.Time // nil is time.Now
}

// LockedError is a lock held by another that did not come free in time.
type LockedError struct {
	Project string
	Holder  LockHolder
	Waited  time.Duration
}

func (e *LockedError) Error() string {
	how := "is locked"
	if e.Waited >= 500*time.Millisecond {
		how = fmt.Sprintf("is still locked after %s", seconds(e.Waited.Round(time.Second)))
	}
	return fmt.Sprintf("project %s %s by %s; wait for it, raise --lock-timeout, or run \"berth unlock\" if that process is gone", e.Project, how, e.Holder)
}

// Lock is a held project lock.
type Lock struct {
	d       Docker
	project string
	token   string
}

// AcquireLock takes the project's lock, waiting up to opts.Timeout for
// another holder to release it. A lock whose holder ran on this host and is
// no longer running is stale and broken (opts.Broke is told).
func AcquireLock(ctx context.Context, d Docker, project string, opts LockOptions) (*Lock, error) {
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	if opts.PID == 0 {
		opts.PID = os.Getpid()
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 250 * time.Millisecond
	}
	if opts.Alive == nil {
		opts.Alive = processAlive
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	began := opts.Now()
	waiting := false
	for {
		labels := map[string]string{
			LabelLock:        project,
			labelLockHost:    opts.Host,
			labelLockPID:     strconv.Itoa(opts.PID),
			labelLockCommand: opts.Command,
			labelLockSince:   opts.Now().UTC().Format(time.RFC3339Nano),
			labelLockToken:   token,
		}
		v, err := d.VolumeCreate(ctx, volume.CreateOptions{Name: LockName(project), Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("taking the lock of project %s: %w", project, err)
		}
		if v.Labels[labelLockToken] == token {
			return &Lock{d: d, project: project, token: token}, nil
		}
		holder := holderOf(v.Labels)
		if holder.Host == opts.Host && holder.PID > 0 && holder.PID != opts.PID && !opts.Alive(holder.PID) {
			if err := breakIf(ctx, d, project, holder.token); err != nil {
				return nil, err
			}
			if opts.Broke != nil {
				opts.Broke(holder)
			}
			continue
		}
		waited := opts.Now().Sub(began)
		if waited >= opts.Timeout {
			return nil, &LockedError{Project: project, Holder: holder, Waited: waited}
		}
		if !waiting && opts.Waiting != nil {
			opts.Waiting(holder)
		}
		waiting = true
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(opts.PollEvery, opts.Timeout-waited)):
		}
	}
}

// Release gives the lock back. It runs even when ctx is cancelled: an
// interrupted command must not leave its lock behind.
func (l *Lock) Release(ctx context.Context) error {
	return breakIf(context.WithoutCancel(ctx), l.d, l.project, l.token)
}

// breakIf removes the project's lock if it still holds token: another
// process may have taken it since it was read.
func breakIf(ctx context.Context, d Docker, project, token string) error {
	cur, err := ReadLock(ctx, d, project)
	if err != nil || cur == nil || cur.token != token {
		return err
	}
	if err := d.VolumeRemove(ctx, LockName(project), true); err != nil && !isNotFound(err) {
		return fmt.Errorf("releasing the lock of project %s: %w", project, err)
	}
	return nil
}

// ReadLock returns who holds the project's lock, or nil when nobody does.
func ReadLock(ctx context.Context, d Docker, project string) (*LockHolder, error) {
	list, err := d.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelLock+"="+project))})
	if err != nil {
		return nil, fmt.Errorf("reading the lock of project %s: %w", project, err)
	}
	for _, v := range list.Volumes {
		if v != nil && v.Name == LockName(project) {
			h := holderOf(v.Labels)
			return &h, nil
		}
	}
	return nil, nil
}

// ErrNotLocked is BreakLock's error when the project has no lock.
var ErrNotLocked = errors.New("not locked")

// BreakLock removes the project's lock whoever holds it (berth unlock) and
// returns who held it.
func BreakLock(ctx context.Context, d Docker, project string) (*LockHolder, error) {
	h, err := ReadLock(ctx, d, project)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("project %s: %w", project, ErrNotLocked)
	}
	return h, breakIf(ctx, d, project, h.token)
}

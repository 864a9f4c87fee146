package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/apply"
)

// failuresPerReplica is how many failed tasks per replica, outside of an
// update Swarm is still rolling out or back, make berth give up on a
// service: Swarm itself would restart them for ever.
const failuresPerReplica = 3

// wait blocks until the service named by w meets its condition:
// service_started, every replica's task started (state starting or
// running: Swarm holds a task with a healthcheck at starting from the start
// of its container until it is healthy, so this is Compose's "the
// dependency's containers were started", without waiting for health);
// service_healthy and running_or_healthy,
// every replica running (Swarm keeps a task with a healthcheck "starting"
// until it is healthy) and an update of this run finished;
// service_completed_successfully, every task complete.
func (x *executor) wait(ctx context.Context, stack string, w apply.Wait) error {
	name := convert.NewNamespace(stack).Scope(w.Service)
	resource := "service:" + name
	svc, err := x.service(ctx, name)
	if err != nil {
		return err
	}
	if svc == nil {
		if !w.Required {
			return nil
		}
		return &ConvergeError{Service: name, Reason: "the service does not exist"}
	}
	start := time.Now()
	last := ""
	for {
		st, err := x.status(ctx, svc.ID)
		if err != nil {
			return err
		}
		progress := fmt.Sprintf("%d/%d running", st.running, st.desired)
		if w.Condition == "service_started" {
			progress = fmt.Sprintf("%d/%d started", st.started, st.desired)
		}
		if st.completion {
			progress = fmt.Sprintf("%d/%d complete", st.complete, st.desired)
		}
		if st.updating != "" {
			progress += " (" + st.updating + ")"
		}
		if progress != last {
			x.event(resource, "Waiting", start, progress)
			last = progress
		}
		if st.err != nil {
			x.event(resource, "Error", start, st.err.Error())
			return st.err
		}
		done := false
		switch w.Condition {
		case "service_started":
			// A global service has no task to count until the scheduler
			// places one; a replicated one with replicas: 0 has none to wait for.
			done = st.started >= st.desired && (st.desired > 0 || !st.global) || st.complete > 0
		case "service_completed_successfully":
			done = st.desired > 0 && st.complete >= st.desired
		default:
			done = st.updating == "" && (st.completion && st.complete >= st.desired || !st.completion && st.running == st.desired && st.desired > 0 || st.desired == 0)
		}
		if done {
			status := "Running"
			switch {
			case st.completion:
				status = "Completed"
			case w.Condition == "service_started":
				status = "Started"
			case st.health:
				status = "Healthy"
			}
			x.event(resource, status, start, progress)
			return nil
		}
		if x.opts.WaitTimeout > 0 && time.Since(start) > x.opts.WaitTimeout {
			e := &ConvergeError{Service: name, Reason: fmt.Sprintf("%s after %s: %v", progress, x.opts.WaitTimeout, errTimeout), Node: x.nodeName(ctx, st.nodeID), TaskErr: st.taskErr}
			x.event(resource, "Error", start, e.Error())
			return e
		}
		if err := sleep(ctx, x.opts.Poll); err != nil {
			return err
		}
	}
}

func (x *executor) service(ctx context.Context, name string) (*swarm.Service, error) {
	id := x.serviceID(name)
	if id == "" {
		id = name
	}
	list, err := x.d.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	for _, s := range list {
		if s.Spec.Name == name || s.ID == id {
			return &s, nil
		}
	}
	return nil, nil
}

// serviceStatus is one look at a service's tasks.
type serviceStatus struct {
	desired, running, complete int
	started                    int    // starting or running
	completion                 bool   // a job: tasks run to completion
	global                     bool   // a task on every eligible node
	health                     bool   // tasks have a healthcheck
	updating                   string // "updating", "rolling back": an update of this run still under way
	nodeID, taskErr            string // the last failed task's node and error
	err                        *ConvergeError
}

func (x *executor) status(ctx context.Context, id string) (serviceStatus, error) {
	var st serviceStatus
	svc, _, err := x.d.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return st, fmt.Errorf("inspecting service %s: %w", id, err)
	}
	tasks, err := x.d.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
	if err != nil {
		return st, fmt.Errorf("listing the tasks of service %s: %w", svc.Spec.Name, err)
	}
	cs := svc.Spec.TaskTemplate.ContainerSpec
	st.health = cs != nil && cs.Healthcheck != nil && len(cs.Healthcheck.Test) > 0 && cs.Healthcheck.Test[0] != "NONE"
	m := svc.Spec.Mode
	st.global = m.Global != nil
	switch {
	case m.Replicated != nil && m.Replicated.Replicas != nil:
		st.desired = int(*m.Replicated.Replicas)
	case m.ReplicatedJob != nil:
		st.completion = true
		st.desired = 1
		if m.ReplicatedJob.TotalCompletions != nil {
			st.desired = int(*m.ReplicatedJob.TotalCompletions)
		}
	}
	failed := 0
	var lastFailed, waiting *swarm.Task
	for i, t := range tasks {
		if t.DesiredState == swarm.TaskStateRunning && t.Status.State != swarm.TaskStateRunning && (t.Status.Err != "" || t.Status.Message != "") {
			waiting = &tasks[i] // pending, preparing, starting: why is in its status
		}
		if t.DesiredState == swarm.TaskStateRunning && (t.Status.State == swarm.TaskStateStarting || t.Status.State == swarm.TaskStateRunning) {
			st.started++
		}
		switch {
		case t.DesiredState == swarm.TaskStateRunning && t.Status.State == swarm.TaskStateRunning:
			st.running++
		case t.Status.State == swarm.TaskStateComplete:
			st.complete++
		case (t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected) && t.Status.Timestamp.After(x.began):
			failed++
			if lastFailed == nil || t.Status.Timestamp.After(lastFailed.Status.Timestamp) {
				lastFailed = &tasks[i]
			}
		}
		if m.Global != nil && t.DesiredState == swarm.TaskStateRunning {
			st.desired++
		}
	}
	if lastFailed == nil {
		lastFailed = waiting
	}
	if lastFailed != nil {
		st.taskErr = lastFailed.Status.Err
		if st.taskErr == "" {
			st.taskErr = lastFailed.Status.Message
		}
		if lastFailed.Status.ContainerStatus != nil && lastFailed.Status.ContainerStatus.ExitCode != 0 {
			st.taskErr = fmt.Sprintf("%s (exit code %d)", st.taskErr, lastFailed.Status.ContainerStatus.ExitCode)
		}
		st.nodeID = lastFailed.NodeID
	}
	name := svc.Spec.Name
	u := svc.UpdateStatus
	ours := u != nil && u.StartedAt != nil && u.StartedAt.After(x.began.Add(-time.Second))
	updated := x.updatedByThisRun(svc.ID)
	if updated && !ours && rollsOut(svc) {
		// The orchestrator sets the update status a moment after the
		// update: until then the old tasks still look converged.
		st.updating = "updating"
	}
	if updated && ours {
		switch u.State {
		case swarm.UpdateStateUpdating:
			st.updating = "updating"
		case swarm.UpdateStateRollbackStarted:
			st.updating = "rolling back"
		case swarm.UpdateStateRollbackCompleted:
			st.err = &ConvergeError{Service: name, Reason: "the update failed and was rolled back (deploy.update_config.failure_action: rollback): " + u.Message, TaskErr: st.taskErr}
		case swarm.UpdateStatePaused:
			st.err = &ConvergeError{Service: name, Reason: "the update failed and is paused (deploy.update_config.failure_action: pause): " + u.Message, TaskErr: st.taskErr}
		case swarm.UpdateStateRollbackPaused:
			st.err = &ConvergeError{Service: name, Reason: "the update failed and so did its rollback, now paused: " + u.Message, TaskErr: st.taskErr}
		}
	}
	if st.err == nil && st.updating == "" && failed >= failuresPerReplica*max(1, st.desired) &&
		(st.completion && st.complete < st.desired || !st.completion && st.running < st.desired) {
		st.err = &ConvergeError{Service: name, Reason: fmt.Sprintf("%d tasks failed", failed), TaskErr: st.taskErr}
	}
	if st.err != nil {
		st.err.Node = x.nodeName(ctx, st.nodeID) // looked up only for an error: a poll is one inspect and one task list
	}
	return st, nil
}

// rollsOut reports whether the service's last update changed its task
// template, which Swarm rolls out task by task (other changes, such as
// replicas or labels, it applies without an update status).
func rollsOut(svc swarm.Service) bool {
	if svc.PreviousSpec == nil {
		return false
	}
	was, _ := json.Marshal(svc.PreviousSpec.TaskTemplate)
	is, _ := json.Marshal(svc.Spec.TaskTemplate)
	return !bytes.Equal(was, is)
}

// nodeName is a node's hostname, or its ID when the node cannot be read.
func (x *executor) nodeName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	nodes, err := x.d.NodeList(ctx, swarm.NodeListOptions{Filters: filters.NewArgs(filters.Arg("id", id))})
	if err != nil || len(nodes) == 0 {
		return id
	}
	return nodes[0].Description.Hostname
}

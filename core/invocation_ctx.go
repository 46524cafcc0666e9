package core

import (
	"context"
	"sync"
	"time"
)

// The contexts of one invocation live inside its Invocation, so that a
// call to an application procedure allocates no context of its own (the
// backend still derives its task context from invocationValues):
//
//   - invocationValues is the parent given to the backend's Spawn: it
//     carries the invocation and its handler environment (the realm and
//     the calling session, for Dep, RealmFrom and SessionFrom) and is never
//     canceled, so that deriving the task context from it costs the
//     backend no propagation;
//   - handlerCtx is the context the handler gets: the backend's task
//     context plus the invocation's own cancellation (INTERRUPT, the
//     session ending). Its Done channel is made only when someone asks for
//     it, by a real context derived from the task context.

// invocationValues is the never-canceled parent of an invocation's task.
type invocationValues struct {
	context.Context // context.Background()
	inv             *Invocation
}

func (c *invocationValues) Value(key any) any {
	if v, ok := c.inv.value(key); ok {
		return v
	}
	return c.Context.Value(key)
}

// value answers the context keys an invocation carries.
func (inv *Invocation) value(key any) (any, bool) {
	switch key.(type) {
	case invocationKey:
		return inv, true
	case envKey:
		return &inv.env, true
	}
	return nil, false
}

// handlerCtx is the context a procedure handler runs with.
type handlerCtx struct {
	inv *Invocation

	mu       sync.Mutex
	task     context.Context // the backend's task context (setTask)
	real     context.Context // a child of task, made on demand (realize)
	cancel   context.CancelFunc
	canceled bool // INTERRUPT, or the session ended
}

// setTask binds c to the context of the task that runs the handler: the
// spawned task's, then the offloaded one's for a Blocking handler on an
// event loop. A real context made from the previous task is dropped unless
// c was canceled (it is then canceled again over the new task).
func (c *handlerCtx) setTask(task context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.task = task
	if c.real != nil {
		c.cancel()
		c.real, c.cancel = nil, nil
	}
	if c.canceled {
		c.realize()
	}
}

// realize makes c's real context, once a task is bound. c.mu held.
func (c *handlerCtx) realize() {
	if c.real != nil || c.task == nil {
		return
	}
	c.real, c.cancel = context.WithCancel(c.task)
	if c.canceled {
		c.cancel()
	}
}

// interrupt cancels the handler's context. Any goroutine.
func (c *handlerCtx) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.canceled = true
	c.realize()
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *handlerCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.task == nil {
		return time.Time{}, false
	}
	return c.task.Deadline()
}

func (c *handlerCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.realize()
	if c.real == nil {
		return nil // no task yet: only reachable before the handler runs
	}
	return c.real.Done()
}

func (c *handlerCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.real != nil:
		return c.real.Err()
	case c.canceled:
		return context.Canceled
	case c.task != nil:
		return c.task.Err()
	}
	return nil
}

// Value answers the invocation's keys, and the others from the real
// context once there is one (so that a context derived from c finds the
// canceler that Done belongs to), else from the task's.
func (c *handlerCtx) Value(key any) any {
	if v, ok := c.inv.value(key); ok {
		return v
	}
	c.mu.Lock()
	parent := c.real
	if parent == nil {
		parent = c.task
	}
	c.mu.Unlock()
	if parent == nil {
		return nil
	}
	return parent.Value(key)
}

func (c *handlerCtx) String() string { return "core.handlerContext" }

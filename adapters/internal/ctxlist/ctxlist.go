// Package ctxlist keeps the contexts of a backend's live tasks (spawned
// tasks, offloaded work), so that Close can cancel them all: an intrusive
// doubly linked list, with O(1) insertion and removal and no map.
//
// A Node is itself the task's context, made without an allocation of its
// own (it lives in the task it belongs to): a child of its parent that is
// canceled with a cause. A standard context (context.WithCancelCause) is
// made only when someone needs one: when the parent can be canceled (so
// that its cancellation propagates), or when the task asks for Done, or
// looks up a key its parent does not hold (as context.Cause does). A task
// that only runs and reads its parent's values costs no context at all.
//
// A List does no locking; its owner guards it and the links of every Node
// in it with one mutex (a Node's context state has its own):
//
//	type task struct{ node ctxlist.Node }
//	t.node.Init(parent)
//	mu.Lock(); live.Add(&t.node); mu.Unlock()
//	f(&t.node) // the task's context
//	// ... when the task ends:
//	mu.Lock(); live.Remove(&t.node); mu.Unlock(); t.node.Cancel(nil)
package ctxlist

import (
	"context"
	"sync"
	"time"
)

// Node is an entry of a List and the context of one live task. Embed it in
// the task it belongs to, Init it before Add, and never copy it after.
type Node struct {
	prev, next *Node

	parent context.Context
	// key and val: one value n adds itself (SetValue), found without a
	// standard context.
	key, val any

	mu       sync.Mutex
	real     context.Context // a child of parent, made on demand (realize)
	cancel   context.CancelCauseFunc
	canceled bool
	cause    error // Cancel's cause, for a real context made afterwards
}

// Init makes n a fresh child of parent (nil means context.Background()).
// When parent can be canceled, the standard context is made at once, so
// that the parent's cancellation reaches n.
func (n *Node) Init(parent context.Context) {
	if parent == nil {
		parent = context.Background()
	}
	n.parent = parent
	if parent.Done() != nil {
		n.mu.Lock()
		n.realize()
		n.mu.Unlock()
	}
}

// SetValue makes n answer val for key (as context.WithValue would, without
// an allocation): a backend marks its tasks' contexts with itself. Call it
// after Init, before n is shared; key must be comparable.
func (n *Node) SetValue(key, val any) { n.key, n.val = key, val }

// realize makes n's standard context. n.mu held.
func (n *Node) realize() {
	if n.real != nil {
		return
	}
	n.real, n.cancel = context.WithCancelCause(n.parent)
	if n.canceled {
		n.cancel(n.cause)
	}
}

// Cancel cancels n with cause (nil means context.Canceled); only the first
// call counts. Safe from any goroutine.
func (n *Node) Cancel(cause error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.canceled {
		return
	}
	n.canceled = true
	n.cause = cause
	if n.cancel != nil {
		n.cancel(cause)
	}
}

// Deadline is the parent's (n adds none).
func (n *Node) Deadline() (time.Time, bool) { return n.parent.Deadline() }

// Done makes the standard context and returns its channel.
func (n *Node) Done() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.realize()
	return n.real.Done()
}

func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.real != nil:
		return n.real.Err()
	case n.canceled:
		return context.Canceled
	}
	return nil
}

// Value answers the key of SetValue, then from the parent; a key the parent does not hold is looked
// up in the standard context, made for it, so that context.Cause and the
// contexts derived from n find the canceler Done belongs to.
func (n *Node) Value(key any) any {
	if n.key != nil && key == n.key {
		return n.val
	}
	if v := n.parent.Value(key); v != nil {
		return v
	}
	n.mu.Lock()
	n.realize()
	real := n.real
	n.mu.Unlock()
	return real.Value(key)
}

func (n *Node) String() string { return "ctxlist.Node" }

// List is a list of Nodes. The zero value is empty. Guarded by its owner.
type List struct{ head *Node }

// Add inserts n, which must not be in a list.
func (l *List) Add(n *Node) {
	n.next = l.head
	if l.head != nil {
		l.head.prev = n
	}
	l.head = n
}

// Remove unlinks n; removing a node that is not in l is harmless.
func (l *List) Remove(n *Node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else if l.head == n {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
}

// Nodes returns the nodes in l, to cancel after the owner's lock is
// released.
func (l *List) Nodes() []*Node {
	var out []*Node
	for n := l.head; n != nil; n = n.next {
		out = append(out, n)
	}
	return out
}

// Package ctxlist keeps the cancel functions of a backend's live tasks
// (spawned tasks, offloaded work), so that Close can cancel them all: an
// intrusive doubly linked list, with O(1) insertion and removal and no map.
//
// A List does no locking; its owner guards it and every Node in it with
// one mutex:
//
//	type task struct{ node ctxlist.Node; ctx context.Context }
//	t.ctx, t.node.Cancel = context.WithCancelCause(parent)
//	mu.Lock(); live.Add(&t.node); mu.Unlock()
//	// ... when the task ends:
//	mu.Lock(); live.Remove(&t.node); mu.Unlock(); t.node.Cancel(nil)
package ctxlist

import "context"

// Node is an entry of a List: the cancel function of one live context.
// Embed it in the task it belongs to.
type Node struct {
	prev, next *Node
	// Cancel cancels the task's context; set before Add.
	Cancel context.CancelCauseFunc
}

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

// Remove takes n out of l; it does nothing if n is not in a list.
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

// Cancels returns the cancel functions of every node, newest first, to be
// called after the owner's lock is released.
func (l *List) Cancels() []context.CancelCauseFunc {
	var out []context.CancelCauseFunc
	for n := l.head; n != nil; n = n.next {
		out = append(out, n.Cancel)
	}
	return out
}

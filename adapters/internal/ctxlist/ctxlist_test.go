package ctxlist

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// members returns which of the nodes l holds, by index, in
// list order.
func members(l *List, ids map[*Node]int) []int {
	var out []int
	for n := l.head; n != nil; n = n.next {
		out = append(out, ids[n])
	}
	return out
}

func TestAddRemove(t *testing.T) {
	tests := []struct {
		name   string
		remove []int // node indexes removed, in order, after adding 0..3
		want   []int // remaining, newest first
	}{
		{"none", nil, []int{3, 2, 1, 0}},
		{"head", []int{3}, []int{2, 1, 0}},
		{"tail", []int{0}, []int{3, 2, 1}},
		{"middle", []int{2}, []int{3, 1, 0}},
		{"all", []int{1, 3, 0, 2}, nil},
		{"twice_is_harmless", []int{2, 2}, []int{3, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l List
			nodes := make([]*Node, 4)
			ids := map[*Node]int{}
			for i := range nodes {
				nodes[i] = &Node{}
				ids[nodes[i]] = i
				l.Add(nodes[i])
			}
			for _, i := range tt.remove {
				l.Remove(nodes[i])
			}
			if got := members(&l, ids); !slices.Equal(got, tt.want) {
				t.Fatalf("list holds %v, want %v", got, tt.want)
			}
			for _, n := range nodes {
				if !slices.Contains(tt.want, ids[n]) && (n.prev != nil || n.next != nil) {
					t.Fatalf("removed node %d still linked", ids[n])
				}
			}
		})
	}
}

func TestNodesCancelsEveryLiveContext(t *testing.T) {
	var l List
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = &Node{}
		nodes[i].Init(context.Background())
		l.Add(nodes[i])
	}
	l.Remove(nodes[1])
	live := l.Nodes()
	if len(live) != 2 {
		t.Fatalf("%d live nodes, want 2", len(live))
	}
	for _, n := range live {
		n.Cancel(context.Canceled)
	}
	for i, n := range nodes {
		if done := n.Err() != nil; done != (i != 1) {
			t.Fatalf("context %d done = %v after cancelling the live ones", i, done)
		}
	}
	nodes[1].Cancel(nil)
}

type key struct{}

// TestNodeIsAContext checks a Node against the standard context it stands
// for: the cause, Done, derived contexts, values and a cancelable parent,
// whether the standard context is made before or after Cancel.
func TestNodeIsAContext(t *testing.T) {
	errCause := errors.New("cause")
	parent := context.WithValue(context.Background(), key{}, "v")
	for _, early := range []bool{false, true} {
		var n Node
		n.Init(parent)
		if early && closed(n.Done()) {
			t.Fatal("Done closed before Cancel")
		}
		child, cancelChild := context.WithCancel(&n)
		defer cancelChild()
		if n.Err() != nil || child.Err() != nil {
			t.Fatalf("early=%v: canceled before Cancel", early)
		}
		if got := n.Value(key{}); got != "v" {
			t.Fatalf("early=%v: Value = %v, want the parent's", early, got)
		}
		n.Cancel(errCause)
		n.Cancel(errors.New("second cause is ignored"))
		if !closed(n.Done()) {
			t.Fatalf("early=%v: Done not closed after Cancel", early)
		}
		if !errors.Is(n.Err(), context.Canceled) || !errors.Is(context.Cause(&n), errCause) {
			t.Fatalf("early=%v: Err %v, Cause %v; want Canceled and the cause", early, n.Err(), context.Cause(&n))
		}
		if !errors.Is(child.Err(), context.Canceled) || !errors.Is(context.Cause(child), errCause) {
			t.Fatalf("early=%v: derived context: Err %v, Cause %v", early, child.Err(), context.Cause(child))
		}
	}

	// A cancelable parent reaches the node.
	p, cancel := context.WithCancelCause(context.Background())
	var n Node
	n.Init(p)
	cancel(errCause)
	if !closed(n.Done()) {
		t.Fatal("Done not closed after the parent's cancel")
	}
	if !errors.Is(context.Cause(&n), errCause) {
		t.Fatalf("parent's cause: got %v", context.Cause(&n))
	}
	// Cancel before anyone asked for Done, cause nil: plain Canceled.
	var m Node
	m.Init(nil)
	m.Cancel(nil)
	if !errors.Is(m.Err(), context.Canceled) || !errors.Is(context.Cause(&m), context.Canceled) {
		t.Fatalf("Cancel(nil): Err %v, Cause %v", m.Err(), context.Cause(&m))
	}
}

// closed reports whether d is closed, without waiting.
func closed(d <-chan struct{}) bool {
	select {
	case <-d:
		return true
	default:
		return false
	}
}

// SetValue's key is found on the node and on contexts derived from it,
// without making a standard context; other keys still come from the parent.
func TestSetValue(t *testing.T) {
	type ownKey struct{}
	type parentKey struct{}
	var n Node
	n.Init(context.WithValue(context.Background(), parentKey{}, "parent"))
	n.SetValue(ownKey{}, "own")
	if got := n.Value(ownKey{}); got != "own" {
		t.Fatalf("Value(ownKey) = %v", got)
	}
	if n.real != nil {
		t.Fatal("looking up the node's own key made a standard context")
	}
	child, cancel := context.WithCancel(&n)
	defer cancel()
	if got := child.Value(ownKey{}); got != "own" {
		t.Fatalf("a derived context's Value(ownKey) = %v", got)
	}
	if got := child.Value(parentKey{}); got != "parent" {
		t.Fatalf("a derived context's Value(parentKey) = %v", got)
	}
	n.Cancel(nil)
	if child.Err() == nil {
		t.Fatal("canceling the node did not reach the derived context")
	}
}

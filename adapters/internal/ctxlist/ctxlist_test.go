package ctxlist

import (
	"context"
	"slices"
	"testing"
)

// members returns which of nodes' cancel functions l holds, by index, in
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

func TestCancelsCancelsEveryLiveContext(t *testing.T) {
	var l List
	ctxs := make([]context.Context, 3)
	nodes := make([]*Node, 3)
	for i := range ctxs {
		nodes[i] = &Node{}
		ctxs[i], nodes[i].Cancel = context.WithCancelCause(context.Background())
		l.Add(nodes[i])
	}
	l.Remove(nodes[1])
	cancels := l.Cancels()
	if len(cancels) != 2 {
		t.Fatalf("%d cancel functions, want 2", len(cancels))
	}
	for _, c := range cancels {
		c(context.Canceled)
	}
	for i, ctx := range ctxs {
		if done := ctx.Err() != nil; done != (i != 1) {
			t.Fatalf("context %d done = %v after cancelling the live ones", i, done)
		}
	}
	nodes[1].Cancel(nil)
}

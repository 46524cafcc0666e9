// Package timerheap is the deadline-ordered timer heap shared by the event
// loop backend (adapters/eventloop) and the virtual scheduler
// (scheduler/schedtest): a container/heap.Interface over timers that keep
// their own position, so Stop can remove one in O(log n).
package timerheap

import "time"

// Timer is an element of a Heap.
type Timer interface {
	// Deadline returns when the timer is due and its creation sequence
	// number, which breaks ties: equal deadlines fire in creation order.
	Deadline() (at time.Time, seq uint64)
	// SetIndex records the timer's position in the heap; -1 once removed.
	SetIndex(i int)
}

// Heap orders timers by deadline, then creation. Use it through
// container/heap (heap.Push(&h, t), heap.Pop(&h), heap.Remove(&h, i));
// h[0] is the earliest.
type Heap[T Timer] []T

// Len implements heap.Interface.
func (h Heap[T]) Len() int { return len(h) }

// Less implements heap.Interface.
func (h Heap[T]) Less(i, j int) bool {
	ai, si := h[i].Deadline()
	aj, sj := h[j].Deadline()
	if !ai.Equal(aj) {
		return ai.Before(aj)
	}
	return si < sj
}

// Swap implements heap.Interface.
func (h Heap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].SetIndex(i)
	h[j].SetIndex(j)
}

// Push implements heap.Interface.
func (h *Heap[T]) Push(x any) {
	t := x.(T)
	t.SetIndex(len(*h))
	*h = append(*h, t)
}

// Pop implements heap.Interface.
func (h *Heap[T]) Pop() any {
	old := *h
	t := old[len(old)-1]
	var zero T
	old[len(old)-1] = zero
	*h = old[:len(old)-1]
	t.SetIndex(-1)
	return t
}

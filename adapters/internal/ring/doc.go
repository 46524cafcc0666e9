// Package ring provides Ring, the growable FIFO ring buffer under the
// scheduling backends' queues: the mailbox's bounded value queue and the
// worker pool's lanes.
//
// A Ring does no locking; its owner guards it (a mutex, in every adapter).
// Growth is on demand and bounded by the caller, and an owner that empties a
// ring releases a large buffer with Release, so idle queues stay small:
//
//	var q ring.Ring[int]
//	q.Push(1, 8, 0) // grows to 8 slots
//	v := q.Pop()
//	q.Release(16) // keeps the 8-slot buffer: it is small
package ring

package ring

// Ring is a FIFO of T held in a circular buffer that grows on demand. The
// zero value is an empty ring with no buffer. It is not safe for concurrent
// use: its owner guards it.
type Ring[T any] struct {
	buf  []T
	head int // index of the oldest value
	n    int // number of values held
}

// Len reports the number of values held.
func (r *Ring[T]) Len() int { return r.n }

// Cap reports the size of the current buffer.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Push appends v. When the buffer is full it is first replaced by one
// twice its size, at least minSize and, when maxSize > 0, at most maxSize,
// with the values kept in order. A caller bounding the ring by maxSize
// keeps Len below maxSize before it pushes.
func (r *Ring[T]) Push(v T, minSize, maxSize int) {
	if r.n == len(r.buf) {
		r.grow(minSize, maxSize)
	}
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = v
	r.n++
}

func (r *Ring[T]) grow(minSize, maxSize int) {
	size := max(2*len(r.buf), minSize)
	if maxSize > 0 {
		size = min(size, maxSize)
	}
	buf := make([]T, size)
	for i := range r.n {
		j := r.head + i
		if j >= len(r.buf) {
			j -= len(r.buf)
		}
		buf[i] = r.buf[j]
	}
	r.buf, r.head = buf, 0
}

// Pop removes and returns the oldest value; the ring must not be empty. Its
// slot is cleared, so the ring does not keep the value alive.
func (r *Ring[T]) Pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
	return v
}

// Release drops the buffer of an empty ring when it is larger than retain
// slots, so that a burst's memory is returned once the burst has drained.
// It does nothing while the ring holds values.
func (r *Ring[T]) Release(retain int) {
	if r.n == 0 && len(r.buf) > retain {
		r.buf, r.head = nil, 0
	}
}

package planted

// A channel type anywhere: declarations, fields, parameters, results,
// conversions, either direction. A range over a channel is caught through
// the channel's type; one that comes from elsewhere (for range ctx.Done())
// is beyond what syntax shows.

type pipe chan []byte // want: channel type

type conn struct {
	in  <-chan []byte // want: channel type
	out chan<- []byte // want: channel type
}

func drain(c pipe) (n int) {
	for range c {
		n++
	}
	return n
}

func wait(done func() <-chan struct{}) { // want: channel type
	_ = done
}

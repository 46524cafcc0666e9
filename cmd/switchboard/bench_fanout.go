package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// fanoutWindow is how many publications may be in flight (published, not
// yet delivered to every subscriber) while throughput is measured. It keeps
// every subscriber's queue in the router far below its slow-consumer
// bound, so the phase measures routing, not disconnects. Latency is
// measured separately with one publication in flight, so that it is the
// fan-out's own latency and not time spent queued behind the window.
const fanoutWindow = 16

// fanoutAll runs the fan-out phases for every subscriber count.
func (e *loadEnv) fanoutAll(m metrics) error {
	for _, n := range e.cfg.Fanout {
		if err := e.fanout(n, m); err != nil {
			return fmt.Errorf("%d subscribers: %w", n, err)
		}
	}
	return nil
}

// fanoutFigures are one fan-out measurement.
type fanoutFigures struct {
	perSec, p50, p99, cpu float64
}

// fanoutState is shared by the publisher and the subscribers' handlers.
type fanoutState struct {
	n         int
	window    atomic.Int64 // publications in flight, at most fanoutWindow
	delivered atomic.Int64
	recording atomic.Bool
	// pending[seq%fanoutWindow] counts the subscribers a publication has
	// not reached yet; the handler that reaches zero returns a credit.
	pending [fanoutWindow]atomic.Int64
	credits chan struct{}
	subs    []*fanoutSub
}

// fanoutSub is one subscriber's latency samples.
type fanoutSub struct {
	mu      sync.Mutex
	samples []time.Duration
}

// handler returns subscriber i's event handler: the event carries
// [seq, publish time in ns, payload].
func (st *fanoutState) handler(i int) client.EventHandler {
	sub := st.subs[i]
	return func(ev *client.Event) {
		now := time.Now().UnixNano()
		seq, _ := wamp.ToInt(ev.Args[0])
		sent, _ := wamp.ToInt(ev.Args[1])
		if st.recording.Load() {
			sub.mu.Lock()
			sub.samples = append(sub.samples, time.Duration(now-sent))
			sub.mu.Unlock()
		}
		st.delivered.Add(1)
		if st.pending[seq%st.window.Load()].Add(-1) == 0 {
			st.credits <- struct{}{}
		}
	}
}

// fanoutSessions joins n subscribers of topicFanout, counted in the
// returned state, and a publisher; leave ends every session joined, also
// when err is not nil.
func (e *loadEnv) fanoutSessions(n int) (st *fanoutState, pub *client.Session, leave func(), err error) {
	var joined []*client.Session
	leave = func() { leaveAll(joined) }
	subs, err := e.dialN(n)
	if err != nil {
		return nil, nil, leave, err
	}
	joined = subs
	st = &fanoutState{n: n, credits: make(chan struct{}, fanoutWindow), subs: make([]*fanoutSub, n)}
	for i := range n {
		st.subs[i] = &fanoutSub{}
		if _, err := subs[i].Subscribe(e.ctx, topicFanout, st.handler(i), nil); err != nil {
			return nil, nil, leave, err
		}
	}
	if pub, err = e.dial(); err != nil {
		return nil, nil, leave, err
	}
	joined = append(joined, pub)
	return st, pub, leave, nil
}

// fanout measures, with n subscribers and one publisher: events
// delivered/s and router CPU per delivered event with fanoutWindow
// publications in flight, and publish-to-deliver latency with one.
func (e *loadEnv) fanout(n int, m metrics) error {
	st, pub, leave, err := e.fanoutSessions(n)
	defer leave()
	if err != nil {
		return err
	}
	loaded, err := e.fanoutRun(pub, st, fanoutWindow)
	if err != nil {
		return err
	}
	single, err := e.fanoutRun(pub, st, 1)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("fanout.s%d.", n)
	m[key+"per_s"], m[key+"cpu_us"] = loaded.perSec, loaded.cpu
	m[key+"p50_us"], m[key+"p99_us"] = single.p50, single.p99
	m[key+"loaded_p50_us"], m[key+"loaded_p99_us"] = loaded.p50, loaded.p99
	m[key+"single_per_s"], m[key+"single_cpu_us"] = single.perSec, single.cpu
	return nil
}

// fanoutRun publishes with window publications in flight for a warm-up and
// a measured phase.
func (e *loadEnv) fanoutRun(pub *client.Session, st *fanoutState, window int) (fanoutFigures, error) {
	st.window.Store(int64(window))
	for _, s := range st.subs {
		s.mu.Lock()
		s.samples = s.samples[:0] // nothing is in flight
		s.mu.Unlock()
	}
	for range window {
		st.credits <- struct{}{}
	}
	stop := make(chan struct{})
	pubErr := make(chan error, 1)
	go func() { pubErr <- e.publishLoop(pub, st, stop) }()

	ok := sleepCtx(e.ctx, e.cfg.Phase/5) // warm-up
	meter := startCPU(e.router.pid())
	d0 := st.delivered.Load()
	st.recording.Store(true)
	t0 := time.Now()
	ok = ok && sleepCtx(e.ctx, e.cfg.Phase) &&
		untilOne(e.ctx, func() int64 { return st.delivered.Load() - d0 }, oneOpLimit)
	st.recording.Store(false)
	events := st.delivered.Load() - d0
	elapsed := time.Since(t0)
	cpu, cerr := meter.perOp(events)
	close(stop)
	perr := <-pubErr
	if !ok {
		return fanoutFigures{}, e.ctx.Err()
	}
	if perr != nil {
		return fanoutFigures{}, perr
	}
	if cerr != nil {
		return fanoutFigures{}, cerr
	}
	var all []time.Duration
	for _, s := range st.subs {
		s.mu.Lock()
		all = append(all, s.samples...)
		s.mu.Unlock()
	}
	f := fanoutFigures{perSec: float64(events) / elapsed.Seconds(), cpu: cpu}
	f.p50, f.p99 = percentiles(all)
	return f, nil
}

// publishLoop publishes until stop, one credit per publication, then waits
// (bounded) for the publications in flight to be delivered.
func (e *loadEnv) publishLoop(pub *client.Session, st *fanoutState, stop chan struct{}) error {
	for seq := int64(0); ; seq++ {
		select {
		case <-st.credits:
		case <-stop:
			return e.drainFanout(st)
		case <-e.ctx.Done():
			return e.ctx.Err()
		}
		st.pending[seq%st.window.Load()].Store(int64(st.n))
		args := wamp.List{seq, time.Now().UnixNano(), e.payload}
		if err := pub.Publish(e.ctx, topicFanout, args, nil, nil); err != nil {
			return err
		}
	}
}

// drainFanout waits until every credit is back, and takes them: nothing
// is in flight, and the next run starts from an empty channel.
func (e *loadEnv) drainFanout(st *fanoutState) error {
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	w := int(st.window.Load())
	for have := 0; have < w; have++ {
		select {
		case <-st.credits:
		case <-ctx.Done():
			if err := e.ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("publications still in flight after 30s (%d of %d credits back)", have, w)
		}
	}
	return nil
}

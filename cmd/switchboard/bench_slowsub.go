package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The slowsub phase: does a subscriber that stops reading slow down the
// other subscribers of its topic? One publisher (the fan-out phase's
// windowed publisher) publishes to slowSubReaders reading subscribers
// throughout, and the events/s they are delivered is measured in
// alternating slices: without a stalled subscriber, and with one that
// joined, subscribed and never read again (a fresh one per slice), in the
// order without, with, with, without, without, ... so that neither kind
// is favoured by a trend in the machine's load; the ratio is the median
// of the slowSubRounds pairs' ratios. Measured once each, one
// after the other, a loaded 2-core machine gave ratios from 0.73 to 2.23
// with no stalled subscriber in either measurement. Each "with" slice
// starts when its stalled subscriber's SUBSCRIBED arrives and lasts until
// the router has closed it (wamp.session.on_leave), and at least the
// slice length, so whatever it costs the others (filling its socket,
// holding the publisher, being closed) falls inside the measured time;
// the next slice starts only once it is closed. The router's CPU per
// delivered event, which the load changes less, is reported for both.

// slowSubReaders is the number of reading subscribers.
const slowSubReaders = 8

// slowSubRounds is the number of (without, with) pairs of slices; with
// -quick, 2.
const slowSubRounds = 6

// slowSubCloseLimit bounds the wait for the router to close a stalled
// subscriber: far beyond its queue bounds' worth of events.
const slowSubCloseLimit = 30 * time.Second

// slowSubRows are the phase's table rows.
func slowSubRows(cfg benchConfig) []benchRow {
	if !slices.Contains(cfg.Phases, "slowsub") {
		return nil
	}
	label := fmt.Sprintf("fan-out to %d readers", slowSubReaders)
	return []benchRow{
		{"slowsub", "slowsub.without.per_s", label + ": events delivered/s", "1/s", ""},
		{"slowsub", "slowsub.with.per_s", label + " + 1 stalled subscriber: events delivered/s", "1/s", ""},
		{"slowsub", "slowsub.ratio", "… with ÷ without the stalled subscriber (median of alternating pairs)", "", ""},
		{"slowsub", "slowsub.closed_ms", "… stalled subscriber closed after (median)", "ms", ""},
		{"slowsub", "slowsub.without.cpu_us", label + ": router CPU per event delivered", "µs", ""},
		{"slowsub", "slowsub.with.cpu_us", label + " + 1 stalled subscriber: router CPU per event delivered", "µs", ""},
	}
}

// slowSubSlice is how long each slice lasts at least: the stalled
// subscriber's whole cost must fit in it (its socket takes events for
// about 2 s before the router notices), and the longer it is the less a
// fixed cost weighs; 5 s is what the phase measured before.
func (e *loadEnv) slowSubSlice() time.Duration { return 5 * e.cfg.Phase }

// slowSubTally sums the slices of one kind.
type slowSubTally struct {
	events  int64
	elapsed time.Duration
	cpu     time.Duration // the router's
}

// add counts one slice that began with d0 events delivered, at t0, with
// the router's CPU meter m, and returns the slice's events/s.
func (t *slowSubTally) add(st *fanoutState, d0 int64, t0 time.Time, m *cpuMeter) (float64, error) {
	cpu, err := m.used()
	if err != nil {
		return 0, err
	}
	events, elapsed := st.delivered.Load()-d0, time.Since(t0)
	t.events += events
	t.elapsed += elapsed
	t.cpu += cpu
	return float64(events) / elapsed.Seconds(), nil
}

// cpuPerEvent is the router's CPU time per event delivered to the readers.
func (t slowSubTally) cpuPerEvent() float64 {
	return float64(t.cpu) / float64(time.Microsecond) / float64(t.events)
}

func (t slowSubTally) perSec() float64 { return float64(t.events) / t.elapsed.Seconds() }

// slowSub runs the phase: m gets slowsub.without.per_s and
// slowsub.with.per_s (each over all its slices), slowsub.ratio (the
// median of the pairs' ratios), slowsub.closed_ms (median, from SUBSCRIBED
// to the router's on_leave) and the router's CPU per event of each kind.
func (e *loadEnv) slowSub(m metrics) error {
	st, pub, leave, err := e.fanoutSessions(slowSubReaders)
	defer leave()
	if err != nil {
		return err
	}
	st.window.Store(fanoutWindow)
	for range fanoutWindow {
		st.credits <- struct{}{}
	}
	stop := make(chan struct{})
	pubErr := make(chan error, 1)
	go func() { pubErr <- e.publishLoop(pub, st, stop) }()
	lw, err := e.watchLeaves(pub)
	if err != nil {
		close(stop)
		<-pubErr
		return err
	}
	without, with, ratios, closed, err := e.slowSubSlices(st, lw)
	close(stop)
	if perr := <-pubErr; err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	m["slowsub.without.per_s"], m["slowsub.with.per_s"] = without.perSec(), with.perSec()
	m["slowsub.ratio"] = median(ratios)
	m["slowsub.without.cpu_us"], m["slowsub.with.cpu_us"] = without.cpuPerEvent(), with.cpuPerEvent()
	m["slowsub.closed_ms"] = median(closed) / float64(time.Millisecond)
	return nil
}

// median returns the median of xs (not empty), which it sorts.
func median[T time.Duration | float64](xs []T) float64 {
	slices.Sort(xs)
	n := len(xs)
	return float64(xs[(n-1)/2]+xs[n/2]) / 2
}

// slowSubSlices measures slowSubRounds pairs of slices while the publisher
// runs, alternating which of the pair comes first so that a trend in the
// machine's load favours neither, and returns each pair's with ÷ without
// ratio: a burst of load elsewhere that hits one slice moves one pair's
// ratio, and the median of the pairs not at all.
func (e *loadEnv) slowSubSlices(st *fanoutState, lw *leaveWatch) (without, with slowSubTally, ratios []float64, closed []time.Duration, err error) {
	if !sleepCtx(e.ctx, e.cfg.Phase/5) { // warm-up
		return without, with, nil, nil, e.ctx.Err()
	}
	rounds := slowSubRounds
	if e.cfg.Quick {
		rounds = 2
	}
	for round := range rounds {
		var rate [2]float64 // without, with
		for k := range 2 {
			var c time.Duration
			if (round+k)%2 == 0 {
				rate[0], err = e.slowSubPlain(st, &without)
			} else {
				rate[1], c, err = e.slowSubStalled(st, lw, &with)
				closed = append(closed, c)
			}
			if err != nil {
				return without, with, ratios, closed, err
			}
		}
		ratios = append(ratios, rate[1]/rate[0])
	}
	return without, with, ratios, closed, nil
}

// slowSubPlain measures one slice without a stalled subscriber and
// returns its events/s.
func (e *loadEnv) slowSubPlain(st *fanoutState, t *slowSubTally) (float64, error) {
	d0, t0, meter := st.delivered.Load(), time.Now(), startCPU(e.router.pid())
	if !sleepCtx(e.ctx, e.slowSubSlice()) ||
		!untilOne(e.ctx, func() int64 { return st.delivered.Load() - d0 }, oneOpLimit) {
		return 0, e.ctx.Err()
	}
	return t.add(st, d0, t0, meter)
}

// slowSubStalled measures one slice with a stalled subscriber, from its
// SUBSCRIBED until the router closed it (at least slowSubSlice), and
// returns its events/s and how long the router took to close it.
func (e *loadEnv) slowSubStalled(st *fanoutState, lw *leaveWatch, t *slowSubTally) (float64, time.Duration, error) {
	s := &stalledSub{release: make(chan struct{}), closed: make(chan struct{})}
	defer s.stop()
	if err := s.dial(e.ctx, e.router.addrs.WS, e.ser); err != nil {
		return 0, 0, fmt.Errorf("stalled subscriber: %w", err)
	}
	d0, t0, meter := st.delivered.Load(), time.Now(), startCPU(e.router.pid())
	if !sleepCtx(e.ctx, e.slowSubSlice()) {
		return 0, 0, e.ctx.Err()
	}
	left, err := lw.wait(e.ctx, s.id, slowSubCloseLimit)
	if err != nil {
		return 0, 0, fmt.Errorf("stalled subscriber: %w", err)
	}
	if !untilOne(e.ctx, func() int64 { return st.delivered.Load() - d0 }, oneOpLimit) {
		return 0, 0, e.ctx.Err()
	}
	rate, err := t.add(st, d0, t0, meter)
	return rate, left.Sub(t0), err
}

// leaveWatch records when sessions left, from wamp.session.on_leave: a
// stalled subscriber does not read, so only the router can say when it
// closed it.
type leaveWatch struct {
	mu     sync.Mutex
	left   map[wamp.ID]time.Time
	notify chan struct{} // cap 1: a leave was recorded
}

// watchLeaves subscribes sess to wamp.session.on_leave.
func (e *loadEnv) watchLeaves(sess *client.Session) (*leaveWatch, error) {
	lw := &leaveWatch{left: make(map[wamp.ID]time.Time), notify: make(chan struct{}, 1)}
	_, err := sess.Subscribe(e.ctx, "wamp.session.on_leave", func(ev *client.Event) {
		if len(ev.Args) == 0 {
			return
		}
		id, ok := wamp.ToInt(ev.Args[0])
		if !ok {
			return
		}
		lw.mu.Lock()
		lw.left[wamp.ID(id)] = time.Now()
		lw.mu.Unlock()
		select {
		case lw.notify <- struct{}{}:
		default: // a wake-up is pending already
		}
	}, nil)
	return lw, err
}

// wait returns when session id left, waiting at most limit.
func (lw *leaveWatch) wait(ctx context.Context, id wamp.ID, limit time.Duration) (time.Time, error) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		lw.mu.Lock()
		at, ok := lw.left[id]
		delete(lw.left, id)
		lw.mu.Unlock()
		if ok {
			return at, nil
		}
		select {
		case <-lw.notify:
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("still joined %v after the slice", limit)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// stalledSub is a subscriber that joins, subscribes to the fan-out topic
// and then stops reading: its event handler blocks on the first EVENT,
// which stops its connection's reader, and its socket's receive buffer is
// small, so the router's writes to it soon block.
type stalledSub struct {
	conn    *gws.Conn
	ser     serialize.Serializer
	joined  chan wamp.Message // WELCOME, SUBSCRIBED (or whatever came instead)
	release chan struct{}     // closed when the subscriber may read again
	closed  chan struct{}     // closed by OnClose
	id      wamp.ID           // the session, from WELCOME
	once    sync.Once
	events  atomic.Int64 // EVENTs taken in (the first one blocks)
	gws.BuiltinEventHandler
}

// dial joins and subscribes; when it returns the subscriber reads no more.
func (s *stalledSub) dial(ctx context.Context, url string, ser serialize.Serializer) error {
	s.ser, s.joined = ser, make(chan wamp.Message, 2)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	nc, err := (&net.Dialer{Control: smallReadBuffer}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	conn, _, err := gws.NewClientFromConn(s, &gws.ClientOption{Addr: url,
		RequestHeader: http.Header{"Sec-Websocket-Protocol": []string{ser.SubProtocol()}}}, nc)
	if err != nil {
		nc.Close()
		return err
	}
	s.conn = conn
	go conn.ReadLoop()
	if err := s.send(&wamp.Hello{Realm: benchRealm, Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}}}}); err != nil {
		return err
	}
	welcome, err := s.expect(ctx, wamp.WELCOME)
	if err != nil {
		return err
	}
	s.id = welcome.(*wamp.Welcome).Session
	if err := s.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: topicFanout}); err != nil {
		return err
	}
	_, err = s.expect(ctx, wamp.SUBSCRIBED)
	return err
}

// smallReadBuffer gives the stalled subscriber's socket a small receive
// buffer before it connects, so that the window it advertises is small
// from the first segment on. Shrunk after the handshake (as the phase
// did), the buffer was smaller than the window already offered, and the
// kernel pruned, collapsed and dropped what the router had sent into it
// (measured with nstat over one run of the three backends: 12 prunes, 15
// collapses and 12 receive-queue drops, one per stalled subscriber;
// none with the buffer set first). On loopback that kernel work runs on
// the sender's threads, the router's: a cost of the test client, not of
// the router.
func smallReadBuffer(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	if err != nil {
		return err
	}
	return serr
}

func (s *stalledSub) send(m wamp.Message) error {
	b, err := s.ser.Append(nil, m)
	if err != nil {
		return err
	}
	op := gws.OpcodeText
	if s.ser.Binary() {
		op = gws.OpcodeBinary
	}
	return s.conn.WriteMessage(op, b)
}

// expect returns the next handshake reply, which must be of type want.
func (s *stalledSub) expect(ctx context.Context, want wamp.Type) (wamp.Message, error) {
	select {
	case got := <-s.joined:
		if got.Type() != want {
			return nil, fmt.Errorf("got message type %d, want %v", got.Type(), want)
		}
		return got, nil
	case <-s.closed:
		return nil, errors.New("connection closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// OnMessage passes the handshake's replies on, then blocks on the first
// EVENT until released; later ones are counted only.
func (s *stalledSub) OnMessage(_ *gws.Conn, m *gws.Message) {
	msg, err := s.ser.Decode(m.Bytes())
	_ = m.Close()
	if err != nil {
		return
	}
	if msg.Type() != wamp.EVENT {
		select {
		case s.joined <- msg:
		default:
		}
		return
	}
	if s.events.Add(1) == 1 {
		<-s.release
	}
}

func (s *stalledSub) OnClose(*gws.Conn, error) { close(s.closed) }

// stop releases and closes the subscriber.
func (s *stalledSub) stop() {
	s.once.Do(func() { close(s.release) })
	if s.conn != nil {
		s.conn.NetConn().Close()
	}
}

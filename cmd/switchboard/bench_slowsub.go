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
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The slowsub phase: does a subscriber that stops reading slow down the
// other subscribers of its topic? It measures the events/s delivered to
// slowSubReaders reading subscribers of one publisher (the fan-out phase's
// windowed publisher) twice, without and then with one more subscriber
// that joined, subscribed and never read again, and reports the ratio.
// The stalled subscriber joins when the second measurement starts, so
// whatever it costs the others (filling its socket, holding the
// publisher, being closed) falls inside the measured time.

// slowSubReaders is the number of reading subscribers.
const slowSubReaders = 8

// slowSubRows are the phase's table rows.
func slowSubRows(cfg benchConfig) []benchRow {
	if !slices.Contains(cfg.Phases, "slowsub") {
		return nil
	}
	label := fmt.Sprintf("fan-out to %d readers", slowSubReaders)
	return []benchRow{
		{"slowsub", "slowsub.without.per_s", label + ": events delivered/s", "1/s", ""},
		{"slowsub", "slowsub.with.per_s", label + " + 1 stalled subscriber: events delivered/s", "1/s", ""},
		{"slowsub", "slowsub.ratio", "… with ÷ without the stalled subscriber", "", ""},
	}
}

// slowSubWindow is how long each of the two measurements lasts: long
// enough for a stalled subscriber to fill its socket and be dealt with
// (the stall timeout is 2.5 s by default).
func (e *loadEnv) slowSubWindow() time.Duration { return 5 * e.cfg.Phase }

// slowSub runs the phase: m gets slowsub.without.per_s, slowsub.with.per_s
// and their ratio, slowsub.ratio.
func (e *loadEnv) slowSub(m metrics) error {
	st, pub, leave, err := e.fanoutSessions(slowSubReaders)
	defer leave()
	if err != nil {
		return err
	}
	without, err := e.slowSubRun(st, pub, nil)
	if err != nil {
		return fmt.Errorf("without the stalled subscriber: %w", err)
	}
	stalled := &stalledSub{release: make(chan struct{}), closed: make(chan struct{})}
	defer stalled.stop()
	with, err := e.slowSubRun(st, pub, stalled)
	if err != nil {
		return fmt.Errorf("with the stalled subscriber: %w", err)
	}
	m["slowsub.without.per_s"], m["slowsub.with.per_s"] = without, with
	m["slowsub.ratio"] = with / without
	return nil
}

// slowSubRun publishes for a warm-up and for slowSubWindow, and returns the
// events/s delivered to the readers meanwhile. When stalled is not nil it
// joins (and stops reading) as the measurement starts.
func (e *loadEnv) slowSubRun(st *fanoutState, pub *client.Session, stalled *stalledSub) (float64, error) {
	st.window.Store(fanoutWindow)
	for range fanoutWindow {
		st.credits <- struct{}{}
	}
	stop := make(chan struct{})
	pubErr := make(chan error, 1)
	go func() { pubErr <- e.publishLoop(pub, st, stop) }()
	ok := sleepCtx(e.ctx, e.cfg.Phase/5) // warm-up
	var err error
	if ok && stalled != nil {
		err = stalled.dial(e.ctx, e.router.addrs.WS, e.ser)
	}
	d0 := st.delivered.Load()
	t0 := time.Now()
	ok = ok && err == nil && sleepCtx(e.ctx, e.slowSubWindow()) &&
		untilOne(e.ctx, func() int64 { return st.delivered.Load() - d0 }, oneOpLimit)
	events := st.delivered.Load() - d0
	elapsed := time.Since(t0)
	close(stop)
	perr := <-pubErr
	switch {
	case err != nil:
		return 0, fmt.Errorf("stalled subscriber: %w", err)
	case !ok:
		return 0, e.ctx.Err()
	case perr != nil:
		return 0, perr
	}
	return float64(events) / elapsed.Seconds(), nil
}

// stalledSub is a subscriber that joins, subscribes to the fan-out topic
// and then stops reading: its event handler blocks on the first EVENT,
// which stops its connection's reader, and its socket's receive buffer is
// small, so the router's writes to it soon block.
type stalledSub struct {
	conn    *gws.Conn
	ser     serialize.Serializer
	joined  chan wamp.Type // WELCOME, SUBSCRIBED (or whatever came instead)
	release chan struct{}  // closed when the subscriber may read again
	closed  chan struct{}  // closed by OnClose
	once    sync.Once
	events  atomic.Int64 // EVENTs taken in (the first one blocks)
	gws.BuiltinEventHandler
}

// dial joins and subscribes; when it returns the subscriber reads no more.
func (s *stalledSub) dial(ctx context.Context, url string, ser serialize.Serializer) error {
	s.ser, s.joined = ser, make(chan wamp.Type, 2)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	if err := nc.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		nc.Close()
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
	if err := s.expect(ctx, wamp.WELCOME); err != nil {
		return err
	}
	if err := s.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: topicFanout}); err != nil {
		return err
	}
	return s.expect(ctx, wamp.SUBSCRIBED)
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

func (s *stalledSub) expect(ctx context.Context, want wamp.Type) error {
	select {
	case got := <-s.joined:
		if got != want {
			return fmt.Errorf("got message type %d, want %v", got, want)
		}
		return nil
	case <-s.closed:
		return errors.New("connection closed")
	case <-ctx.Done():
		return ctx.Err()
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
		case s.joined <- msg.Type():
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

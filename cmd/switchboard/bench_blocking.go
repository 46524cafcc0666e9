package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The two blocking phases show what the goroutine and pool backends are
// for, with handlers that block as handlers doing I/O do (both procedures
// are core.Blocking, so the event loop runs them on its offload helpers):
//
//   - block-sessions: every one of many sessions has a call in flight to a
//     handler waiting for I/O (a gate the bench opens). The figures are
//     the router's goroutines and memory while they all wait: one
//     goroutine per waiting handler on the goroutine backend, the pool's
//     fixed workers and a queue on the pool, the loop's offload helpers
//     (at most OffloadMax) and a queue on the event loop.
//   - block-io: many callers, each call blocking 2–5 ms in its handler
//     (then 20–50 ms): calls/s, latency and router CPU per call.
//     Goroutine-per-task runs every waiting handler at once; the event
//     loop runs OffloadMax of them (64 by default), the pool Workers
//     (GOMAXPROCS by default).

// blockSessions is the block-sessions phase.
func (e *loadEnv) blockSessions(m metrics) error {
	ctl, ok, err := e.benchCtl()
	if !ok {
		return err
	}
	n := e.cfg.BlockSessions
	conns, err := joinRawN(e.router.addrs.RS, n)
	defer closeAll(conns)
	if err != nil {
		return fmt.Errorf("joining %d sessions: %w", n, err)
	}
	if err := ctl.hold(e.ctx); err != nil {
		return err
	}
	// Whatever happens, no handler is left waiting.
	defer func() { _ = ctl.release(context.Background()) }()
	idle, err := ctl.mem(e.ctx)
	if err != nil {
		return err
	}
	// Each session sends its CALL and then an acknowledged PUBLISH: the
	// realm handles a session's messages in order and answers the PUBLISH
	// itself, so its PUBLISHED proves the CALL was handed to the backend.
	err = forEachConn(conns, func(i int, c net.Conn) error {
		id := strconv.Itoa(i + 1)
		msgs := `[48,` + id + `,{},"` + procBlockGate + `",["x"]]`
		ack := `[16,` + id + `,{"acknowledge":true},"bench.barrier"]`
		if err := writeRawFrames(c, msgs, ack); err != nil {
			return err
		}
		return readRawUntil(c, "[17,"+id+",")
	})
	if err != nil {
		return fmt.Errorf("calls to %s: %w", procBlockGate, err)
	}
	held, err := ctl.mem(e.ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := ctl.release(e.ctx); err != nil {
		return err
	}
	err = forEachConn(conns, func(i int, c net.Conn) error {
		return readRawUntil(c, "[50,"+strconv.Itoa(i+1)+",")
	})
	if err != nil {
		return fmt.Errorf("results of %s: %w", procBlockGate, err)
	}
	drain := time.Since(t0)
	m["blocksess.sessions"] = float64(n)
	m["blocksess.goroutines"] = float64(held.Goroutines)
	m["blocksess.goroutines_added"] = float64(held.Goroutines - idle.Goroutines)
	m["blocksess.rss_mb"] = float64(held.RSS) / 1e6
	m["blocksess.rss_added_per_call_b"] = float64(held.RSS-idle.RSS) / float64(n)
	m["blocksess.heap_added_per_call_b"] = float64(held.HeapInuse-idle.HeapInuse) / float64(n)
	m["blocksess.stack_added_per_call_b"] = float64(held.StackInuse-idle.StackInuse) / float64(n)
	m["blocksess.drain_ms"] = float64(drain) / float64(time.Millisecond)
	return nil
}

// benchCtl returns the router child's control client, or ok false when
// the router has no control endpoints (nor the blocking procedures: a
// -compare build older than them), which skips the phase.
func (e *loadEnv) benchCtl() (ctl *benchCtl, ok bool, err error) {
	ctl = newBenchCtl(e.router.addrs.WS)
	if _, err := ctl.mem(e.ctx); err != nil {
		if errors.Is(err, errNoCtl) {
			e.progress("%s: skipped, %v", e.name, err)
			return nil, false, nil
		}
		return nil, false, err
	}
	return ctl, true, nil
}

// forEachConn runs f on every connection, 32 at a time; it returns the
// errors together.
func forEachConn(conns []net.Conn, f func(i int, c net.Conn) error) error {
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			errs[i] = f(i, c)
			_ = c.SetDeadline(time.Time{})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeRawFrames writes JSON messages as RawSocket message frames, in one
// write.
func writeRawFrames(c net.Conn, msgs ...string) error {
	var b []byte
	for _, m := range msgs {
		b = binary.BigEndian.AppendUint32(b, uint32(len(m))) // type 0: message
		b = append(b, m...)
	}
	_, err := c.Write(b)
	return err
}

// readRawUntil reads RawSocket frames until a message that starts with
// prefix, answering PINGs on the way; an ERROR or ABORT fails.
func readRawUntil(c net.Conn, prefix string) error {
	for {
		typ, body, err := readRawFrame(c)
		if err != nil {
			return err
		}
		switch {
		case typ == 1: // PING: answer with a PONG of the same payload
			hdr := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
			hdr[0] = 2
			if _, err := c.Write(append(hdr, body...)); err != nil {
				return err
			}
		case typ != 0:
		case len(body) >= len(prefix) && string(body[:len(prefix)]) == prefix:
			return nil
		case len(body) > 3 && (string(body[:3]) == "[8," || string(body[:3]) == "[3,"):
			return fmt.Errorf("router answered %.200s", body)
		}
	}
}

// blockIOLevels are the block-io phase's handlers: how long each call
// blocks, its procedure and its figures' key prefix.
var blockIOLevels = []struct {
	key, label string
	proc       wamp.URI
}{
	{"blockio.2_5ms", "2-5 ms", procBlockIO},
	{"blockio.20_50ms", "20-50 ms", procBlockSlowIO},
}

// blockIO is the block-io phase: e.cfg.BlockCallers sessions, one call in
// flight each, to a handler that blocks 2–5 ms, then to one that blocks
// 20–50 ms.
func (e *loadEnv) blockIO(m metrics) error {
	if _, ok, err := e.benchCtl(); !ok {
		return err
	}
	c := e.cfg.BlockCallers
	callers, err := e.dialN(c)
	if err != nil {
		return err
	}
	defer leaveAll(callers)
	for _, lv := range blockIOLevels {
		// Latencies are kept once the warm-up is over: each caller
		// appends to its own slice.
		samples := make([][]time.Duration, c)
		start, warm := time.Now(), e.cfg.Phase/5
		perSec, cpu, err := e.concurrent(c, func(i int) error {
			t0 := time.Now()
			if err := e.call(callers[i], lv.proc); err != nil {
				return err
			}
			if t0.Sub(start) >= warm {
				samples[i] = append(samples[i], time.Since(t0))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", lv.proc, err)
		}
		m[lv.key+".per_s"], m[lv.key+".cpu_us"] = perSec, cpu
		m[lv.key+".p50_us"], m[lv.key+".p99_us"] = percentiles(slices.Concat(samples...))
	}
	return nil
}

// blockRows are the rows of the blocking phases (see benchRows).
func blockRows(cfg benchConfig, add func(phase, key, label, unit string)) {
	p := "block-sessions"
	n := cfg.BlockSessions
	add(p, "blocksess.goroutines", fmt.Sprintf("%d sessions, each a call waiting in a blocking handler: router goroutines", n), "")
	add(p, "blocksess.goroutines_added", "  goroutines added by the waiting calls", "")
	add(p, "blocksess.rss_mb", "  router RSS with the calls waiting", "MB")
	add(p, "blocksess.rss_added_per_call_b", "  RSS added per waiting call", "B")
	add(p, "blocksess.heap_added_per_call_b", "  Go heap added per waiting call", "B")
	add(p, "blocksess.stack_added_per_call_b", "  goroutine stacks added per waiting call", "B")
	add(p, "blocksess.drain_ms", fmt.Sprintf("  all %d answered, from the gate opening", n), "ms")
	p = "block-io"
	c := cfg.BlockCallers
	for _, lv := range blockIOLevels {
		name := fmt.Sprintf("handler blocking %s, %d callers", lv.label, c)
		add(p, lv.key+".per_s", name+": calls/s", "1/s")
		add(p, lv.key+".p50_us", name+": p50", "µs")
		add(p, lv.key+".p99_us", name+": p99", "µs")
		add(p, lv.key+".cpu_us", name+": router CPU/call", "µs")
	}
}

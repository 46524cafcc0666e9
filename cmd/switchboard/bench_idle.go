package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The idle-memory phase joins many sessions and leaves them idle. To keep
// the load generator cheap they are not client.Sessions but bare RawSocket
// connections that perform the JSON handshake and HELLO by hand, read the
// WELCOME, and are then only held open (no goroutine, no buffers).

// rawHello is the HELLO each idle session sends.
var rawHello = []byte(`[1,"` + benchRealm + `",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]`)

// joinRaw opens one RawSocket connection to addr and joins the bench realm.
func joinRaw(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	// 0x7F, max length 2^(9+15) and serializer 1 (JSON), two zero octets.
	if _, err := c.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
		c.Close()
		return nil, err
	}
	var reply [4]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		c.Close()
		return nil, err
	}
	if reply[0] != 0x7F || reply[1]&0x0F != 1 {
		c.Close()
		return nil, fmt.Errorf("rawsocket handshake refused: % x", reply)
	}
	if err := writeRawFrames(c, string(rawHello)); err != nil {
		c.Close()
		return nil, err
	}
	typ, body, err := readRawFrame(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	if typ != 0 || !bytes.HasPrefix(body, []byte("[2,")) {
		c.Close()
		return nil, fmt.Errorf("expected WELCOME, got %.80q", body)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// readRawFrame reads one RawSocket frame: its type (0 message, 1 PING,
// 2 PONG) and body.
func readRawFrame(c net.Conn) (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:])&0xFFFFFF)
	if _, err := io.ReadFull(c, body); err != nil {
		return 0, nil, err
	}
	return hdr[0], body, nil
}

// joinRawN joins n idle sessions, 32 at a time.
func joinRawN(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conns[i], errs[i] = joinRaw(addr)
		}()
	}
	wg.Wait()
	return conns, errors.Join(errs...)
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// memProbe is the router's memory as seen from outside (VmRSS) and from
// inside (bench.ctl.mem, after a forced GC that returns memory to the OS).
type memProbe struct {
	rss, heap, stack, goroutines float64
}

func (e *loadEnv) probeMem(ctl *client.Session) (memProbe, error) {
	res, err := ctl.Call(e.ctx, procMem, nil, nil, nil)
	if err != nil {
		return memProbe{}, err
	}
	rss, err := rssBytes(e.router.pid())
	if err != nil {
		return memProbe{}, err
	}
	get := func(k string) float64 { v, _ := wamp.ToInt(res.Kwargs[k]); return float64(v) }
	return memProbe{rss: float64(rss), heap: get("heap_inuse"), stack: get("stack_inuse"), goroutines: get("goroutines")}, nil
}

// settledMem probes until the router's goroutine count stops falling
// (sessions of earlier phases finish closing after their Leave returned),
// for at most 5s, and returns the last probe.
func (e *loadEnv) settledMem(ctl *client.Session) (memProbe, error) {
	prev, err := e.probeMem(ctl)
	for deadline := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(deadline); {
		if !sleepCtx(e.ctx, 100*time.Millisecond) {
			return prev, e.ctx.Err()
		}
		var cur memProbe
		if cur, err = e.probeMem(ctl); err == nil {
			settled := cur.goroutines >= prev.goroutines
			prev = cur
			if settled {
				break
			}
		}
	}
	return prev, err
}

// idleMemory joins e.cfg.IdleSessions idle sessions and reports the
// router's memory growth per session.
func (e *loadEnv) idleMemory(m metrics) error {
	ctl, err := e.dial()
	if err != nil {
		return err
	}
	defer leaveAll([]*client.Session{ctl})
	before, err := e.settledMem(ctl)
	if err != nil {
		return err
	}
	n := e.cfg.IdleSessions
	conns, err := joinRawN(e.router.addrs.RS, n)
	defer closeAll(conns)
	if err != nil {
		return fmt.Errorf("joining %d idle sessions: %w", n, err)
	}
	if !sleepCtx(e.ctx, 200*time.Millisecond) { // let writers go idle
		return e.ctx.Err()
	}
	after, err := e.probeMem(ctl)
	if err != nil {
		return err
	}
	m["idle.sessions"] = float64(n)
	m["idle.rss_per_session_b"] = (after.rss - before.rss) / float64(n)
	m["idle.heap_per_session_b"] = (after.heap - before.heap) / float64(n)
	m["idle.stack_per_session_b"] = (after.stack - before.stack) / float64(n)
	m["idle.goroutines_per_session"] = (after.goroutines - before.goroutines) / float64(n)
	m["idle.rss_before_b"], m["idle.rss_after_b"] = before.rss, after.rss
	return nil
}

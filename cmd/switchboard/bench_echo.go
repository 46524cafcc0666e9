package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The echo floor: what a WebSocket round trip costs with nothing but gws
// on the server, measured with frames the size of the bench's CALL. A
// router cannot do better than this; its figures are printed as ratios to
// these.

// echoConn is one load-generator connection to the echo server: send a
// frame, wait for it to come back.
type echoConn struct {
	gws.BuiltinEventHandler
	conn   *gws.Conn
	back   chan []byte
	closed chan struct{}
}

func (c *echoConn) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := bytes.Clone(m.Bytes())
	_ = m.Close()
	c.back <- b
}

func (c *echoConn) OnClose(*gws.Conn, error) { close(c.closed) }

func dialEcho(url string) (*echoConn, error) {
	c := &echoConn{back: make(chan []byte, 1), closed: make(chan struct{})}
	conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: url, RequestHeader: http.Header{}})
	if err != nil {
		return nil, err
	}
	c.conn = conn
	go conn.ReadLoop()
	return c, nil
}

// roundTrip sends frame and waits for the echo.
func (c *echoConn) roundTrip(ctx context.Context, opcode gws.Opcode, frame []byte) error {
	if err := c.conn.WriteMessage(opcode, frame); err != nil {
		return err
	}
	select {
	case b := <-c.back:
		if len(b) != len(frame) {
			return fmt.Errorf("echo of %d bytes came back with %d", len(frame), len(b))
		}
		return nil
	case <-c.closed:
		return errors.New("echo connection closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *echoConn) close() { c.conn.WriteClose(1000, nil) }

// benchCallFrame is the encoded CALL of the bench (the frame the echo
// floor sends) and its WebSocket opcode.
func benchCallFrame(cfg benchConfig) ([]byte, gws.Opcode, error) {
	ser, _ := serialize.ByName(cfg.Serializer)
	b, err := ser.Append(nil, &wamp.Call{Request: 1 << 40, Options: wamp.Dict{}, Procedure: procEcho,
		Args: wamp.List{strings.Repeat("x", cfg.PayloadBytes)}})
	op := gws.OpcodeText
	if ser.Binary() {
		op = gws.OpcodeBinary
	}
	return b, op, err
}

// echoFloor is the running echo child and the load generator's
// connections to it. It is measured right before each backend, so that
// each backend's ratios compare figures taken under the same conditions.
type echoFloor struct {
	cfg   benchConfig
	ch    *child
	conns []*echoConn
	frame []byte
	op    gws.Opcode
}

// startEchoFloor starts the echo child and opens one connection per
// caller of the largest concurrency level.
func startEchoFloor(cfg benchConfig, stderr io.Writer) (*echoFloor, error) {
	frame, op, err := benchCallFrame(cfg)
	if err != nil {
		return nil, err
	}
	ch, err := startChild("echo", cfg.Exe, childArgs(cfg, cmdBenchEcho, ""), stderr)
	if err != nil {
		return nil, err
	}
	f := &echoFloor{cfg: cfg, ch: ch, frame: frame, op: op}
	maxC := 1
	for _, c := range cfg.Concurrency {
		maxC = max(maxC, c)
	}
	for range maxC {
		c, err := dialEcho(ch.addrs.WS)
		if err != nil {
			f.stop()
			return nil, err
		}
		f.conns = append(f.conns, c)
	}
	return f, nil
}

// stop closes the connections and stops the child.
func (f *echoFloor) stop() {
	for _, c := range f.conns {
		c.close()
	}
	f.ch.stop()
}

// measure runs the sequential round trips and the throughput at each
// concurrency level.
func (f *echoFloor) measure(ctx context.Context, progress progressFunc) (metrics, error) {
	cfg := f.cfg
	m := metrics{"echo.frame_bytes": float64(len(f.frame))}
	rt := func(i int) error { return f.conns[i].roundTrip(ctx, f.op, f.frame) }
	progress("echo floor (%d-byte frames)", len(f.frame))
	samples, ops, cpu, err := sequentialOps(ctx, cfg.Phase, f.ch.pid(), func() error { return rt(0) })
	if err != nil {
		return nil, err
	}
	m["echo.p50_us"], m["echo.p99_us"] = percentiles(samples)
	m["echo.cpu_us"], m["echo.calls"] = cpu, float64(ops)
	for _, c := range cfg.Concurrency {
		perSec, cpu, err := concurrentOps(ctx, cfg.Phase, f.ch.pid(), c, rt)
		if err != nil {
			return nil, fmt.Errorf("%d connections: %w", c, err)
		}
		m[fmt.Sprintf("echo.c%d.per_s", c)], m[fmt.Sprintf("echo.c%d.cpu_us", c)] = perSec, cpu
	}
	return m, nil
}
